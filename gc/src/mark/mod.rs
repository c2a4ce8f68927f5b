//! Marking (reference §2, §4). In this release the collector marks with the world stopped; the
//! structures are the ones concurrent marking will use (per-P `GcWork`, global lock-free lists,
//! root jobs claimed by atomic increment, `nwait`/`nproc` termination).
//!
//! Steps of `mark` (called by the stopper, world stopped):
//! 1. Build the root jobs: one per goroutine stack (the stopper's own excluded), the root
//!    handles, the VM root scanners, the specials' referents.
//! 2. The stopper scans its own stack and registers, and the results of finished goroutines
//!    not yet joined, into its P's worker.
//! 3. `run_on_all_ps`: every P's worker claims root jobs until none is left, then drains: local
//!    buffers, then the global `full` list.
//! 4. Termination (Go's `nwait == nproc`): a worker with nothing local and nothing global
//!    increments `nwait` and waits; it leaves the wait if work appears on `full`; when
//!    `nwait == nproc` with `full` empty no worker holds work and none can create any (all
//!    work comes from scanning, and nobody scans), so marking is complete.
//! 5. Check: every worker's buffers and the global list are empty (else the collector would
//!    free reachable objects: abort with the counts, Go's "non-empty mark queue").

pub(crate) mod assist_queue;
pub(crate) mod barrier;
pub(crate) mod concurrent;
mod drain;
pub mod lfstack;
pub(crate) mod termination;
mod work;
pub(crate) mod workers;

pub(crate) use drain::{Mode, Worker};
pub(crate) use work::WorkLists;

use crate::heap::arena::Arena;
use crate::object::trace::Tracer;
use crate::perp::PerP;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::Mutex;
use std::sync::OnceLock;
use tricolor_runtime::scan::{all_goroutines, Goroutine, Suspend};
use tricolor_runtime::{ProcId, WorldStopped};

/// A unit of root scanning.
#[derive(Debug)]
enum RootJob {
    Stack(Goroutine),
    Handles,
    Scanners,
    Specials,
    /// Channel buffers (`runtime/src/gsync/chan/buffers.rs`).
    Channels,
}

/// One P's marking state: its write-barrier buffer and its mark work.
pub(crate) struct PState {
    pub(crate) wbuf: barrier::WbBuf,
    pub(crate) w: Worker,
}

impl PState {
    /// Greys what the barrier buffered into this P's mark work.
    pub(crate) fn flush_wbuf(&mut self) {
        let PState { wbuf, w } = self;
        // A store loop writes the same few pointers over and over (a VM's registers, a list
        // head): a value greyed earlier in this flush is marked already, so a small
        // direct-mapped filter of recent values skips its lookup (the barrier bench: 36 → ns
        // per store while marking, with two values alternating).
        let mut recent = [0usize; 16];
        for v in wbuf.drain() {
            let k = (v >> 4) & 15;
            if recent[k] == v {
                continue;
            }
            recent[k] = v;
            w.grey_precise(v);
        }
    }
}

/// The marker's shared state.
pub(crate) struct Marker {
    lists: OnceLock<&'static WorkLists>,
    perp: OnceLock<PerP<PState>>,
    /// Mark work of threads without a P (plain threads upgrading weak pointers, goroutines
    /// inside `blocking(..)` storing pointers): shared, under a lock.
    orphan: Mutex<Option<Worker>>,
    /// Concurrent marking's cycle state.
    pub(crate) conc: concurrent::Conc,
    nwait: AtomicUsize,
    root_next: AtomicUsize,
    /// Set when a worker unwinds (a user `Trace` impl or root scanner panicked): the others
    /// stop waiting for it, so the panic reaches the stopper instead of hanging the mark.
    aborted: crate::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Marker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Marker").finish_non_exhaustive()
    }
}

/// What a mark found.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MarkResult {
    /// Bytes of marked (live) objects, slot sizes.
    pub(crate) marked: usize,
    /// Payload bytes scanned.
    pub(crate) scanned: usize,
    /// Stack bytes scanned.
    pub(crate) stack_bytes: usize,
}

impl Marker {
    pub(crate) fn new() -> Marker {
        Marker {
            lists: OnceLock::new(),
            perp: OnceLock::new(),
            orphan: Mutex::new(None),
            conc: concurrent::Conc::new(),
            nwait: AtomicUsize::new(0),
            root_next: AtomicUsize::new(0),
            aborted: crate::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(crate) fn lists(&self) -> &'static WorkLists {
        self.lists.get_or_init(|| Box::leak(Box::new(WorkLists::new())))
    }

    /// Every P's marking state (created on first use).
    pub(crate) fn perp(&self) -> &PerP<PState> {
        self.perp.get_or_init(|| {
            let arena: &'static Arena = &crate::collector::collector().heap.arena;
            let lists = self.lists();
            PerP::new(tricolor_runtime::hooks::procs(), |_| PState {
                wbuf: barrier::WbBuf::new(),
                w: Worker::new(arena, lists, Mode::Mark),
            })
        })
    }

    /// The shared worker of threads without a P.
    pub(crate) fn with_orphan<R>(&self, f: impl FnOnce(&mut Worker) -> R) -> R {
        let _np = tricolor_runtime::NoPreempt::new();
        let mut g = self.orphan.lock();
        let w = g.get_or_insert_with(|| Worker::new(&crate::collector::collector().heap.arena, self.lists(), Mode::Mark));
        f(w)
    }

    /// Steps 1-5. World stopped; the caller is the stopper.
    pub(crate) fn mark(&'static self, c: &'static crate::collector::Collector, w: &WorldStopped) -> MarkResult {
        let procs = tricolor_runtime::hooks::procs();
        let perp = self.perp();
        // Step 1.
        let jobs = root_jobs();
        self.root_next.store(0, Ordering::Relaxed);
        self.nwait.store(0, Ordering::Relaxed);
        self.aborted.store(false, Ordering::Relaxed);
        let stack_bytes = AtomicUsize::new(0);
        // Step 2.
        let own = tricolor_runtime::hooks::current_proc(&tricolor_runtime::NoPreempt::new())
            .unwrap_or_else(|e| tricolor_runtime::throw!("gc: stopper without a P: {e}"))
            .0;
        perp.with_stopped(w, own, |s| {
            let wk = &mut s.w;
            stack_bytes.fetch_add(wk.scan_own_stack(), Ordering::Relaxed);
            // Results of finished goroutines not joined yet (their packets are not on any
            // stack); the stopper owns every P's list while the world is stopped.
            tricolor_runtime::scan::for_each_unjoined_result(w, |p, n| wk.scan_range_conservative(p, p + n));
        });
        // Step 3.
        w.run_on_all_ps(&|p: ProcId| {
            // SAFETY: `run_on_all_ps` runs this on P `p`'s behalf while the world is stopped.
            unsafe { perp.with_at_safepoint(p.0, |s| self.work(c, &mut s.w, &jobs, procs, &stack_bytes)) };
        });
        // Step 5.
        let mut r = MarkResult { stack_bytes: stack_bytes.load(Ordering::Relaxed), ..Default::default() };
        for i in 0..perp.len() {
            perp.with_stopped(w, i, |s| {
                if !s.w.gcw.is_empty() || !s.wbuf.is_empty() {
                    crate::debug::fatal(format_args!("non-empty mark queue after mark: P{i}'s work buffers hold objects"));
                }
                r.marked += std::mem::take(&mut s.w.bytes_marked);
                r.scanned += std::mem::take(&mut s.w.bytes_scanned);
                s.w.gcw.flushed = false;
            });
        }
        if !self.lists().full.is_empty() {
            crate::debug::fatal(format_args!("non-empty mark queue after mark: the global full list holds work"));
        }
        r
    }

    /// One worker's part of steps 3-4.
    fn work(&self, c: &'static crate::collector::Collector, wk: &mut Worker, jobs: &[RootJob], procs: usize, stack_bytes: &AtomicUsize) {
        struct AbortOnUnwind<'a>(&'a crate::sync::atomic::AtomicBool);
        impl Drop for AbortOnUnwind<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.store(true, Ordering::Release);
                }
            }
        }
        let _guard = AbortOnUnwind(&self.aborted);
        loop {
            loop {
                let i = self.root_next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs.len() {
                    break;
                }
                scan_root(c, wk, &jobs[i], stack_bytes);
                wk.drain_local();
            }
            wk.drain_local();
            debug_assert!(wk.gcw.is_empty());
            // Step 4. AcqRel: our (empty) state is published before others count us; we see
            // work they published before they counted themselves.
            self.nwait.fetch_add(1, Ordering::AcqRel);
            loop {
                if !self.lists().full.is_empty() {
                    self.nwait.fetch_sub(1, Ordering::AcqRel);
                    break;
                }
                if self.nwait.load(Ordering::Acquire) == procs || self.aborted.load(Ordering::Acquire) {
                    return;
                }
                std::hint::spin_loop();
                std::thread::yield_now();
            }
        }
    }
}

/// Step 1: the root jobs of this collection (built by the stopper, so "current goroutine" is
/// the stopper).
fn root_jobs() -> Vec<RootJob> {
    let mut jobs: Vec<RootJob> = all_goroutines().into_iter().filter(|g| !g.is_current()).map(RootJob::Stack).collect();
    jobs.push(RootJob::Handles);
    jobs.push(RootJob::Scanners);
    jobs.push(RootJob::Specials);
    jobs.push(RootJob::Channels);
    jobs
}

fn scan_root(c: &'static crate::collector::Collector, wk: &mut Worker, job: &RootJob, stack_bytes: &AtomicUsize) {
    match job {
        RootJob::Stack(g) => loop {
            match g.try_suspend() {
                Suspend::Stopped(s) => {
                    stack_bytes.fetch_add(wk.scan_suspended(&s), Ordering::Relaxed);
                    return;
                }
                Suspend::Dead => return,
                Suspend::Running => panic!("gc: goroutine {} is running while the world is stopped (only the stopper may run)", g.id()),
                Suspend::Retry => std::hint::spin_loop(),
            }
        },
        RootJob::Handles => c.roots.trace_handles(&mut Tracer { w: wk }),
        RootJob::Scanners => c.roots.trace_scanners(&mut Tracer { w: wk }),
        RootJob::Specials => crate::specials::trace_all(&mut Tracer { w: wk }),
        RootJob::Channels => c.roots.trace_channels(&mut Tracer { w: wk }),
    }
}

/// Single-threaded mark from all roots with `wk` (checkmark mode). World stopped; stopper.
pub(crate) fn mark_all_roots_single(c: &'static crate::collector::Collector, wk: &mut Worker, w: &WorldStopped) {
    tricolor_runtime::scan::for_each_unjoined_result(w, |p, n| wk.scan_range_conservative(p, p + n));
    wk.scan_own_stack();
    let stack_bytes = AtomicUsize::new(0);
    for job in root_jobs() {
        scan_root(c, wk, &job, &stack_bytes);
        wk.drain_local();
    }
    wk.drain_local();
}
