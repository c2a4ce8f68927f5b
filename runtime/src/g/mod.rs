//! G: a goroutine. A Rust closure running on its own stack, switched in and out by an M.
//!
//! G records are never freed: a dead G keeps its stack and waits on a free list for the next
//! spawn (`g/free.rs`), so a stale `&'static G` held by a racing stealer or scanner always points
//! at a valid record whose status word tells it what it may do.

mod free;
pub(crate) mod stack;
pub mod status;

pub(crate) use free::{gfget, gfput, trim_stacks, FreeGs};
pub(crate) use status::{GStatus, GStatusCell};

use crate::arch::Context;
use crate::m::M;
use crate::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use crate::sync::cell::UnsafeCell;
use stack::Stack;
use std::sync::Arc;

/// What a new goroutine runs: the spawn packet (`spawn.rs`) behind a trait object, so one
/// allocation carries the closure and the join slot.
pub(crate) trait Entry: Send + Sync {
    /// Runs the goroutine body and publishes its result. Never unwinds.
    ///
    /// `start` is the no-preempt section the goroutine began in: the body's captures are in
    /// the packet (system heap), which scanners read only while the G has not started
    /// (`scan::SuspendedG::pending_body`), so no scan may happen until they are on the stack.
    /// Drop it once the body is taken.
    fn run(self: Arc<Self>, start: crate::preempt::NoPreempt);
}

/// A goroutine record.
///
/// `repr(C)`, cache-line aligned, the fields a spawn, a run and an exit touch first: in W8's
/// spawn waves every record is cold (10,000 goroutines since it was last used), so each line
/// the hot fields spread over is a cache miss per goroutine; the signal's register block
/// (`async_regs`, 184 bytes, used only while suspended) goes last.
#[repr(C, align(64))]
pub(crate) struct G {
    /// State word with the scan bit (`status.rs`).
    pub(crate) status: GStatusCell,
    /// Saved registers while switched out. Written by the G's own `switch`; read by the M that
    /// resumes it (after the Acquire in `status.cas(Runnable → Running)`) and by a scanner
    /// holding the scan bit.
    pub(crate) ctx: UnsafeCell<Context>,
    /// The stack; immutable for the life of the record.
    pub(crate) stack: Stack,
    /// The body to run. Written by the spawner before the G is published on a run queue
    /// (Release push), taken by the G itself when it first runs.
    pub(crate) entry: UnsafeCell<Option<Arc<dyn Entry>>>,
    /// The M running this G, or null. Written by that M; read racily by observers.
    pub(crate) m: AtomicPtr<M>,
    /// Link for the global run queue and free lists; owned by whoever holds the list's lock.
    pub(crate) schedlink: AtomicPtr<G>,
    /// Goroutine id, fresh at every spawn. Relaxed: read for messages and `current_id` only.
    pub(crate) goid: AtomicU64,
    /// The lowest stack pointer seen since the G started: at every switch-out and at every
    /// no-preempt section (`M::low_sp`, folded in at switch-out). How much of the stack the
    /// exit clears (`clear_dead_stack`). Written by whoever owns the G at the time (it, or g0 right after it
    /// switched out); Relaxed.
    pub(crate) low_sp: AtomicUsize,
    /// The last collection cycle whose marker scanned this stack (`scan::Goroutine::claim_scan`):
    /// each stack is scanned once per cycle, by whoever wins the CAS — a marker holding the
    /// scan bit, or the goroutine itself at a safepoint (reference §5.2).
    pub(crate) scan_gen: AtomicU64,
    /// Cooperative preemption request, honoured at the next `safepoint()`.
    pub(crate) preempt: AtomicBool,
    /// A marker asked this goroutine to scan its own stack at its next safepoint (it was
    /// running when the marker reached it). Set by the marker, cleared by the G; Relaxed: the
    /// marker re-sends the request until the claim shows the scan happened.
    pub(crate) scan_request: AtomicBool,
    /// Why the G is parked (`WaitReason` as u8); diagnostic only, Relaxed.
    pub(crate) wait_reason: crate::sync::atomic::AtomicU8,
    /// A mark worker's mode for its next run (`hooks::MarkWorkerMode` as u8), written by the M
    /// that takes it from the pool (`sched/gcworker.rs`) before running it.
    pub(crate) worker_mode: crate::sync::atomic::AtomicU8,
    pub(crate) async_sp: AtomicUsize,
    /// Timer used by `sleep`, created on first use; only the G itself touches it.
    pub(crate) sleep_timer: UnsafeCell<Option<Arc<crate::timer::TimerCore>>>,
    /// While suspended in place by the preemption signal (`preempt/signal.rs`): the
    /// interrupted registers and the live stack pointer (below the red zone) scanners read
    /// instead of `ctx`; `async_sp` is 0 otherwise. Written by the G's own signal handler
    /// before its status CAS to Syscall publishes them.
    pub(crate) async_regs: UnsafeCell<[usize; crate::preempt::ASYNC_WORDS]>,
}

// SAFETY: the UnsafeCell fields follow the ownership rules documented on each field: `ctx` and
// `entry` are touched only by the G's current owner (status word hand-offs order the accesses),
// `sleep_timer` only by the running G itself.
unsafe impl Sync for G {}
// SAFETY: as above; a G is handed between threads only through run queues and status CASes.
unsafe impl Send for G {}

impl std::fmt::Debug for G {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("G").field("goid", &self.goid.load(Ordering::Relaxed)).field("status", &self.status.load()).finish_non_exhaustive()
    }
}

impl G {
    /// A new record with a fresh stack, in status Idle.
    pub(crate) fn new(stack: Stack) -> G {
        G {
            goid: AtomicU64::new(0),
            status: GStatusCell::new(GStatus::Idle),
            ctx: UnsafeCell::new(Context::default()),
            stack,
            entry: UnsafeCell::new(None),
            m: AtomicPtr::new(std::ptr::null_mut()),
            schedlink: AtomicPtr::new(std::ptr::null_mut()),
            preempt: AtomicBool::new(false),
            wait_reason: crate::sync::atomic::AtomicU8::new(0),
            sleep_timer: UnsafeCell::new(None),
            low_sp: AtomicUsize::new(usize::MAX),
            scan_gen: AtomicU64::new(0),
            scan_request: AtomicBool::new(false),
            worker_mode: crate::sync::atomic::AtomicU8::new(0),
            async_regs: UnsafeCell::new([0; crate::preempt::ASYNC_WORDS]),
            async_sp: AtomicUsize::new(0),
        }
    }

    /// Lowers `low_sp` to `sp` if it is deeper. Caller owns the G (see the field).
    #[inline]
    pub(crate) fn note_sp(&self, sp: usize) {
        // Relaxed: owner-only; load + store, no RMW.
        if sp < self.low_sp.load(Ordering::Relaxed) {
            self.low_sp.store(sp, Ordering::Relaxed);
        }
    }

    /// Zeroes the part of a dead G's stack it used, so that the next goroutine to get this
    /// stack does not inherit its words: a new goroutine's frames leave padding and unused
    /// slots unwritten, and the conservative scan would take a stale heap address there for a
    /// live reference for as long as that goroutine runs (issue 9 item 5; a cleanup test's
    /// object was kept alive forever by the background sweeper, which had reused the stack of
    /// the goroutine that allocated it). Called on g0 after the G's final switch, before it goes
    /// back to a free list.
    ///
    /// The G used its stack down to about `low_sp` (its deepest switch-out or no-preempt
    /// section: allocation, barrier, runtime locks; the collector's deep work runs on the
    /// system stack), plus the frames of leaf calls below that nobody recorded (`SLACK`).
    /// `[low_sp, hi)` was written by the G, so it is zeroed outright (its lines are usually
    /// still in this core's cache); in `[low_sp - SLACK, low_sp)` words are read and only
    /// nonzero ones written — lines the G never wrote are neither dirtied nor committed (a
    /// read of an untouched page maps the shared zero page). W8's spawn loops spent ~300 ns a
    /// goroutine when the exit zeroed whole pages (and read 4 KiB more), and still most of that
    /// with a 2 KiB zeroed or 1 KiB read slack: those lines were last touched 10,000
    /// goroutines earlier, so every one was a cache miss.
    pub(crate) fn clear_dead_stack(&self) {
        /// Below the lowest recorded SP: frames of calls made after the last record (the
        /// switch itself, a leaf function) that we did not see. Debug builds' frames are several
        /// times larger.
        /// Every runtime and collector lock raises a no-preempt section, so the allocation
        /// slow paths record their depth where they lock; what is left below is leaf frames.
        const SLACK: usize = if cfg!(debug_assertions) { 16 << 10 } else { 256 };
        let (lo_stack, hi) = (self.stack.lo(), self.stack.hi());
        let low = self.low_sp.load(Ordering::Relaxed).clamp(lo_stack, hi) & !7;
        // SAFETY: the G is dead and off-CPU, and nobody else owns it yet (it is not on a free
        // list): `[low, hi)` is inside its stack mapping, and the G wrote it.
        unsafe { std::ptr::write_bytes(low as *mut u8, 0, hi - low) };
        let mut p = low.saturating_sub(SLACK).max(lo_stack) & !7;
        while p < low {
            // SAFETY: inside the dead G's stack mapping (readable and writable above the
            // guard); a read of an untouched page maps the zero page, and we write only words
            // that are nonzero, which live on pages that are already committed.
            unsafe {
                let w = p as *mut usize;
                if std::ptr::read_volatile(w) != 0 {
                    w.write(0);
                }
            }
            p += 8;
        }
        self.low_sp.store(usize::MAX, Ordering::Relaxed);
    }

    pub(crate) fn goid(&self) -> u64 {
        self.goid.load(Ordering::Relaxed)
    }

    pub(crate) fn as_ptr(&'static self) -> *mut G {
        self as *const G as *mut G
    }
}
