//! Parking and readying goroutines: `mcall` (switch to g0 with an action), `park` (Go's
//! `gopark`), `ready` (Go's `goready`), `yield_now` (Go's `Gosched`).
//!
//! Park protocol: a waiting G publishes itself to its wait structure only in the *commit*, which
//! g0 runs after the G's context is saved and its status is Waiting. A waker that finds the G
//! therefore always finds it fully switched out, and `ready` never races with the G still
//! running. The commit usually releases the lock under which the G queued itself (Go's
//! `goparkunlock`) or registers the G with a CAS that can fail because the event already
//! happened, in which case it returns false and the G resumes at once.

use crate::arch::{Arch, Cpu};
use crate::g::{GStatus, G};
use crate::m::{current_m, SwitchOut, M};
use crate::preempt::NoPreempt;
use crate::sched::schedule::{globrunqput, runqput};
use crate::sched::{idle::wakep, sched};
use crate::sync::atomic::Ordering;

/// Why a goroutine is parked (Go's `waitReason`), shown by `debug::sched_dump`.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitReason {
    None = 0,
    Join,
    Sleep,
    ChanSend,
    ChanRecv,
    Mutex,
    WaitGroup,
    Cond,
    /// A mark worker in the pool (`gcworker.rs`).
    GcWorker,
    /// A socket not ready yet (`netpoll/pd.rs`).
    NetPoll,
}

impl WaitReason {
    pub(crate) fn from_u8(v: u8) -> WaitReason {
        use WaitReason::*;
        [None, Join, Sleep, ChanSend, ChanRecv, Mutex, WaitGroup, Cond, GcWorker, NetPoll].get(v as usize).copied().unwrap_or(None)
    }
}

/// The current goroutine and its M, or None on a thread that is not running a goroutine (a
/// foreign thread, or an M's g0).
#[inline]
pub(crate) fn current() -> Option<(&'static M, &'static G)> {
    let m = current_m()?;
    Some((m, m.curg()?))
}

/// Like `current`, panicking with a message naming `api` when not on a goroutine.
#[track_caller]
pub(crate) fn expect_goroutine(api: &str) -> (&'static M, &'static G) {
    current().unwrap_or_else(|| {
        panic!(
            "{api} called from a thread that is not running a goroutine; enter the runtime with \
             Runtime::block_on (or tricolor::block_on) and call it from there"
        )
    })
}

/// Switches from the current G to its M's g0, which performs `action`. Returns when the G is
/// resumed, possibly on another M: callers must re-read anything thread-bound.
pub(crate) fn mcall(action: SwitchOut) {
    let (m, g) = current().unwrap_or_else(|| crate::throw!("runtime: mcall from g0 or a foreign thread"));
    if std::thread::panicking() {
        // std keeps unwinding state per thread and we may resume on another one.
        crate::os::signal::fatal("goroutine tried to park or yield while unwinding a panic (a Drop impl blocked); this is not supported");
    }
    if crate::sched::system_stack::on_system_stack_now(m) {
        crate::throw!("runtime: goroutine tried to park, yield or switch on the system stack ({action:?})");
    }
    if !matches!(action, SwitchOut::Park(_) | SwitchOut::BlockingNoP) {
        debug_assert_eq!(m.locks.load(Ordering::Relaxed), 0, "runtime: goroutine switch inside a no-preempt section");
    }
    // SAFETY: only this thread touches its M's `switch_out`; g0 reads it after the switch.
    m.switch_out.with_mut(|a| unsafe { *a = action });
    let save = g.ctx.with_mut(|c| c);
    let load = m.g0.with(|c| c);
    // SAFETY: `g` is the running G on this M and owns `ctx`; `m.g0` holds the context g0 saved
    // when it switched to us in `execute`, and g0's stack is this thread's native stack.
    unsafe { Cpu::switch(save, load) };
}

/// Parks the current goroutine. `commit` runs on g0 once the G is switched out and Waiting; it
/// returns true to stay parked (someone will `ready` the G) or false to resume it at once.
pub(crate) fn park<F: FnOnce(&'static G) -> bool>(reason: WaitReason, commit: F) {
    if let Some((_, g)) = current() {
        // Relaxed: diagnostic only.
        g.wait_reason.store(reason as u8, Ordering::Relaxed);
    }
    let mut commit = Some(commit);
    let mut call = move |g: &'static G| (commit.take().unwrap_or_else(|| crate::throw!("runtime: park commit ran twice")))(g);
    let dynref: &mut (dyn FnMut(&'static G) -> bool + '_) = &mut call;
    let raw = dynref as *mut (dyn FnMut(&'static G) -> bool + '_);
    // The closure lives in this frame, which stays alive until the G resumes; g0 calls it
    // exactly once, before any waker can resume the G: the only window the pointer is used in.
    // SAFETY: lifetime erasure valid for that window (closure outlives its single use).
    let erased: *mut (dyn FnMut(&'static G) -> bool + 'static) = unsafe { std::mem::transmute(raw) };
    mcall(SwitchOut::Park(erased));
}

/// Makes a Waiting goroutine runnable (Go's `goready`): into the current P's `runnext` if the
/// caller holds a P, else onto the global queue; then wakes an idle P if needed.
pub(crate) fn ready(g: &'static G) {
    make_ready(g, false)
}

/// Makes a waiting G runnable on the global run queue (Go's `injectglist`), for wakers whose
/// own P is busy with long work: a G put in the waker's `runnext` would wait there until the
/// waker's P schedules again, since thieves with local work never steal it (found with the W6
/// bench: the cleanup goroutine sat behind a `collect()` for its whole sweep).
pub(crate) fn ready_global(g: &'static G) {
    make_ready(g, true)
}

fn make_ready(g: &'static G, global: bool) {
    let s = sched();
    g.status.cas(GStatus::Waiting, GStatus::Runnable);
    let _np = NoPreempt::new();
    let p = if global { None } else { current_m().and_then(|m| m.p()) };
    crate::debug::trace::ev("ready", g.goid(), p.map_or(u64::MAX, |p| p.id as u64));
    match p {
        Some(p) => runqput(s, p, g, true),
        None => globrunqput(s, g),
    }
    wakep(s);
}

/// Makes every goroutine of `list` (Waiting) runnable on the global run queue under one lock
/// round, then wakes an idle P (Go's `injectglist`). For the network poller, which may run
/// without a P, while the world is stopped, and while scanners hold the goroutines' scan bits:
/// the status CAS waits only for such a scanner, which is on its CPU and never waits for the
/// goroutine (`g/status.rs`), never for the stop to end (seed 000).
pub(crate) fn ready_list_global(s: &'static crate::sched::Sched, list: &[&'static G]) {
    if list.is_empty() {
        return;
    }
    for g in list {
        g.status.cas(GStatus::Waiting, GStatus::Runnable);
        crate::debug::trace::ev("ready", g.goid(), u64::MAX);
    }
    {
        let mut l = s.lock.lock();
        for g in list {
            l.runq.push_back(g);
        }
        // Relaxed: the queue's size hint, as in `globrunqput`.
        s.runq_size.store(l.runq.len() as u32, Ordering::Relaxed);
    }
    wakep(s);
}

/// Yields the processor: the current goroutine goes to the back of its P's run queue, or of
/// the global queue when goroutines wait there (see `schedule.rs`, `SwitchOut::Yield`).
pub fn yield_now() {
    let (m, g) = expect_goroutine("yield_now");
    // A yield is a safepoint for a collector's self-scan request too: a goroutine that yields
    // in a loop but never polls `safepoint()` must not hold up a concurrent mark.
    if !crate::preempt::preempt_disabled(m) {
        crate::preempt::honour_scan_request(g);
    }
    mcall(SwitchOut::Yield);
}
