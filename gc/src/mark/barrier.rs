//! The write barrier (DESIGN decision 4, reference §3): every store of a heap pointer into an
//! existing object goes through `write` before the store. Hybrid barrier: while marking is on,
//! shade the old value (deletion) and the new one (insertion).
//!
//! Today the collector marks only with the world stopped, so marking is never on while a
//! mutator runs and `write` is one load of the phase flag. The entry point, its placement
//! (before the store, in `GcCell::set` and the raw API) and its per-P buffer slot stay when
//! marking becomes concurrent; only the body grows.

use crate::sync::atomic::{AtomicUsize, Ordering};
// A process-wide flag: std atomics (loom models never touch the barrier).
use std::sync::atomic::AtomicBool;

/// True while the barrier must shade (concurrent marking). Never true in this release.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Runs the barrier for a store of `new` into `slot` (the old value is read from the slot).
#[inline]
pub(crate) fn write(slot: &AtomicUsize, new: usize) {
    // Relaxed: the flag only flips with the world stopped, which orders it with every mutator.
    if ENABLED.load(Ordering::Relaxed) {
        shade_slow(slot.load(Ordering::Relaxed), new);
    }
}

#[cold]
fn shade_slow(_old: usize, _new: usize) {
    unreachable!("gc: write barrier enabled, but concurrent marking does not exist yet");
}
