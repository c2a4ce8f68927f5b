//! Poll descriptors (Go's `pollDesc`): one per registered file descriptor, holding the read
//! and write waiter slots (`slot.rs`), the closing flag and the two deadlines with their
//! timers. Descriptors are never freed, only reused (Go's `pollCache`): the poller may still
//! hold an event for a descriptor that was closed and handed out again, so each carries an
//! incarnation number that the epoll tag repeats, and stale events are dropped.
//!
//! Waiting (`wait`) follows steps 1-5 of `slot.rs`; deadlines and `close` are its cancellers
//! (step 2's other half). A deadline is a runtime timer (`timer/`, `TimerFn::Deadline`) whose
//! firing cancels the wait if the deadline it finds has passed, so a deadline moved later in
//! between is not cut short.

use super::slot::{Prepare, Slot};
use crate::g::G;
use crate::sched::park::{park, ready, WaitReason};
use crate::sched::sched;
use crate::sync::atomic::{fence, AtomicBool, AtomicI32, AtomicI64, AtomicU64, Ordering};
use crate::time::nanotime;
use crate::timer::{TimerCore, TimerFn};
use std::sync::{Arc, OnceLock};

/// A direction of I/O.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// Waiting for the descriptor to be readable (or an accept to complete).
    Read,
    /// Waiting for it to be writable (or a connect to complete).
    Write,
}

/// Why a wait ended without readiness.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PollError {
    /// The descriptor was closed (`PollDesc::close`).
    Closing,
    /// The direction's deadline passed.
    TimedOut,
}

/// Incarnation bits kept in an epoll tag, above the 48-bit pointer.
const TAG_SHIFT: u32 = 48;
const PTR_MASK: u64 = (1 << TAG_SHIFT) - 1;

/// One registered descriptor's wait state.
#[derive(Debug)]
pub(crate) struct PollDesc {
    /// The file descriptor (diagnostics; written at allocation, before registration).
    pub(crate) fd: AtomicI32,
    /// Incarnation: bumped each time the descriptor is handed out. Written by the allocator
    /// under the free-list lock; read racily by the poller (a stale read drops or delivers
    /// one event to the wrong incarnation, which only causes a spurious wake-up).
    seq: AtomicU64,
    rg: Slot,
    wg: Slot,
    /// Set once by `close`; cleared only when the descriptor is reused.
    closing: AtomicBool,
    /// Deadlines in nanotime, 0 for none (Go's `rd`/`wd`).
    rd: AtomicI64,
    wd: AtomicI64,
    /// The deadline timers, made on first use and kept across incarnations.
    rt: OnceLock<Arc<TimerCore>>,
    wt: OnceLock<Arc<TimerCore>>,
}

impl PollDesc {
    pub(crate) fn new() -> PollDesc {
        PollDesc {
            fd: AtomicI32::new(-1),
            seq: AtomicU64::new(0),
            rg: Slot::new(),
            wg: Slot::new(),
            closing: AtomicBool::new(false),
            rd: AtomicI64::new(0),
            wd: AtomicI64::new(0),
            rt: OnceLock::new(),
            wt: OnceLock::new(),
        }
    }

    /// Resets a descriptor taken from the free list for `fd` (nobody else references it: its
    /// previous owner closed it and the poller's stale events fail the tag check below).
    pub(crate) fn reuse(&self, fd: i32) {
        // Relaxed: the descriptor is published to other threads by the epoll registration
        // (a system call) and by the socket it is stored in.
        self.fd.store(fd, Ordering::Relaxed);
        self.seq.fetch_add(1, Ordering::Relaxed);
        self.closing.store(false, Ordering::Relaxed);
        self.rd.store(0, Ordering::Relaxed);
        self.wd.store(0, Ordering::Relaxed);
        self.rg.finish();
        self.wg.finish();
    }

    /// The epoll user data for this incarnation.
    pub(crate) fn tag(&'static self) -> u64 {
        let p = self as *const PollDesc as u64;
        if p & !PTR_MASK != 0 {
            crate::throw!("netpoll: poll descriptor address {p:#x} does not fit a 48-bit tag");
        }
        // Relaxed: see `seq`.
        p | ((self.seq.load(Ordering::Relaxed) & 0xffff) << TAG_SHIFT)
    }

    /// The descriptor an epoll event names, if the event is for its current incarnation.
    pub(crate) fn from_tag(tag: u64) -> Option<&'static PollDesc> {
        let p = (tag & PTR_MASK) as *const PollDesc;
        // SAFETY: tags are made only by `tag` from descriptors that are never freed (the
        // cache leaks them), so the pointer is valid for 'static.
        let pd = unsafe { p.as_ref() }?;
        // Relaxed: see `seq`.
        ((pd.seq.load(Ordering::Relaxed) & 0xffff) == tag >> TAG_SHIFT).then_some(pd)
    }

    fn slot(&self, mode: Mode) -> &Slot {
        match mode {
            Mode::Read => &self.rg,
            Mode::Write => &self.wg,
        }
    }

    fn deadline(&self, mode: Mode) -> &AtomicI64 {
        match mode {
            Mode::Read => &self.rd,
            Mode::Write => &self.wd,
        }
    }

    /// The error state for `mode` (Go's `netpollcheckerr`).
    pub(crate) fn check(&self, mode: Mode) -> Result<(), PollError> {
        // Relaxed: step 2's fence orders this read after the slot's WAIT; elsewhere a stale
        // read only delays the error to the next wait.
        if self.closing.load(Ordering::Relaxed) {
            return Err(PollError::Closing);
        }
        let d = self.deadline(mode).load(Ordering::Relaxed);
        if d != 0 && nanotime() >= d {
            return Err(PollError::TimedOut);
        }
        Ok(())
    }

    /// Parks the current goroutine until the descriptor is ready for `mode`, its deadline
    /// passes or it is closed (Go's `netpollblock`). Ok means "retry the I/O": readiness may be
    /// spurious. The caller holds the direction's lock (one waiter per slot) and runs on a
    /// goroutine with a P.
    pub(crate) fn wait(&'static self, mode: Mode) -> Result<(), PollError> {
        self.check(mode)?;
        let slot = self.slot(mode);
        // Step 1.
        if slot.prepare() == Prepare::Ready {
            return Ok(());
        }
        // Step 2: pairs with the fence in `cancel`.
        fence(Ordering::SeqCst);
        if self.check(mode).is_ok() {
            let np = super::get().unwrap_or_else(|| crate::throw!("netpoll: wait before the poller was initialised"));
            np.waiter_added();
            // Step 3.
            park(WaitReason::NetPoll, |g: &'static G| slot.commit(g.as_ptr() as usize));
            np.waiter_removed();
        }
        // Step 5.
        if slot.finish() {
            return Ok(());
        }
        self.check(mode)
    }

    /// Step 4 for the poller: readiness for `mode`. Returns the goroutine to ready.
    pub(crate) fn ready_for(&self, mode: Mode) -> Option<&'static G> {
        self.slot(mode).unblock(true).map(token_to_g)
    }

    /// Step 2's canceller half, then step 4: a deadline or close cancels a wait on `mode`.
    fn cancel(&self, mode: Mode) {
        // Pairs with the fence in `wait`: our store of the error state is visible to a waiter
        // that set WAIT after our read of the slot.
        fence(Ordering::SeqCst);
        if let Some(g) = self.slot(mode).unblock(false).map(token_to_g) {
            ready(g);
        }
    }

    /// Sets the deadline for `mode` (nanotime; 0 removes it). A deadline already past cancels
    /// a current wait at once (Go's `poll_runtime_pollSetDeadline`).
    pub(crate) fn set_deadline(&'static self, mode: Mode, when: i64) {
        let s = sched();
        // Relaxed: the fence in `cancel` (or the timer's locks, for the firing) orders it.
        self.deadline(mode).store(when, Ordering::Relaxed);
        let cell = match mode {
            Mode::Read => &self.rt,
            Mode::Write => &self.wt,
        };
        if when == 0 {
            if let Some(t) = cell.get() {
                t.stop(s);
            }
            return;
        }
        if when <= nanotime() {
            if let Some(t) = cell.get() {
                t.stop(s);
            }
            self.cancel(mode);
            return;
        }
        let t = cell.get_or_init(|| Arc::new(TimerCore::new(TimerFn::Deadline(self, mode))));
        t.modify(s, when, 0);
    }

    /// The deadline timer for `mode` fired: cancel the wait if the deadline now set has passed
    /// (it may have been moved later, or removed, since the timer was armed).
    pub(crate) fn deadline_fired(&self, mode: Mode) {
        // Relaxed: a stale value either cancels a wait whose deadline is being moved (the
        // waiter's re-check then finds no error and waits again) or skips a cancel that the
        // re-armed timer performs.
        let d = self.deadline(mode).load(Ordering::Relaxed);
        if d != 0 && nanotime() >= d {
            self.cancel(mode);
        }
    }

    /// Marks the descriptor closing and wakes both waiters (Go's `poll_runtime_pollUnblock`).
    /// Every later wait fails with `Closing`.
    pub(crate) fn close(&self) {
        // Relaxed: the fence in `cancel` publishes it to waiters (step 2).
        self.closing.store(true, Ordering::Relaxed);
        for t in [self.rt.get(), self.wt.get()].into_iter().flatten() {
            t.stop(sched());
        }
        self.cancel(Mode::Read);
        self.cancel(Mode::Write);
    }

    /// Whether `close` was called.
    pub(crate) fn is_closing(&self) -> bool {
        // Relaxed: a hint for callers outside the wait protocol (plain threads polling).
        self.closing.load(Ordering::Relaxed)
    }
}

fn token_to_g(t: usize) -> &'static G {
    // SAFETY: tokens are published only by `wait`'s commit from a live `&'static G`; G
    // records are never freed (dead ones are reused from free lists).
    unsafe { &*(t as *const G) }
}
