//! Goroutine-aware synchronisation: waiting parks the goroutine, not its thread.
//!
//! - `waitq.rs`: the wait queue the others park on (a goroutine futex).
//! - `mutex.rs`: `Mutex<T>`; `condvar.rs`: `Condvar`.
//! - `parklock.rs`: `ParkLock<T>`, a runtime lock whose holder may park (for code that cannot
//!   park while taking a lock: the collector's hooks).
//! - `waitgroup.rs`: `WaitGroup`.
//! - `chan/`: bounded, unbounded and rendezvous channels with close and `try_*` operations.
//!
//! Blocking operations must run on a goroutine and panic elsewhere, naming the call; `try_*`
//! operations work from any thread. Every operation polls `safepoint()` on entry (runtime calls
//! are safepoints, DESIGN decision 5).

pub mod chan;
mod condvar;
mod mutex;
mod parklock;
mod waitgroup;
pub(crate) mod waitq;

pub use condvar::Condvar;
pub use mutex::{Mutex, MutexGuard};
pub use parklock::{ParkGuard, ParkLock};
pub use waitgroup::WaitGroup;
