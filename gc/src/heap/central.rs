//! Central span lists, one per span class (Go's `mcentral`): spans with free slots (`partial`)
//! and without (`full`), each split into a swept and an unswept half. The halves swap roles
//! when the heap's sweepgen advances by 2 at the end of a mark, which makes every span unswept
//! at once with no list walk: swept = `lists[sg/2 % 2]`, unswept = the other.
//!
//! Per-P caches take spans here (`cache_span`), sweeping unswept ones on the way
//! (allocation-driven sweeping, reference §2.5 driver a), and give them back (`uncache_span`).

use super::span::{Span, SpanClass};
use super::{AllocError, Heap};
use crate::sync::Mutex;

/// How many unswept spans `cache_span` sweeps before growing the heap instead.
const SWEEP_BUDGET: usize = 100;

#[derive(Debug, Default)]
struct Lists {
    partial: [Vec<&'static Span>; 2],
    full: [Vec<&'static Span>; 2],
}

/// One span class's lists.
#[derive(Debug)]
pub(crate) struct Central {
    spc: SpanClass,
    lists: Mutex<Lists>,
}

fn swept(sg: u32) -> usize {
    (sg / 2 % 2) as usize
}

fn unswept(sg: u32) -> usize {
    1 - swept(sg)
}

impl Central {
    pub(crate) fn new(spc: SpanClass) -> Central {
        Central { spc, lists: Mutex::new(Lists::default()) }
    }

    /// A span with at least one free slot, swept for the current cycle, now owned by the
    /// caller's cache.
    pub(crate) fn cache_span(&self, heap: &Heap) -> Result<&'static Span, AllocError> {
        let sg = heap.sweepgen();
        let mut budget = SWEEP_BUDGET;
        loop {
            let (span, was_full) = {
                let mut l = self.lists.lock();
                if let Some(s) = l.partial[swept(sg)].pop() {
                    return Ok(s);
                }
                if budget == 0 {
                    break;
                }
                match l.partial[unswept(sg)].pop() {
                    Some(s) => (s, false),
                    None => match l.full[unswept(sg)].pop() {
                        Some(s) => (s, true),
                        None => break,
                    },
                }
            };
            budget -= 1;
            let _ = was_full;
            let _token = crate::sweep::begin(heap);
            if !span.try_acquire_sweep(sg) {
                // Only whoever pops a span from an unswept list sweeps it; a span found swept
                // already was swept on demand (`ensure_swept`).
                if span.is_swept(sg) {
                    if span.alloc_count.load(crate::sync::atomic::Ordering::Relaxed) == 0 {
                        heap.free_span(span, crate::collector::collector().cycles());
                        continue;
                    }
                    if span.has_free() {
                        return Ok(span);
                    }
                    self.lists.lock().full[swept(sg)].push(span);
                    continue;
                }
                panic!("gc: unswept span in state {} (heap sweepgen {sg}): {span:?}", span.sweepgen.load(crate::sync::atomic::Ordering::Relaxed));
            }
            match crate::sweep::sweep_span(heap, span, sg) {
                crate::sweep::Swept::Freed => continue,
                crate::sweep::Swept::Live => {
                    if span.has_free() {
                        return Ok(span);
                    }
                    self.lists.lock().full[swept(sg)].push(span);
                }
            }
        }
        heap.grow_span(self.spc)
    }

    /// Takes back a span from a cache (or a sweeper), swept for the current cycle.
    pub(crate) fn uncache_span(&self, s: &'static Span, sg: u32) {
        let mut l = self.lists.lock();
        if s.has_free() {
            l.partial[swept(sg)].push(s);
        } else {
            l.full[swept(sg)].push(s);
        }
    }

    /// Background sweeping: an unswept span of this class, if any.
    pub(crate) fn take_unswept(&self, sg: u32) -> Option<&'static Span> {
        let mut l = self.lists.lock();
        l.partial[unswept(sg)].pop().or_else(|| l.full[unswept(sg)].pop())
    }

    /// Every span on the lists (stop-the-world only: checkmark and stats).
    pub(crate) fn for_each_span(&self, mut f: impl FnMut(&'static Span)) {
        let l = self.lists.lock();
        for v in l.partial.iter().chain(l.full.iter()) {
            for s in v {
                f(s);
            }
        }
    }
}
