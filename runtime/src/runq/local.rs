//! A P's local run queue: a 256-slot ring that only the owner pushes to and anyone may steal
//! half of (Go's `runq`, `runqput`, `runqgrab`), plus the `runnext` slot.
//!
//! Protocol (numbers cited in the code):
//! 1. Only the owner writes `tail`, with a Release store after filling the slot; stealers load
//!    it with Acquire, so every slot below `tail` they read was written before.
//! 2. Everyone consumes by CAS on `head` (AcqRel). A consumer reads its slots *before* the CAS;
//!    a successful CAS proves no one else took them and the owner did not overwrite them (the
//!    owner only writes slots at or above `head + CAP` in ring order).
//! 3. `runnext` is a single atomic slot: the owner swaps it in; consumers swap it out.
//!
//! Invariant: `tail - head <= CAP` whenever observed consistently (a torn read of head/tail by a
//! stealer can exceed it; the stealer retries).

use crate::g::G;
use crate::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::ptr;

#[cfg(not(loom))]
pub(crate) const CAP: u32 = 256;
#[cfg(loom)]
pub(crate) const CAP: u32 = 4;

/// How long a thief lets a running owner take its own `runnext` first (spin iterations).
#[cfg(not(loom))]
const RUNNEXT_GRACE: usize = 64;
#[cfg(loom)]
const RUNNEXT_GRACE: usize = 1;

/// What `push` could not keep: the G to re-queue globally together with half the ring.
#[allow(clippy::large_enum_variant)] // Overflow is rare and must not allocate under the lock
pub(crate) enum PushOutcome<T: 'static = G> {
    Pushed,
    /// The ring was full: these (a batch from the ring plus the pushed G) must go to the global
    /// queue, in order.
    Overflow(Batch<T>),
}

/// Half a ring plus one G, without allocating (Go's `runqputslow` array).
pub(crate) struct Batch<T: 'static = G> {
    gs: [*mut T; CAP as usize / 2 + 1],
    n: usize,
}

impl<T> Batch<T> {
    fn new() -> Batch<T> {
        Batch { gs: [ptr::null_mut(); CAP as usize / 2 + 1], n: 0 }
    }
    fn push(&mut self, g: *mut T) {
        self.gs[self.n] = g;
        self.n += 1;
    }
}

impl<T> IntoIterator for Batch<T> {
    type Item = &'static T;
    type IntoIter =
        std::iter::FilterMap<std::iter::Take<std::array::IntoIter<*mut T, { CAP as usize / 2 + 1 }>>, fn(*mut T) -> Option<&'static T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.gs.into_iter().take(self.n).filter_map(as_ref::<T> as fn(*mut T) -> Option<&'static T>)
    }
}

/// One P's run queue of `&'static T` (Gs in production; plain values in the loom model).
pub(crate) struct LocalQueue<T: 'static = G> {
    head: AtomicU32,
    tail: AtomicU32,
    buf: Box<[AtomicPtr<T>]>,
    runnext: AtomicPtr<T>,
}

impl<T> std::fmt::Debug for LocalQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalQueue").field("len", &self.len()).finish_non_exhaustive()
    }
}

fn as_ref<T>(p: *mut T) -> Option<&'static T> {
    // SAFETY: only `&'static T` are pushed (G records are never freed, g/mod.rs), so any
    // non-null pointer stored in a queue stays valid forever.
    unsafe { p.as_ref() }
}

fn as_mut_ptr<T>(r: &'static T) -> *mut T {
    r as *const T as *mut T
}

impl<T> LocalQueue<T> {
    pub(crate) fn new() -> Self {
        LocalQueue {
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
            buf: (0..CAP).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
            runnext: AtomicPtr::new(ptr::null_mut()),
        }
    }

    fn slot(&self, i: u32) -> &AtomicPtr<T> {
        &self.buf[(i % CAP) as usize]
    }

    /// Approximate length including `runnext`; racy, for heuristics and emptiness re-checks.
    pub(crate) fn len(&self) -> u32 {
        // Acquire on both so a re-check after a SeqCst fence sees published work (idle.rs).
        let h = self.head.load(Ordering::Acquire);
        let t = self.tail.load(Ordering::Acquire);
        let n = t.wrapping_sub(h).min(CAP);
        n + u32::from(!self.runnext.load(Ordering::Acquire).is_null())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Owner: queue `g`. With `next`, `g` goes to `runnext` and the previous occupant is kicked
    /// to the tail (step 3).
    pub(crate) fn push(&self, g: &'static T, next: bool) -> PushOutcome<T> {
        let mut g = g;
        if next {
            // AcqRel: Release publishes g's setup to the consumer that swaps it out; Acquire
            // pairs with that consumer for the G we kick out.
            let old = self.runnext.swap(as_mut_ptr(g), Ordering::AcqRel);
            match as_ref(old) {
                None => return PushOutcome::Pushed,
                Some(old) => g = old,
            }
        }
        loop {
            let h = self.head.load(Ordering::Acquire);
            // Relaxed: only the owner writes tail.
            let t = self.tail.load(Ordering::Relaxed);
            if t.wrapping_sub(h) < CAP {
                // Relaxed slot store: published by the Release store of tail (step 1).
                self.slot(t).store(as_mut_ptr(g), Ordering::Relaxed);
                self.tail.store(t.wrapping_add(1), Ordering::Release);
                return PushOutcome::Pushed;
            }
            // Full: move half the ring plus g to the global queue.
            let n = (t.wrapping_sub(h)) / 2;
            let mut batch = Batch::new();
            for i in 0..n {
                batch.push(self.slot(h.wrapping_add(i)).load(Ordering::Relaxed));
            }
            // Step 2: claim the batch; on failure a stealer made room, retry the fast path.
            if self.head.compare_exchange(h, h.wrapping_add(n), Ordering::AcqRel, Ordering::Acquire).is_ok() {
                batch.push(as_mut_ptr(g));
                return PushOutcome::Overflow(batch);
            }
        }
    }

    /// Owner: take the next G (`runnext` first). The bool says whether it came from `runnext`
    /// (it then inherits the time slice, as Go's `inheritTime`).
    pub(crate) fn pop(&self) -> Option<(&'static T, bool)> {
        let next = self.runnext.load(Ordering::Relaxed);
        if !next.is_null() && self.runnext.compare_exchange(next, ptr::null_mut(), Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            return Some((as_ref(next).unwrap(), true));
        }
        loop {
            let h = self.head.load(Ordering::Acquire);
            let t = self.tail.load(Ordering::Relaxed);
            if t == h {
                return None;
            }
            let g = self.slot(h).load(Ordering::Relaxed);
            // Step 2.
            if self.head.compare_exchange(h, h.wrapping_add(1), Ordering::AcqRel, Ordering::Acquire).is_ok() {
                return Some((as_ref(g).unwrap(), false));
            }
        }
    }

    /// Thief: move up to half of `self`'s Gs into `dst` (owned by the caller) and return one to
    /// run. `steal_next` allows taking `runnext` when the ring is empty.
    pub(crate) fn steal_into(&self, dst: &LocalQueue<T>, steal_next: bool) -> Option<&'static T> {
        let dt = dst.tail.load(Ordering::Relaxed);
        let dh = dst.head.load(Ordering::Acquire);
        let room = CAP - dt.wrapping_sub(dh);
        let mut grabbed: Vec<*mut T> = Vec::new();
        loop {
            let h = self.head.load(Ordering::Acquire);
            let t = self.tail.load(Ordering::Acquire);
            let avail = t.wrapping_sub(h);
            if avail > CAP {
                continue; // torn read of head/tail: retry (invariant above)
            }
            let n = (avail - avail / 2).min(room.max(1));
            if n == 0 {
                if !steal_next {
                    return None;
                }
                let next = self.runnext.load(Ordering::Acquire);
                if next.is_null() {
                    return None;
                }
                // Give a running owner a moment to schedule its own runnext: it was most
                // likely just readied by a G that is about to block (Go's 3 µs rule).
                for _ in 0..RUNNEXT_GRACE {
                    crate::sync::spin_loop();
                }
                if self.runnext.compare_exchange(next, ptr::null_mut(), Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                    return as_ref(next);
                }
                continue;
            }
            grabbed.clear();
            grabbed.extend((0..n).map(|i| self.slot(h.wrapping_add(i)).load(Ordering::Relaxed)));
            if self.head.compare_exchange(h, h.wrapping_add(n), Ordering::AcqRel, Ordering::Acquire).is_ok() {
                break;
            }
        }
        let first = grabbed.pop().and_then(as_ref::<T>);
        if !grabbed.is_empty() {
            let mut t = dt;
            for g in grabbed {
                dst.slot(t).store(g, Ordering::Relaxed);
                t = t.wrapping_add(1);
            }
            // Step 1: publish the stolen Gs in dst.
            dst.tail.store(t, Ordering::Release);
        }
        first
    }
}
