//! Background mark workers (reference §4.3, Go's `gcBgMarkWorker` and `gcControllerState`):
//! worker goroutines, one per P, parked in the runtime's pool (`hooks::park_mark_worker`),
//! and the quotas behind `hooks::Collector::mark_worker_wanted`, which the scheduler asks on
//! every pass while a cycle marks:
//!
//! - background utilisation goal: 25% of the procs. `round(procs / 4)` dedicated workers (a P
//!   given over to marking until the work runs out), unless rounding overshoots the goal by
//!   more than 30% (Go's rule: then one fewer); the remainder of the goal as fractional
//!   marking spread over the Ps as Go does (`share / procs` of each P: a P runs its fractional
//!   worker while that P's fractional time this cycle is below `share / procs × elapsed`), for
//!   at most `FRACTIONAL_RUN` a run and then not again before the goroutines it displaced had
//!   their share (`run × (1 − share) / share`): a budget saved up while the worker could not
//!   run is spent in slices, not in one stall of the mutator (W4's worst stall went from 1 to
//!   12 ms before the slices). At 2 procs: no dedicated worker, a quarter of each P. (A
//!   single fractional worker for the whole share landed on the mutator's P every time, the
//!   other P being busy with idle marking: W4 lost half its P while marking.)
//! - idle: a P that found nothing else to run marks until a goroutine wants it.
//!
//! A worker that finds nothing to do (every root job taken, stacks waiting for their
//! goroutines' safepoints) sleeps 100 µs before it goes back to the pool, so an idle P does not
//! spin on work only a running goroutine can release. Termination is attempted by whichever
//! worker or helper runs out of work with every root done (`Conc::help`).

use crate::collector::Collector;
use crate::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tricolor_runtime::hooks::MarkWorkerMode;

/// The longest fractional run.
const FRACTIONAL_RUN: Duration = Duration::from_millis(1);

/// The workers' shared accounting. Counters are Relaxed: they are quotas read on scheduling
/// passes, not synchronisation (a stale read starts or skips one worker for one pass).
#[derive(Debug)]
pub(crate) struct Workers {
    spawned: std::sync::Once,
    epoch: Instant,
    /// When this cycle's marking began (ns since `epoch`).
    mark_start: AtomicU64,
    /// Dedicated workers running.
    dedicated: AtomicUsize,
    /// Per P: a fractional worker is running there, its fractional nanoseconds this cycle, and
    /// when its next fractional run may start (ns since `epoch`).
    /// Built with the workers (the P count is the runtime's, known once it runs).
    fractional: std::sync::OnceLock<Box<[Fractional]>>,
    /// Nanoseconds dedicated and fractional workers marked this cycle (gctrace's background
    /// CPU).
    pub(crate) bg_ns: AtomicU64,
    /// Nanoseconds idle workers marked this cycle (gctrace's idle CPU).
    pub(crate) idle_ns: AtomicU64,
}

/// One P's fractional marking this cycle.
#[derive(Debug, Default)]
struct Fractional {
    running: AtomicBool,
    ns: AtomicU64,
    next: AtomicU64,
}

impl Workers {
    pub(crate) fn new() -> Workers {
        Workers {
            spawned: std::sync::Once::new(),
            epoch: Instant::now(),
            mark_start: AtomicU64::new(0),
            dedicated: AtomicUsize::new(0),
            fractional: std::sync::OnceLock::new(),
            bg_ns: AtomicU64::new(0),
            idle_ns: AtomicU64::new(0),
        }
    }

    fn fractionals(&self) -> &[Fractional] {
        self.fractional.get().map_or(&[], |b| &b[..])
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// Dedicated workers and the fractional share (in Ps) for `procs`.
    pub(crate) fn quota(procs: usize) -> (usize, f64) {
        let goal = procs as f64 * 0.25;
        let mut dedicated = (goal + 0.5) as usize;
        if dedicated as f64 > goal * 1.3 {
            dedicated -= 1;
        }
        (dedicated, (goal - dedicated as f64).max(0.0))
    }

    /// A cycle's marking begins (after stop #1): spawns the workers the first time, resets
    /// the quotas and lets the scheduler ask for workers.
    pub(crate) fn begin_cycle(&'static self) {
        self.spawned.call_once(|| {
            let _ = self.fractional.set((0..tricolor_runtime::hooks::procs()).map(|_| Fractional::default()).collect());
            for _ in 0..tricolor_runtime::hooks::procs() {
                drop(tricolor_runtime::go(|| {
                    let c = crate::collector::collector();
                    loop {
                        let mode = tricolor_runtime::hooks::park_mark_worker();
                        c.marker.conc.workers.run(c, mode);
                    }
                }));
            }
        });
        self.mark_start.store(self.now(), Ordering::Relaxed);
        for f in self.fractionals() {
            f.ns.store(0, Ordering::Relaxed);
            f.next.store(0, Ordering::Relaxed);
        }
        self.bg_ns.store(0, Ordering::Relaxed);
        self.idle_ns.store(0, Ordering::Relaxed);
        tricolor_runtime::hooks::set_mark_workers(true);
    }

    /// The cycle's marking ended (inside stop #2): no more workers.
    pub(crate) fn end_cycle(&self) {
        tricolor_runtime::hooks::set_mark_workers(false);
    }

    /// `hooks::Collector::mark_worker_wanted`: on g0 under the runtime's worker-pool lock;
    /// O(1), no allocation, no lock of its own.
    pub(crate) fn wanted(&self, c: &Collector, p: usize, idle: bool) -> Option<MarkWorkerMode> {
        if !c.phase.marking() || !c.marker.conc.has_work(c) {
            return None;
        }
        if idle {
            return Some(MarkWorkerMode::Idle);
        }
        let (dedicated, share) = Self::quota(tricolor_runtime::hooks::procs());
        let mut n = self.dedicated.load(Ordering::Relaxed);
        while n < dedicated {
            match self.dedicated.compare_exchange_weak(n, n + 1, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Some(MarkWorkerMode::Dedicated),
                Err(cur) => n = cur,
            }
        }
        let f = self.fractionals().get(p)?;
        let per_p = share / self.fractionals().len() as f64;
        if per_p > 0.0 && !f.running.load(Ordering::Relaxed) && self.now() >= f.next.load(Ordering::Relaxed) {
            let elapsed = self.now().saturating_sub(self.mark_start.load(Ordering::Relaxed));
            let used = f.ns.load(Ordering::Relaxed);
            if (used as f64) < per_p * elapsed as f64 && !f.running.swap(true, Ordering::Relaxed) {
                return Some(MarkWorkerMode::Fractional);
            }
        }
        None
    }

    /// One run of a worker goroutine in `mode`, then its accounting.
    fn run(&'static self, c: &'static Collector, mode: MarkWorkerMode) {
        let t0 = Instant::now();
        let gen = c.marker.conc.gen.load(Ordering::Acquire);
        // The P that chose us runs us at once, before any safepoint: it is this one.
        let p = tricolor_runtime::hooks::current_proc(&tricolor_runtime::NoPreempt::new()).map_or(0, |p| p.0);
        let all = self.fractionals();
        let f = &all[p.min(all.len() - 1)];
        let share = Self::quota(tricolor_runtime::hooks::procs()).1 / all.len() as f64;
        let start = self.mark_start.load(Ordering::Relaxed);
        let used = f.ns.load(Ordering::Relaxed);
        let stop = || match mode {
            MarkWorkerMode::Dedicated => false,
            MarkWorkerMode::Idle => tricolor_runtime::hooks::runnable_waiting(),
            MarkWorkerMode::Fractional => {
                let elapsed = self.now().saturating_sub(start);
                let ran = t0.elapsed();
                ran >= FRACTIONAL_RUN || (used + ran.as_nanos() as u64) as f64 >= share * elapsed as f64
            }
        };
        let progress = gen > c.cycles() && c.marker.conc.help_while(c, gen, &stop);
        let ns = t0.elapsed().as_nanos() as u64;
        match mode {
            MarkWorkerMode::Dedicated => {
                self.dedicated.fetch_sub(1, Ordering::Relaxed);
                self.bg_ns.fetch_add(ns, Ordering::Relaxed);
            }
            MarkWorkerMode::Fractional => {
                f.ns.fetch_add(ns, Ordering::Relaxed);
                self.bg_ns.fetch_add(ns, Ordering::Relaxed);
                let gap = (ns as f64 * (1.0 - share) / share) as u64;
                f.next.store(self.now() + gap, Ordering::Relaxed);
                f.running.store(false, Ordering::Relaxed);
            }
            MarkWorkerMode::Idle => {
                self.idle_ns.fetch_add(ns, Ordering::Relaxed);
            }
        }
        match mode {
            MarkWorkerMode::Idle => c.limiter.add_idle(ns),
            _ => c.limiter.add_gc(ns),
        }
        c.limiter.update(tricolor_runtime::hooks::procs());
        if !progress {
            tricolor_runtime::sleep(Duration::from_micros(100));
        }
    }
}
