//! Tricolor: what Go's runtime gives Go programs, for language VMs and Rust programs —
//! goroutines on an M:N scheduler with stop-the-world and preemption points, and (in progress)
//! a concurrent mark-sweep collector with weak pointers and cleanups.
//!
//! This facade re-exports the layers (see `ARCHITECTURE.md`):
//!
//! - [`runtime`]: goroutines, Ps and Ms, channels, mutexes, timers, stop-the-world.
//! - [`gc`]: the collected heap — `Gc<T>`, `#[derive(Trace)]`, `GcCell`, `GcArray`, `Root`,
//!   `collect()`, statistics, and the raw API for VMs.
//!
//! ```
//! use tricolor::runtime::{block_on, go, gsync::chan};
//!
//! let total = block_on(|| {
//!     let (tx, rx) = chan::bounded(16);
//!     for i in 0..4 {
//!         let tx = tx.clone();
//!         go(move || tx.send(i * i).unwrap());
//!     }
//!     drop(tx);
//!     rx.iter().sum::<u64>()
//! });
//! assert_eq!(total, 0 + 1 + 4 + 9);
//! ```

#![warn(missing_docs)]

pub use tricolor_cleanup as cleanup;
pub use tricolor_gc as gc;
pub use tricolor_runtime as runtime;
pub use tricolor_weak as weak;

/// The README's Rust examples, compiled and run as doctests so the first screen stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
