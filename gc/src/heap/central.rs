//! Central span lists, one per span class (Go's `mcentral`): spans with free slots (`partial`)
//! and without (`full`), each split into a swept and an unswept half. The halves swap roles
//! when the heap's sweepgen advances by 2 at the end of a mark, which makes every span unswept
//! at once with no list walk: swept = `lists[sg/2 % 2]`, unswept = the other.
//!
//! Per-P caches take spans here (`cache_span`), sweeping unswept ones on the way
//! (allocation-driven sweeping, reference §2.5 driver a), and give them back (`uncache_span`).

use super::span::{Span, SpanClass};
use super::{AllocError, Heap};
use crate::sweep::{swept, unswept, Swept};
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

impl Central {
    pub(crate) fn new(spc: SpanClass) -> Central {
        Central { spc, lists: Mutex::new(Lists::default()) }
    }

    /// A span with at least one free slot, swept for the current cycle, now owned by the
    /// caller's cache. Sweeps unswept spans of the class on the way (up to `SWEEP_BUDGET`),
    /// dropping stale entries of spans swept in place (`sweep/protocol.rs`).
    pub(crate) fn cache_span(&self, heap: &Heap) -> Result<&'static Span, AllocError> {
        let sg = heap.sweepgen();
        // The common case first, without a sweep token (a shared counter's RMW per refill).
        if let Some(s) = self.lists.lock().partial[swept(sg)].pop() {
            return Ok(s);
        }
        // The token before the first unswept pop: a span popped but not yet acquired must
        // count as a sweep in progress, or a sweeper finding the lists empty would declare the
        // sweep complete while it is still unswept (Go's `sweepLocker` is begun before popping
        // too). The caller's NoPreempt keeps `sg` current.
        let token = crate::sweep::begin(heap);
        for _ in 0..SWEEP_BUDGET {
            let span = {
                let mut l = self.lists.lock();
                if let Some(s) = l.partial[swept(sg)].pop() {
                    return Ok(s);
                }
                match l.partial[unswept(sg)].pop().or_else(|| l.full[unswept(sg)].pop()) {
                    Some(s) => s,
                    None => break,
                }
            };
            match crate::sweep::sweep_popped(heap, &token, span, sg) {
                // Stale entry (swept in place, and freed or relinked by its sweeper), or freed
                // by us: look again.
                None | Some(Swept::Freed) => {}
                Some(Swept::Live) => {
                    if span.has_free() {
                        return Ok(span);
                    }
                    self.lists.lock().full[swept(sg)].push(span);
                }
            }
        }
        // A swept span may have been relinked meanwhile by an in-place sweep.
        if let Some(s) = self.lists.lock().partial[swept(sg)].pop() {
            return Ok(s);
        }
        drop(token);
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
