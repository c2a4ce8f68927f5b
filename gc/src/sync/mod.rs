//! The loom façade: the only module that names `std::sync` or `loom` (STYLE 20).
//!
//! Everything in the crate takes its atomics, locks, cells and thread helpers from here, so a
//! `RUSTFLAGS="--cfg loom"` build runs the production protocols under loom's model checker.
//! Loom atomics have no `const` constructors, so protocol state lives in structs that the
//! production global holds lazily and that loom models build fresh (STYLE 21).

#[cfg_attr(loom, allow(unused_imports))] // loom builds use only `NpMutex` (for statics)
pub(crate) use tricolor_runtime::hooks::{NpGuard, NpMutex};

#[cfg(not(loom))]
mod std_impl;
#[cfg(not(loom))]
use std_impl as imp;

#[cfg(loom)]
mod loom_impl;
#[cfg(loom)]
use loom_impl as imp;

#[allow(unused_imports)] // the façade offers what the runtime's does; not every item is used yet
pub(crate) use imp::{atomic, cell, spin_loop, thread_yield, Mutex, MutexGuard};
