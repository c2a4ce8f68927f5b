//! P: a logical processor. Holding a P is the right to run goroutines; there are `procs` of them
//! (GOMAXPROCS). A P owns a run queue, a timer heap and caches; its status says who owns it.
//!
//! | status  | owner                                             | leaves by                     |
//! |---------|---------------------------------------------------|-------------------------------|
//! | Idle    | the idle list (under `sched.lock`), or an M it was handed to (`startm`) before that M acquires it | `acquirep` → Running; STW → GcStop |
//! | Running | its M (`P::m`); only that M changes the status    | release → Idle, `gcstopm` → GcStop, `blocking` → Syscall |
//! | Syscall | nobody: its M is in `blocking(..)`, or suspended by the preemption signal for a time slice | CAS by the M leaving `blocking` → Idle → Running; CAS by sysmon or `for_each_p` → Idle (handed off); CAS by a stop → GcStop |
//! | GcStop  | the stop-the-world caller                          | `start_the_world` → Idle/handed |
//!
//! Leaving Syscall is always a CAS from Syscall, so exactly one of the returning M, sysmon's
//! retake, `for_each_p` and a stop takes the P (Go's `_Psyscall`; reference §7.3).

use crate::g::G;
use crate::m::M;
use crate::runq::LocalQueue;
use crate::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use crate::sync::cell::UnsafeCell;
use crate::timer::Timers;

/// P states.
#[repr(u32)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PStatus {
    /// On the idle list or in transit to an M.
    Idle = 0,
    /// Owned by a running M.
    Running = 1,
    /// Left by an M in a blocking call, or by a goroutine suspended for a time slice; whoever
    /// CASes it out of this state owns it.
    Syscall = 2,
    /// Halted for stop-the-world; owned by the stopper.
    GcStop = 3,
}

impl PStatus {
    pub(crate) fn from_u32(v: u32) -> PStatus {
        match v {
            0 => PStatus::Idle,
            1 => PStatus::Running,
            2 => PStatus::Syscall,
            3 => PStatus::GcStop,
            _ => crate::throw!("runtime: invalid P status {v}"),
        }
    }
}

/// Fields only the P's owner touches (the M holding it, or the STW caller while stopped).
#[derive(Debug, Default)]
pub(crate) struct POwned {
    /// Dead Gs with stacks, ready for reuse (`g/free.rs`).
    pub(crate) gfree: Vec<&'static G>,
    /// Goroutine ids handed out in batches: next id and end of batch.
    pub(crate) goid_next: u64,
    pub(crate) goid_end: u64,
    /// Results of goroutines that finished on this P and may not be joined yet
    /// (`spawn.rs: park_result`), scanned by the collector.
    pub(crate) results: crate::spawn::PendingResults,
}

/// A logical processor.
pub(crate) struct P {
    pub(crate) id: usize,
    /// `PStatus` as u32. Written by the owner (table above); read by anyone.
    pub(crate) status: AtomicU32,
    /// The M holding this P, or null. Written by the owner.
    pub(crate) m: AtomicPtr<M>,
    pub(crate) runq: LocalQueue,
    /// Incremented by the owner at every schedule; Relaxed, read racily.
    pub(crate) schedtick: AtomicU32,
    /// 1 while a `for_each_p` function is pending for this P; a CAS 1 → 0 decides who runs it.
    pub(crate) run_safe_point_fn: AtomicU32,
    /// While this P is GcStop for a goroutine suspended in place by the preemption signal: that
    /// goroutine's M, which keeps the P and gets it back at the restart (`start_world`).
    /// Written under `sched.lock`.
    pub(crate) async_m: crate::sync::atomic::AtomicPtr<crate::m::M>,
    /// `schedtick` when the last stop or ragged barrier began: a P whose tick has not moved
    /// since runs a goroutine that the last one had to signal (`signal::preempt_unswitched`).
    /// Written by the stopper (under `worldsema`); Relaxed.
    pub(crate) stop_tick: AtomicU32,
    /// Incremented by the owner at every entry into `blocking(..)`; sysmon retakes a P whose
    /// tick has not moved for one of its rounds (≥ 20 µs). Relaxed, read racily.
    pub(crate) syscalltick: AtomicU32,
    /// Set (under `sched.lock`) by a goroutine that left this P in Syscall to give it up for a
    /// time slice and found nobody to hand it to: sysmon retakes it on its next round and
    /// starts an M on it, whatever the retake rules say.
    pub(crate) slice_handoff: crate::sync::atomic::AtomicBool,
    /// This P's timer heap (its own lock inside).
    pub(crate) timers: Timers,
    owned: UnsafeCell<POwned>,
}

// SAFETY: `owned` is touched only by the P's owner (see `with_owned`); all else is atomic or
// internally locked.
unsafe impl Sync for P {}
// SAFETY: as above.
unsafe impl Send for P {}

impl std::fmt::Debug for P {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P").field("id", &self.id).field("status", &self.status()).field("runq", &self.runq).finish_non_exhaustive()
    }
}

impl P {
    pub(crate) fn new(id: usize) -> P {
        P {
            id,
            status: AtomicU32::new(PStatus::Idle as u32),
            m: AtomicPtr::new(std::ptr::null_mut()),
            runq: LocalQueue::new(),
            schedtick: AtomicU32::new(0),
            syscalltick: AtomicU32::new(0),
            stop_tick: AtomicU32::new(u32::MAX),
            slice_handoff: crate::sync::atomic::AtomicBool::new(false),
            run_safe_point_fn: AtomicU32::new(0),
            async_m: crate::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
            timers: Timers::new(id),
            owned: UnsafeCell::new(POwned::default()),
        }
    }

    pub(crate) fn status(&self) -> PStatus {
        // Acquire pairs with the Release in `set_status`: seeing GcStop means seeing everything
        // the stopping owner did before it stopped.
        PStatus::from_u32(self.status.load(Ordering::Acquire))
    }

    pub(crate) fn set_status(&self, s: PStatus) {
        // Release: publishes the previous owner's writes to the next one.
        self.status.store(s as u32, Ordering::Release);
    }

    /// CAS `from → to`; false if the status was something else.
    pub(crate) fn cas_status(&self, from: PStatus, to: PStatus) -> bool {
        self.status.compare_exchange(from as u32, to as u32, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Runs `f` on the owner-only fields.
    ///
    /// Invariant: the caller owns the P (it is the M in `P::m` with status Running, or the
    /// stop-the-world caller while the P is GcStop). Checked in debug builds.
    pub(crate) fn with_owned<R>(&self, f: impl FnOnce(&mut POwned) -> R) -> R {
        debug_assert_ne!(self.status(), PStatus::Idle, "runtime: P{} owned fields touched while idle", self.id);
        // SAFETY: per the invariant above only the owner reaches here, so the access is
        // exclusive; `f` cannot re-enter `with_owned` on the same P (no runtime call in it).
        self.owned.with_mut(|o| f(unsafe { &mut *o }))
    }
}
