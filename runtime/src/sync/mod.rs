//! The loom façade: the only module that names `std::sync` or `loom` (STYLE 20).
//!
//! Everything in the crate takes its atomics, locks, cells and thread helpers from here, so a
//! `RUSTFLAGS="--cfg loom"` build runs the production protocols under loom's model checker.
//! Loom atomics have no `const` constructors, so protocol state lives in structs that the
//! production global holds lazily and that loom models build fresh (STYLE 21).

// The std branch's lock (loom models use loom's); the collector's locks too.
mod np_mutex;
pub use np_mutex::{NpGuard, NpMutex};

#[cfg(not(loom))]
mod std_impl;
#[cfg(not(loom))]
use std_impl as imp;

#[cfg(loom)]
mod loom_impl;
#[cfg(loom)]
use loom_impl as imp;

pub(crate) use imp::{atomic, cell, spin_loop, thread_yield, Mutex, MutexGuard};
