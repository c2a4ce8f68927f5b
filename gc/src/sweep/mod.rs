//! Sweeping (reference §2.5): after a mark, every span is unswept (the heap's sweepgen moved
//! by 2). A span is swept exactly once per cycle by whoever wins its sweepgen CAS: an
//! allocating P needing a span of that class (`central.rs`), the background sweeper goroutine
//! (`sweepone`), anyone about to touch its specials (`ensure_swept`), or the next cycle's
//! start (`sweep_all`).
//!
//! Sweeping a span: report the specials of dead objects, poison dead objects under
//! `poisonfree`, then make the mark bits the new allocation bits; an empty span goes back to
//! the page allocator, others are released swept (sweepgen = h) onto their list.

use crate::collector::collector;
use crate::heap::span::Span;
use crate::heap::Heap;
use crate::sync::atomic::Ordering;

/// Go's `activeSweep`: how many sweepers are at work, and whether the unswept lists ran dry
/// (`DRAINED`). When the last sweeper leaves after the lists ran dry, every span of the cycle
/// is swept — every dead object's weak cell is clear — and the weak fast path may trust its
/// cells again (`weak/protocol.rs`, `sweep_complete`). Reset while the world is stopped.
const DRAINED: u32 = 1 << 31;

/// Functions run once per cycle when its sweep completes (`on_sweep_complete`).
static SWEEP_HOOKS: parking_lot::Mutex<Vec<fn()>> = parking_lot::Mutex::new(Vec::new());

/// Registers `f` to run once per cycle, on the last sweeper, when every span of the cycle has
/// been swept (tricolor-cleanup flushes its per-P queues here, Go's `gcCleanups.flush`). `f`
/// runs on a goroutine holding a P, possibly inside an allocation: it must not allocate from
/// the collector or block.
pub fn on_sweep_complete(f: fn()) {
    SWEEP_HOOKS.lock().push(f);
}

/// Held while sweeping (or looking for a span to sweep).
pub(crate) struct SweepToken<'a>(&'a Heap);

pub(crate) fn begin(heap: &Heap) -> SweepToken<'_> {
    // AcqRel: ordered with the other sweepers' exits (see `Drop`).
    heap.sweep_active.fetch_add(1, Ordering::AcqRel);
    SweepToken(heap)
}

impl SweepToken<'_> {
    /// This sweeper found nothing left to sweep.
    fn drained(&self) {
        self.0.sweep_active.fetch_or(DRAINED, Ordering::AcqRel);
    }
}

impl Drop for SweepToken<'_> {
    fn drop(&mut self) {
        // AcqRel: the last one out sees every other sweeper's work (their Release) before it
        // declares the sweep complete (Release inside `sweep_complete`).
        let left = self.0.sweep_active.fetch_sub(1, Ordering::AcqRel) - 1;
        if left == DRAINED {
            let c = collector();
            if c.weak.sweep_complete(c.cycles()) {
                for hook in SWEEP_HOOKS.lock().iter() {
                    hook();
                }
            }
        }
    }
}

/// What sweeping did with a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Swept {
    /// No live objects: the span's pages were freed.
    Freed,
    /// The span holds live objects and is swept for the cycle.
    Live,
}

/// Sweeps `s`, which the caller owns for generation `sg` (its sweepgen is `sg - 1`) and has
/// taken off its list.
pub(crate) fn sweep_span(heap: &Heap, s: &'static Span, sg: u32) -> Swept {
    sweep_span_in(heap, s, sg, true)
}

/// `may_free`: false when the span stays on a list (`ensure_swept`): an empty span is then left
/// swept and empty, for whoever pops it next.
fn sweep_span_in(heap: &Heap, s: &'static Span, sg: u32, may_free: bool) -> Swept {
    debug_assert_eq!(s.sweepgen.load(Ordering::Relaxed), sg.wrapping_sub(1), "gc: sweeping a span we do not own");
    let c = collector();
    let l = s.layout();
    if s.has_specials.load(Ordering::Acquire) {
        crate::specials::sweep_span(s);
    }
    let allocated = s.allocated_count();
    if c.debug.poisonfree {
        for i in 0..l.nelems as usize {
            if s.is_allocated(i) && !s.is_marked(i) {
                crate::debug::poison::fill(l.base + i * l.elemsize, l.elemsize, l.spc.noscan());
            }
        }
    }
    let live = s.reset_after_sweep();
    debug_assert!(live <= allocated, "gc: span has {live} marked but only {allocated} allocated objects: {s:?}");
    let freed = allocated.saturating_sub(live) as usize;
    if freed > 0 {
        heap.counters.frees.fetch_add(freed, Ordering::Relaxed);
        s.needzero.store(true, Ordering::Relaxed);
    }
    if live == 0 && may_free {
        if s.has_specials.load(Ordering::Acquire) {
            crate::specials::forget(s);
        }
        heap.free_span(s, c.cycles());
        return Swept::Freed;
    }
    s.finish_sweep(sg);
    Swept::Live
}

/// Sweeps one unswept span from any list; false when none is left (Go's `sweepone`).
pub(crate) fn sweepone(heap: &Heap) -> bool {
    let token = begin(heap);
    let sg = heap.sweepgen();
    for central in heap.central.iter() {
        if let Some(s) = central.take_unswept(sg) {
            if s.try_acquire_sweep(sg) {
                if sweep_span(heap, s, sg) == Swept::Live {
                    central.uncache_span(s, sg);
                }
            } else {
                // Swept on demand meanwhile: just put it back on the swept side.
                central.uncache_span(s, sg);
            }
            return true;
        }
    }
    let large = {
        let mut l = heap.locked.lock();
        l.large[1 - (sg / 2 % 2) as usize].pop()
    };
    if let Some(s) = large {
        let keep = !s.try_acquire_sweep(sg) || sweep_span(heap, s, sg) == Swept::Live;
        if keep {
            heap.locked.lock().large[(sg / 2 % 2) as usize].push(s);
        }
        return true;
    }
    token.drained();
    false
}

/// Sweeps everything left from the last cycle (the start of a collection, and `collect()`).
pub(crate) fn sweep_all(heap: &Heap) -> usize {
    let mut n: usize = 0;
    while sweepone(heap) {
        n += 1;
        if n.is_multiple_of(64) {
            tricolor_runtime::safepoint();
        }
    }
    crate::specials::prune();
    n
}

/// Makes sure `s` is swept for the current cycle before its specials or objects are touched
/// (Go's `ensureSwept`, invariant 12). Waits (briefly, the sweeper is running) if someone else
/// is sweeping it.
pub(crate) fn ensure_swept(heap: &Heap, s: &'static Span) {
    let sg = heap.sweepgen();
    if s.is_swept(sg) {
        return;
    }
    let _token = begin(heap);
    if s.try_acquire_sweep(sg) {
        // The span stays on its (unswept) list; whoever pops it later finds it swept.
        sweep_span_in(heap, s, sg, false);
        return;
    }
    while !s.is_swept(sg) {
        std::hint::spin_loop();
    }
}

/// The background sweeper: a goroutine that sweeps after every collection, yielding often.
pub(crate) fn start_background(heap: &'static Heap) -> tricolor_runtime::gsync::chan::Sender<()> {
    let (tx, rx) = tricolor_runtime::gsync::chan::bounded::<()>(1);
    tricolor_runtime::go(move || {
        while rx.recv().is_ok() {
            let mut n = 0u32;
            while sweepone(heap) {
                n += 1;
                if n.is_multiple_of(10) {
                    // Behind anything waiting on the global queue (a cleanup goroutine this
                    // sweep woke, `ParkLock` wakes go there), not ahead of it.
                    tricolor_runtime::yield_now();
                }
            }
            crate::specials::prune();
        }
    });
    tx
}
