//! Goroutine-aware synchronisation: waiting parks the goroutine, not its thread.
//!
//! - `waitq.rs`: the wait queue the others park on (a goroutine futex).
//! - `mutex.rs`: `Mutex<T>`.
//! - `waitgroup.rs`: `WaitGroup`.
//! - `chan/`: bounded, unbounded and rendezvous channels with close and `try_*` operations.
//!
//! Blocking operations must run on a goroutine and panic elsewhere, naming the call; `try_*`
//! operations work from any thread. Every operation polls `safepoint()` on entry (runtime calls
//! are safepoints, DESIGN decision 5).

pub mod chan;
mod mutex;
mod waitgroup;
pub(crate) mod waitq;

pub use mutex::{Mutex, MutexGuard};
pub use waitgroup::WaitGroup;
