//! A P's timer set: a 4-ary min-heap of (deadline, timer) under the heap lock, plus atomic
//! summaries that other Ms read without the lock (Go's `timers`: `len`, `zombies`,
//! `minWhenHeap`, `minWhenModified`).
//!
//! Heap entries may be stale: a timer modified or stopped since its entry was written carries
//! `modified`/`zombie` in its own state, and `min_when_modified` bounds how early a modified
//! timer may be due. `check` repairs entries at the top (or all of them when a modified timer
//! may be due) before running anything.

use super::TimerCore;
use crate::lock::RtMutex;
use crate::sched::Sched;
use crate::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::Arc;

struct Entry {
    when: i64,
    t: Arc<TimerCore>,
}

/// One P's timers.
pub(crate) struct Timers {
    id: usize,
    heap: RtMutex<Vec<Entry>>,
    /// Entries in the heap (zombies included). Written under the heap lock.
    len: AtomicU32,
    /// Stopped timers still in the heap. Written under the timer's lock.
    pub(crate) zombies: AtomicU32,
    /// Deadline of the heap's top entry, i64::MAX if empty. Written under the heap lock.
    min_when_heap: AtomicI64,
    /// Lowest deadline set by a `modify` not yet folded into the heap, i64::MAX if none.
    min_when_modified: AtomicI64,
}

impl std::fmt::Debug for Timers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timers").field("len", &self.len.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

const ARITY: usize = 4;

fn sift_up(h: &mut [Entry], mut i: usize) {
    while i > 0 {
        let parent = (i - 1) / ARITY;
        if h[i].when >= h[parent].when {
            break;
        }
        h.swap(i, parent);
        i = parent;
    }
}

fn sift_down(h: &mut [Entry], mut i: usize) {
    loop {
        let first = i * ARITY + 1;
        if first >= h.len() {
            return;
        }
        let last = (first + ARITY).min(h.len());
        let mut min = first;
        for c in first + 1..last {
            if h[c].when < h[min].when {
                min = c;
            }
        }
        if h[min].when >= h[i].when {
            return;
        }
        h.swap(i, min);
        i = min;
    }
}

fn remove_top(h: &mut Vec<Entry>) -> Entry {
    let last = h.len() - 1;
    h.swap(0, last);
    let e = h.pop().unwrap_or_else(|| crate::throw!("runtime: timer heap underflow"));
    if !h.is_empty() {
        sift_down(h, 0);
    }
    e
}

impl Timers {
    pub(crate) fn new(id: usize) -> Timers {
        Timers {
            id,
            heap: RtMutex::new(Vec::new()),
            len: AtomicU32::new(0),
            zombies: AtomicU32::new(0),
            min_when_heap: AtomicI64::new(i64::MAX),
            min_when_modified: AtomicI64::new(i64::MAX),
        }
    }

    /// Earliest moment some timer here may be due, or None without timers. Lock-free.
    pub(crate) fn next_when(&self) -> Option<i64> {
        // Relaxed: a hint for sleep deadlines; a stale value costs one early or late check,
        // and every add/modify follows up with `wake_for_timer`.
        if self.len.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let w = self.min_when_heap.load(Ordering::Relaxed).min(self.min_when_modified.load(Ordering::Relaxed));
        (w != i64::MAX).then_some(w)
    }

    /// A `modify` moved some timer here to `when`. Returns whether that lowered the earliest
    /// pending modification, i.e. whether sleepers may need to wake sooner.
    pub(crate) fn note_modified(&self, when: i64) -> bool {
        self.min_when_modified.fetch_min(when, Ordering::Relaxed) > when
    }

    fn publish(&self, h: &[Entry]) {
        self.len.store(h.len() as u32, Ordering::Relaxed);
        self.min_when_heap.store(h.first().map_or(i64::MAX, |e| e.when), Ordering::Relaxed);
    }

    /// Adds `t` if it is active and in no heap (Go's `maybeAdd`).
    pub(crate) fn add(&self, t: &Arc<TimerCore>) {
        let mut h = self.heap.lock();
        let mut st = t.mu.lock();
        if st.heap.is_none() && st.when > 0 {
            st.heap = Some(self.id);
            st.modified = false;
            h.push(Entry { when: st.when, t: t.clone() });
            let n = h.len() - 1;
            sift_up(&mut h, n);
            drop(st);
            self.publish(&h);
        }
    }

    /// If the timer was stopped (zombie) or is inactive, marks it out of this heap and returns
    /// true; the caller removes its entry. Caller holds the heap lock and the timer's lock.
    fn unlink_if_dead(&self, st: &mut super::TState) -> bool {
        if !(st.zombie || st.when == 0) {
            return false;
        }
        if st.zombie {
            st.zombie = false;
            self.zombies.fetch_sub(1, Ordering::Relaxed);
        }
        st.heap = None;
        st.modified = false;
        true
    }

    /// Folds every `modified` deadline into the heap and drops zombies (Go's `adjust`).
    fn adjust(&self, h: &mut Vec<Entry>) {
        self.min_when_modified.store(i64::MAX, Ordering::Relaxed);
        h.retain_mut(|e| {
            let mut st = e.t.mu.lock();
            if self.unlink_if_dead(&mut st) {
                return false;
            }
            if st.modified {
                e.when = st.when;
                st.modified = false;
            }
            true
        });
        for i in (0..h.len()).rev() {
            sift_down(h, i);
        }
    }

    /// Runs every timer due now; returns the earliest remaining deadline (i64::MAX if none).
    /// Called by the P's owner, or by a thief looking at an idle or busy P. Reads the clock only
    /// when the P has timers (scheduling without timers never pays for it).
    pub(crate) fn check(&self, _s: &'static Sched) -> i64 {
        let Some(next) = self.next_when() else { return i64::MAX };
        let now = crate::time::nanotime();
        let zombies = self.zombies.load(Ordering::Relaxed);
        if next > now && zombies * 4 <= self.len.load(Ordering::Relaxed) {
            return next;
        }
        let mut h = self.heap.lock();
        if self.min_when_modified.load(Ordering::Relaxed) <= now || zombies > 0 {
            self.adjust(&mut h);
        }
        while let Some(top) = h.first() {
            let t = top.t.clone();
            let mut st = t.mu.lock();
            debug_assert_eq!(st.heap, Some(self.id), "runtime: timer in P{}'s heap names another", self.id);
            if self.unlink_if_dead(&mut st) {
                drop(st);
                remove_top(&mut h);
                continue;
            }
            if st.modified {
                h[0].when = st.when;
                st.modified = false;
                drop(st);
                sift_down(&mut h, 0);
                continue;
            }
            if st.when > now {
                break;
            }
            // Due: reschedule or remove, then run with no lock held (Go's `unlockAndRun`).
            let seq = t.seq.load(Ordering::Relaxed);
            if st.period > 0 {
                let delay = now - st.when;
                st.when += st.period * (1 + delay / st.period);
                h[0].when = st.when;
                drop(st);
                sift_down(&mut h, 0);
            } else {
                st.when = 0;
                st.heap = None;
                drop(st);
                remove_top(&mut h);
            }
            self.publish(&h);
            drop(h);
            t.fire(seq);
            h = self.heap.lock();
        }
        self.publish(&h);
        h.first().map_or(i64::MAX, |e| e.when).min(self.min_when_modified.load(Ordering::Relaxed))
    }
}
