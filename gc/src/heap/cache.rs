//! Per-P allocation caches (Go's `mcache`): one current span per span class. The fast path —
//! find the next free slot in the current span — touches only this P's cache and the span it
//! holds, with preemption disabled, so it needs no lock and no atomic read-modify-write.
//! `refill` swaps an exhausted span for a fresh one from its central list.

use super::class::NUM_CLASSES;
use super::span::{Span, SpanClass};
use crate::sync::cell::UnsafeCell;

/// Span classes: every size class, scan and noscan.
pub(crate) const NUM_SPAN_CLASSES: usize = NUM_CLASSES * 2;

/// One P's cache.
#[derive(Debug)]
pub(crate) struct PCache {
    pub(crate) alloc: [Option<&'static Span>; NUM_SPAN_CLASSES],
}

/// A cache in its slot of the per-P array, with its allocation counter (readable by anyone) and
/// the bytes it allocated black while marking (summed into the cycle's marked bytes at stop #2).
#[derive(Debug)]
pub(crate) struct CacheCell(UnsafeCell<PCache>, pub(crate) crate::sync::atomic::AtomicU64, pub(crate) crate::sync::atomic::AtomicUsize);

// SAFETY: each cell is touched only by the goroutine holding its P with preemption disabled
// (`NoPreempt`), or by the stop-the-world caller while every P is stopped.
unsafe impl Sync for CacheCell {}
// SAFETY: as above.
unsafe impl Send for CacheCell {}

impl CacheCell {
    pub(crate) fn new() -> CacheCell {
        CacheCell(
            UnsafeCell::new(PCache { alloc: [None; NUM_SPAN_CLASSES] }),
            crate::sync::atomic::AtomicU64::new(0),
            crate::sync::atomic::AtomicUsize::new(0),
        )
    }

    /// Access to the cache.
    ///
    /// # Safety
    /// The caller holds this cell's P with preemption disabled, or the world is stopped and the
    /// caller is the stopper; the closure does not re-enter `with`.
    #[inline]
    pub(crate) unsafe fn with<R>(&self, f: impl FnOnce(&mut PCache) -> R) -> R {
        // SAFETY: exclusivity per the contract above.
        self.0.with_mut(|c| f(unsafe { &mut *c }))
    }
}

impl CacheCell {
    /// Counts one allocation. Owner only: load + store (no lock prefix); Relaxed, stats only.
    #[inline]
    pub(crate) fn count_malloc(&self) {
        let n = self.1.load(crate::sync::atomic::Ordering::Relaxed);
        self.1.store(n + 1, crate::sync::atomic::Ordering::Relaxed);
    }

    /// Counts `bytes` allocated black. Owner only: load + store; Relaxed: read by the stopper
    /// of stop #2, which the stop orders after every owner's last write.
    #[inline]
    pub(crate) fn count_fresh(&self, bytes: usize) {
        let n = self.2.load(crate::sync::atomic::Ordering::Relaxed);
        self.2.store(n + bytes, crate::sync::atomic::Ordering::Relaxed);
    }
}

impl PCache {
    #[inline]
    pub(crate) fn span(&self, spc: SpanClass) -> Option<&'static Span> {
        self.alloc[spc.index()]
    }
}
