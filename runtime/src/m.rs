//! M: an OS thread running the scheduler loop on its own native stack (g0). Ms are created on
//! demand (`sched/idle.rs: startm`), never exit, and park on their `Note` when idle.
//!
//! The current M is found through one thread-local pointer, read only through the
//! `#[inline(never)]` accessor `current_m`: a goroutine may resume on another thread after any
//! switch, and an inlined thread-local address could be cached across that switch.

use crate::arch::Context;
use crate::g::G;
use crate::os::note::Note;
use crate::p::P;
use crate::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, AtomicU32, AtomicUsize, Ordering};
use crate::sync::cell::UnsafeCell;
use std::cell::Cell;

/// What a G asked its M's g0 to do after switching out (Go's `mcall` functions).
#[derive(Debug)]
pub(crate) enum SwitchOut {
    /// Nothing pending (g0's own state between switches).
    None,
    /// Park: status → Waiting, then run the commit on g0; `false` from it resumes the G at once.
    Park(*mut (dyn FnMut(&'static G) -> bool + 'static)),
    /// `yield_now`: back to the tail of the local run queue.
    Yield,
    /// Stopped at a safepoint for a stop-the-world or `for_each_p` request: to the back of its
    /// P's run queue (fairness under frequent stops).
    Preempted,
    /// Stopped at a safepoint because sysmon ended its time slice: to the global run queue.
    TimeSlice,
    /// The G's body finished: free it.
    Exit,
    /// The G left `blocking` and found no P: queue it globally, this M goes idle.
    BlockingNoP,
}

/// An OS thread that runs goroutines.
pub(crate) struct M {
    pub(crate) id: u64,
    /// g0's saved context while a G runs. Only this M's thread touches it.
    pub(crate) g0: UnsafeCell<Context>,
    /// The G being executed, or null on g0. Written by this M; read racily by others.
    pub(crate) curg: AtomicPtr<G>,
    /// The P held, or null. Written by this M (and by the STW caller's bookkeeping for itself).
    pub(crate) p: AtomicPtr<P>,
    /// A P handed over by `startm` before waking this M; Release/Acquire through the note.
    pub(crate) nextp: AtomicPtr<P>,
    /// This M is looking for work (counted in `sched.nmspinning`). Own thread only.
    pub(crate) spinning: AtomicBool,
    /// No-preempt count (DESIGN decision 5). Own thread only; Relaxed.
    pub(crate) locks: AtomicU32,
    /// Pending g0 action after a switch-out. Own thread only.
    pub(crate) switch_out: UnsafeCell<SwitchOut>,
    /// Idle sleep.
    pub(crate) park: Note,
    /// While idle on a timed sleep: its deadline (ns), else i64::MAX. Under `sched.lock`.
    pub(crate) sleep_until: AtomicI64,
    /// Random state for steal order. Own thread only.
    pub(crate) rng: Cell<u64>,
    /// A stop-the-world job handed over with the note (`stw.rs: run_on_all_ps`), or null.
    pub(crate) job: AtomicPtr<crate::stw::StwJob>,
    /// Handed a P by the last start-the-world and not yet through its first scheduling pass
    /// (counted in `Sched::restarted`; `stw.rs`, restart fairness). Set by the waker before the
    /// note's Release; cleared by this M.
    pub(crate) restarted: AtomicBool,
    /// The lowest stack pointer at which the current goroutine entered a no-preempt section
    /// (allocation, write barrier, runtime locks, weak and channel operations: the code that
    /// handles heap addresses) since it was switched in; `usize::MAX` on g0. Folded into
    /// `G::low_sp` when the goroutine switches out, so its exit clears its stack down to here
    /// (`G::clear_dead_stack`). Written by this M's thread only (Relaxed load + store).
    pub(crate) low_sp: AtomicUsize,
    /// The running goroutine is executing on this M's system stack (`on_system_stack`).
    /// Own thread only (Relaxed); a future signal handler reads it on the same thread.
    pub(crate) on_sys: AtomicBool,
    /// The goroutine's registers and stack pointer where it entered the system stack: its
    /// live frames for a scan of its own stack from there (`scan::with_current_stack`). Own
    /// thread only, valid while `on_sys`.
    pub(crate) sys_ctx: UnsafeCell<Context>,
    /// The thread's kernel id, for the preemption signal (set when the thread starts).
    pub(crate) tid: crate::sync::atomic::AtomicI32,
    /// A preemption signal is in flight to this thread (one at a time; `preempt/signal.rs`).
    pub(crate) signal_pending: AtomicBool,
    /// Where this thread sleeps while its goroutine is suspended in place (for a stop, or for
    /// a time slice until a P is handed to it through `nextp`).
    pub(crate) async_note: Note,
    /// The next M on `Locked::pwait` (under `sched.lock`).
    pub(crate) pwait_next: AtomicPtr<M>,
    /// The interrupted code's x87/SSE state while a system call of it is rescued
    /// (`preempt/rescue.rs`). Own thread only.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(crate) fx: std::cell::UnsafeCell<FxArea>,
}

/// An `fxsave` area (512 bytes, 16-aligned).
#[repr(C, align(16))]
pub(crate) struct FxArea(pub(crate) [u8; 512]);

// SAFETY: the UnsafeCell and Cell fields are touched only by the M's own thread (documented per
// field); everything shared is atomic.
unsafe impl Sync for M {}
// SAFETY: as above.
unsafe impl Send for M {}

impl std::fmt::Debug for M {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("M").field("id", &self.id).finish_non_exhaustive()
    }
}

impl M {
    pub(crate) fn new(id: u64) -> M {
        M {
            id,
            g0: UnsafeCell::new(Context::default()),
            curg: AtomicPtr::new(std::ptr::null_mut()),
            p: AtomicPtr::new(std::ptr::null_mut()),
            nextp: AtomicPtr::new(std::ptr::null_mut()),
            spinning: AtomicBool::new(false),
            locks: AtomicU32::new(0),
            switch_out: UnsafeCell::new(SwitchOut::None),
            park: Note::new(),
            sleep_until: AtomicI64::new(i64::MAX),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (id + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9)),
            job: AtomicPtr::new(std::ptr::null_mut()),
            restarted: AtomicBool::new(false),
            low_sp: AtomicUsize::new(usize::MAX),
            on_sys: AtomicBool::new(false),
            sys_ctx: UnsafeCell::new(Context::default()),
            tid: crate::sync::atomic::AtomicI32::new(0),
            signal_pending: AtomicBool::new(false),
            async_note: Note::new(),
            pwait_next: AtomicPtr::new(std::ptr::null_mut()),
            fx: std::cell::UnsafeCell::new(FxArea([0; 512])),
        }
    }

    /// This M finished its first pass after a restart (it is about to run a G, or goes idle):
    /// a stopper waiting for restarted Ms (`stw.rs`) may proceed.
    #[inline]
    pub(crate) fn restart_pass_done(&self, s: &crate::sched::Sched) {
        // Relaxed: own thread (the flag arrived with the note's Acquire).
        if self.restarted.load(Ordering::Relaxed) {
            self.restarted.store(false, Ordering::Relaxed);
            // Release: our pass (the G we chose, the timers we ran) before the stopper's next
            // request.
            s.restarted.fetch_sub(1, Ordering::Release);
        }
    }

    /// The P this M holds.
    #[inline]
    pub(crate) fn p(&self) -> Option<&'static P> {
        // Relaxed: only this M's thread writes `p` (or the STW caller for its own M).
        let p = self.p.load(Ordering::Relaxed);
        // SAFETY: Ps live in the never-freed scheduler (`Sched::allp`).
        unsafe { p.as_ref() }
    }

    /// The G this M is running, or None on g0.
    #[inline]
    pub(crate) fn curg(&self) -> Option<&'static G> {
        // SAFETY: G records are never freed.
        unsafe { self.curg.load(Ordering::Relaxed).as_ref() }
    }

    /// xorshift64* for steal order.
    pub(crate) fn fastrand(&self) -> u32 {
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }
}

thread_local! {
    static CURRENT_M: Cell<*const M> = const { Cell::new(std::ptr::null()) };
}

/// The M running on this thread, if this thread is one. Not inlined: see the module doc.
#[inline(never)]
pub(crate) fn current_m() -> Option<&'static M> {
    let p = CURRENT_M.with(|c| c.get());
    // SAFETY: Ms are leaked at creation (never freed).
    unsafe { p.as_ref() }
}

/// Marks this thread as running `m`. Called once at the thread's start.
pub(crate) fn set_current_m(m: &'static M) {
    // SAFETY: gettid has no preconditions.
    m.tid.store(unsafe { libc::gettid() }, Ordering::Relaxed);
    CURRENT_M.with(|c| c.set(m));
}

/// Signal-handler access: the raw pointer, no allocation or lazy initialisation (the thread
/// local is const-initialised and has no destructor).
pub(crate) fn current_m_raw() -> *const M {
    CURRENT_M.with(|c| c.get())
}
