//! The scheduler: the process-wide `Sched` (Ps, idle lists, global run queue, stop-the-world
//! state) and the loop every M runs.
//!
//! - `schedule.rs`: the M loop — `find_runnable`, `execute`, and what g0 does after a G switches
//!   out (Go's `schedule`, `execute`, `park_m`, `goexit0`).
//! - `idle.rs`: idle Ps and Ms, spinning Ms, `wakep`/`startm`/`stopm`/`handoffp`.
//! - `park.rs`: `mcall`, `park`, `ready`, `yield_now`.
//! - `gcworker.rs`: the collector's mark workers, run by `find_runnable` when it asks for them.
//! - `system_stack.rs`: running collector work on the M's own stack.

pub(crate) mod gcworker;
pub(crate) mod idle;
pub(crate) mod park;
pub(crate) mod schedule;
pub(crate) mod system_stack;

use crate::config::{BuildError, Builder, Config};
use crate::g::G;
use crate::m::M;
use crate::os::note::Note;
use crate::p::P;
use crate::runq::GQueue;
use crate::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};
use crate::sync::Mutex;
use std::sync::{Arc, OnceLock};

/// Bits of `Sched::safepoint_pending`: why running goroutines must stop at their next
/// safepoint.
pub(crate) mod pending {
    /// A stop-the-world is waiting for Ps.
    pub(crate) const STW: u32 = 1;
    /// A `for_each_p` function waits to run on every P.
    pub(crate) const FOR_EACH_P: u32 = 2;
    /// Some goroutine has a self-scan request (`G::scan_request`): the collector is marking
    /// and found it running. Set and cleared by the collector (`scan::set_scan_requests`).
    pub(crate) const SCAN: u32 = 4;
    /// sysmon asked some goroutine to yield (`G::preempt`); cleared by the safepoint that
    /// honours the last one.
    pub(crate) const PREEMPT: u32 = 16;
}

/// A function `for_each_p` runs once on every P.
pub(crate) type SafePointFn = Arc<dyn Fn(&P) + Send + Sync>;

/// State under `Sched::lock` (Go's `sched.lock`). Lock order: `sched.lock` is taken before any
/// P's timer lock and after nothing else in the runtime.
pub(crate) struct Locked {
    /// Idle Ms, parked on their notes.
    pub(crate) midle: Vec<&'static M>,
    /// Ids of idle Ps (status Idle, no M).
    pub(crate) pidle: Vec<usize>,
    /// Global run queue.
    pub(crate) runq: GQueue,
    /// Ps a stop-the-world still waits for.
    pub(crate) stopwait: i32,
    /// The pending `for_each_p` function and how many Ps have yet to run it.
    pub(crate) safepoint_fn: Option<SafePointFn>,
    pub(crate) safepoint_wait: i32,
    /// The idle M sleeping until the earliest timer, if any (Go's netpoller M, without I/O).
    pub(crate) timer_m: Option<&'static M>,
    /// Ms whose goroutine the preemption signal suspended for a time slice, oldest first:
    /// each sleeps on `M::async_note` until a P is handed to it (`idle::hand_to_waiter`).
    /// They are runnable goroutines that can only run on their own thread, served like the
    /// global run queue.
    pub(crate) pwait: MQueue,
}

/// A FIFO of Ms linked through `M::pwait_next`, under `sched.lock`: intrusive, because the
/// signal handler and the system-call rescue (`preempt/rescue.rs`) push to it and may not
/// allocate (the interrupted thread may be inside `malloc`).
#[derive(Default)]
pub(crate) struct MQueue {
    head: Option<&'static M>,
    tail: Option<&'static M>,
    len: usize,
}

impl MQueue {
    pub(crate) fn push_back(&mut self, m: &'static M) {
        // Relaxed: the links are only touched under `sched.lock`.
        m.pwait_next.store(std::ptr::null_mut(), std::sync::atomic::Ordering::Relaxed);
        match self.tail {
            Some(t) => t.pwait_next.store(m as *const M as *mut M, std::sync::atomic::Ordering::Relaxed),
            None => self.head = Some(m),
        }
        self.tail = Some(m);
        self.len += 1;
    }

    pub(crate) fn pop_front(&mut self) -> Option<&'static M> {
        let m = self.head?;
        // SAFETY: Ms are never freed. Relaxed: under the lock.
        self.head = unsafe { m.pwait_next.load(std::sync::atomic::Ordering::Relaxed).as_ref() };
        if self.head.is_none() {
            self.tail = None;
        }
        self.len -= 1;
        Some(m)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The scheduler. One per process (`sched()`); loom models build their own.
pub(crate) struct Sched {
    pub(crate) cfg: Config,
    pub(crate) allp: Box<[P]>,
    pub(crate) lock: Mutex<Locked>,
    /// Ps on the idle list. Written under the lock; read racily.
    pub(crate) npidle: AtomicU32,
    /// Spinning Ms (looking for work with a P). See the protocol in `idle.rs`.
    pub(crate) nmspinning: AtomicU32,
    /// 1: someone found work but no idle P to run it; an M about to drop its P must become a
    /// spinner instead (step 4 in `idle.rs`). Written under the lock.
    pub(crate) needspinning: AtomicU32,
    /// Mirror of the global run queue length; written under the lock, read racily.
    pub(crate) runq_size: AtomicU32,
    /// Mirror of `Locked::pwait`'s length; written under the lock, read racily.
    pub(crate) npwait: AtomicU32,
    /// A stop-the-world is in progress: Ps must stop at their next scheduling point.
    pub(crate) gcwaiting: AtomicBool,
    /// Non-zero (bits in `pending`) makes `safepoint()` take its slow path.
    pub(crate) safepoint_pending: AtomicU32,
    /// The stop-the-world caller sleeps here until `stopwait` reaches 0.
    pub(crate) stopnote: Note,
    /// The `for_each_p` caller sleeps here until `safepoint_wait` reaches 0.
    pub(crate) safepoint_note: Note,
    /// The `run_on_all_ps` caller sleeps here until every job has run.
    pub(crate) job_note: Note,
    /// The M that stopped the world, while it is stopped.
    pub(crate) stw_owner: AtomicPtr<M>,
    /// Goroutines alive (spawned, not exited).
    pub(crate) alive: AtomicUsize,
    /// Goroutine id source (batches of `GOID_BATCH` handed to Ps).
    pub(crate) goid_gen: AtomicU64,
    /// M id source.
    pub(crate) mnext: AtomicU64,
    /// Deadline of the timed idle sleeper (`Locked::timer_m`), i64::MAX if none.
    pub(crate) timer_until: AtomicI64,
    /// Every G record ever created (for stack scanning). Append-only.
    pub(crate) allgs: Mutex<Vec<&'static G>>,
    /// Global free lists of dead Gs (`g/free.rs`).
    pub(crate) gfree: Mutex<crate::g::FreeGs>,
    /// When `trim_stacks` last ran (nanotime).
    pub(crate) last_stack_trim: AtomicI64,
    /// Serialises stop-the-world and `for_each_p` callers (Go's `worldsema`); parks goroutines.
    pub(crate) worldsema: crate::gsync::Mutex<()>,
    /// Stop-the-world statistics.
    pub(crate) stats: crate::stw::StwStats,
    /// Ms handed a P by the last start-the-world that have not yet made their first pass
    /// (`M::restarted`); the next stop waits for them, briefly (`stw.rs`, restart fairness).
    pub(crate) restarted: AtomicU32,
    /// When the world last started (nanotime).
    pub(crate) restart_at: AtomicI64,
    /// When the pending stop-the-world was requested (nanotime; 0: none), for `schedtrace`'s
    /// report of a stop that does not complete. Relaxed: diagnostic.
    pub(crate) stop_requested_at: AtomicI64,
    /// The collector turned its mark workers on (`gcworker.rs`). Relaxed: a pass that misses
    /// the change asks on its next pass.
    pub(crate) gc_workers_on: AtomicBool,
    /// Parked mark workers (`gcworker.rs`); taken on g0 only, never across anything else.
    pub(crate) gc_workers: Mutex<Vec<&'static G>>,
    /// sysmon sleeps here between rounds (`sysmon.rs`); `kick` wakes it from a long sleep.
    pub(crate) sysmon_note: Note,
    /// sysmon is in a sleep of a millisecond or more: the next `blocking` call wakes it, so that
    /// its P is retaken within sysmon's shortest round.
    pub(crate) sysmon_deep: AtomicBool,
}

impl std::fmt::Debug for Sched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sched").field("cfg", &self.cfg).finish_non_exhaustive()
    }
}

impl Sched {
    pub(crate) fn new(cfg: Config) -> Sched {
        let allp: Box<[P]> = (0..cfg.procs).map(P::new).collect();
        Sched {
            allp,
            lock: Mutex::new(Locked {
                midle: Vec::new(),
                // Every P starts idle; `pidleget` pops from the end, so P0 goes first.
                pidle: (0..cfg.procs).rev().collect(),
                runq: GQueue::new(),
                stopwait: 0,
                safepoint_fn: None,
                safepoint_wait: 0,
                timer_m: None,
                pwait: MQueue::default(),
            }),
            npidle: AtomicU32::new(cfg.procs as u32),
            nmspinning: AtomicU32::new(0),
            needspinning: AtomicU32::new(0),
            runq_size: AtomicU32::new(0),
            npwait: AtomicU32::new(0),
            gcwaiting: AtomicBool::new(false),
            safepoint_pending: AtomicU32::new(0),
            stopnote: Note::new(),
            safepoint_note: Note::new(),
            job_note: Note::new(),
            stw_owner: AtomicPtr::new(std::ptr::null_mut()),
            alive: AtomicUsize::new(0),
            goid_gen: AtomicU64::new(1),
            mnext: AtomicU64::new(1),
            timer_until: AtomicI64::new(i64::MAX),
            allgs: Mutex::new(Vec::new()),
            gfree: Mutex::new(crate::g::FreeGs::default()),
            last_stack_trim: AtomicI64::new(0),
            worldsema: crate::gsync::Mutex::new(()),
            stats: crate::stw::StwStats::default(),
            restarted: AtomicU32::new(0),
            restart_at: AtomicI64::new(0),
            stop_requested_at: AtomicI64::new(0),
            gc_workers_on: AtomicBool::new(false),
            gc_workers: Mutex::new(Vec::new()),
            sysmon_note: Note::new(),
            sysmon_deep: AtomicBool::new(false),
            cfg,
        }
    }
}

static SCHED: OnceLock<Sched> = OnceLock::new();

/// The process-wide scheduler, started from the environment on first use.
pub(crate) fn sched() -> &'static Sched {
    match SCHED.get() {
        Some(s) => s,
        None => {
            init(Builder::default().config().unwrap_or_else(|e| panic!("tricolor: cannot start the runtime from the environment: {e}")))
                .unwrap_or_else(|e| panic!("tricolor: {e}"))
        }
    }
}

/// The scheduler if it has started.
#[inline]
pub(crate) fn try_sched() -> Option<&'static Sched> {
    SCHED.get()
}

/// Starts the process-wide scheduler with `cfg`, or returns the running one if its
/// configuration is the same.
pub(crate) fn init(cfg: Config) -> Result<&'static Sched, BuildError> {
    let mut fresh = false;
    let s = SCHED.get_or_init(|| {
        crate::os::signal::install_overflow_handler();
        crate::preempt::signal::install();
        fresh = true;
        Sched::new(cfg.clone())
    });
    if fresh {
        crate::debug::schedtrace::start(s);
        crate::sysmon::start(s);
    }
    if s.cfg != cfg {
        return Err(BuildError::AlreadyRunning { running: s.cfg.clone(), requested: cfg });
    }
    Ok(s)
}
