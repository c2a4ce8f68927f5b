//! The GC CPU limiter (reference §4.6, Go's `mgclimit.go`): a leaky bucket that caps the
//! collector's CPU at about half of the process's over a window of seconds, so a heap that
//! cannot be collected fast enough (a tiny `gc_percent`, a memory limit below the live heap's
//! needs) slows the mutator down to half speed instead of to a stop — Go's guard against the
//! memory-limit death spiral.
//!
//! The bucket holds `procs × 1 s` of CPU time. Each update adds the collector's time since the
//! last one — assists' marking, background workers, every stop × procs (from the moment the
//! last P stopped: `Collector::charge_stop`) — and drains the
//! mutator's: the window's `procs × wall` less the collector's and the idle mark workers'
//! (Ps that only idle-marked were idle, not mutating). While the bucket is full the limiter
//! is on: assists are skipped (the allocator neither marks nor parks for credit), and the mark
//! goes on at the background workers' 25% share, with the heap allowed past its goal (the
//! memory limit's hard bound still holds: an allocation past it collects).
//!
//! Known approximation: Ps idle with nothing to run (no idle mark worker either) count as
//! mutator time, which drains the bucket faster than Go's (the runtime does not report idle
//! time yet); the limiter then engages later, never sooner.

use crate::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// CPU time the bucket holds per proc (Go's `capacityPerProc`).
const CAPACITY_PER_PROC_NS: u64 = 1_000_000_000;
/// Updates closer together than this are skipped (Go updates once per ms of assists, too).
const MIN_WINDOW_NS: u64 = 1_000_000;

/// The limiter's state; see the module docs.
pub(crate) struct Limiter {
    start: Instant,
    /// Collector and idle-worker nanoseconds since the last update.
    gc: AtomicU64,
    idle: AtomicU64,
    /// One updater at a time; the others skip their update (never wait).
    updating: AtomicBool,
    /// Bucket fill and the last update's time (ns since `start`): the updater's alone.
    fill: AtomicU64,
    last: AtomicU64,
    on: AtomicBool,
    /// Times the limiter turned on; nanoseconds it was on (ever).
    engaged: AtomicU64,
    on_ns: AtomicU64,
    /// Assists skipped while it was on (ever).
    skipped: AtomicU64,
}

impl Limiter {
    pub(crate) fn new() -> Limiter {
        Limiter {
            start: Instant::now(),
            gc: AtomicU64::new(0),
            idle: AtomicU64::new(0),
            updating: AtomicBool::new(false),
            fill: AtomicU64::new(0),
            last: AtomicU64::new(0),
            on: AtomicBool::new(false),
            engaged: AtomicU64::new(0),
            on_ns: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    /// Whether the collector is over its CPU share: assists are skipped.
    #[inline]
    pub(crate) fn limiting(&self) -> bool {
        // Relaxed: a heuristic switch; a stale read costs one assist more or less.
        self.on.load(Ordering::Relaxed)
    }

    /// An assist was skipped because the limiter is on.
    pub(crate) fn skip(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    /// `ns` of collector CPU (an assist's marking, a worker's slice, a stop × procs).
    pub(crate) fn add_gc(&self, ns: u64) {
        // Relaxed: counters, taken whole by the next update.
        self.gc.fetch_add(ns, Ordering::Relaxed);
    }

    /// `ns` an idle mark worker ran (neither collector nor mutator time).
    pub(crate) fn add_idle(&self, ns: u64) {
        self.idle.fetch_add(ns, Ordering::Relaxed);
    }

    /// Folds the time since the last update into the bucket (at most once per ms, by one
    /// caller at a time).
    pub(crate) fn update(&self, procs: usize) {
        self.update_at(self.start.elapsed().as_nanos() as u64, procs);
    }

    fn update_at(&self, now: u64, procs: usize) {
        // Acquire/Release: the flag hands `fill`, `last` and `on` from updater to updater.
        if self.updating.swap(true, Ordering::Acquire) {
            return;
        }
        let last = self.last.load(Ordering::Relaxed);
        if now >= last + MIN_WINDOW_NS {
            let window = (now - last) * procs as u64;
            let gc = self.gc.swap(0, Ordering::Relaxed);
            let idle = self.idle.swap(0, Ordering::Relaxed);
            let mutator = window.saturating_sub(gc + idle);
            let cap = CAPACITY_PER_PROC_NS * procs as u64;
            let fill = (self.fill.load(Ordering::Relaxed) + gc).saturating_sub(mutator).min(cap);
            let was = self.on.load(Ordering::Relaxed);
            let on = fill >= cap;
            if was {
                self.on_ns.fetch_add(now - last, Ordering::Relaxed);
            }
            if on && !was {
                self.engaged.fetch_add(1, Ordering::Relaxed);
            }
            self.fill.store(fill, Ordering::Relaxed);
            self.last.store(now, Ordering::Relaxed);
            self.on.store(on, Ordering::Relaxed);
        }
        self.updating.store(false, Ordering::Release);
    }

    /// (times engaged, nanoseconds on, assists skipped), ever.
    pub(crate) fn totals(&self) -> (u64, u64, u64) {
        (self.engaged.load(Ordering::Relaxed), self.on_ns.load(Ordering::Relaxed), self.skipped.load(Ordering::Relaxed))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    /// Runs `windows` 10 ms windows on 2 procs with `gc_share` of the CPU collecting.
    fn run(l: &Limiter, t: &mut u64, windows: usize, gc_share: f64) {
        for _ in 0..windows {
            l.add_gc((gc_share * (20 * MS) as f64) as u64);
            *t += 10 * MS;
            l.update_at(*t, 2);
        }
    }

    #[test]
    fn engages_when_gc_takes_more_than_half_and_lets_go_below_it() {
        let l = Limiter::new();
        let mut t = 0;
        // Half and half: the bucket never fills.
        run(&l, &mut t, 1000, 0.5);
        assert!(!l.limiting());
        // 90% collecting: 16 ms of net fill per window, full (2 s) after 125 windows.
        run(&l, &mut t, 124, 0.9);
        assert!(!l.limiting(), "engaged before the bucket was full");
        run(&l, &mut t, 2, 0.9);
        assert!(l.limiting(), "not engaged with the bucket full");
        assert_eq!(l.totals().0, 1);
        // Below half again: it drains and lets go at once.
        run(&l, &mut t, 1, 0.3);
        assert!(!l.limiting());
        // Idle-worker time is neither: a window of only idle marking leaves the fill alone.
        let before = l.fill.load(Ordering::Relaxed);
        l.add_idle(20 * MS);
        t += 10 * MS;
        l.update_at(t, 2);
        assert_eq!(l.fill.load(Ordering::Relaxed), before);
    }

    #[test]
    fn updates_are_at_least_a_millisecond_apart() {
        let l = Limiter::new();
        l.add_gc(3 * MS / 2);
        l.update_at(MS / 2, 2);
        // Too soon: nothing folded in yet.
        assert_eq!(l.gc.load(Ordering::Relaxed), 3 * MS / 2);
        // 1 ms on 2 procs: 1.5 ms collecting fills, 0.5 ms mutating drains.
        l.update_at(MS, 2);
        assert_eq!(l.gc.load(Ordering::Relaxed), 0);
        assert_eq!(l.fill.load(Ordering::Relaxed), MS);
    }
}
