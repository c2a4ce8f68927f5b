//! sysmon (reference §7.3, Go's `sysmon`): a runtime thread without a P. Each round it
//! - **retakes Ps from blocking calls** (Go's `retake` of `_Psyscall`): a P left in Syscall by
//!   `blocking(..)` whose call has lasted a whole round is CASed to Idle and handed off
//!   (`handoffp`), unless nothing needs it yet — its run queue is empty, some P is idle or some
//!   M spins, and the call is under 10 ms (Go's rule). A P a goroutine gave up for a time slice
//!   (`P::slice_handoff`) is retaken at once and started on an M;
//! - **preempts a goroutine that has held its P for 10 ms** while others wait — goroutines on
//!   that P's queue or the global one, goroutines suspended for a time slice (`pwait`), timers
//!   due on that P (which only its scheduler runs) or the collector's mark workers: first at its
//!   next safepoint (`G::preempt`), then, if it has not switched 100 µs later, by the
//!   preemption signal, whose handler suspends it and gives its P up (`preempt/signal.rs`);
//! - runs the collector's time-based duties through the seam (`hooks::sysmon_tick`, at most
//!   once a millisecond: the periodic collection, Go's `forcegc`).
//!
//! Its sleep adapts as Go's does: 20 µs after a round that retook or preempted something,
//! doubling after 50 quiet rounds up to 1 ms while some P is busy and 20 ms when every P is
//! idle. While it sleeps a millisecond or more (`Sched::sysmon_deep`), a goroutine entering
//! `blocking(..)` wakes it (`kick`, one futex wake per quiet spell), so a blocked P is retaken
//! within 20-40 µs. A kick that races with sysmon going to sleep is lost: that call's P is
//! retaken within the long sleep instead (≤ 1 ms) — a delay, never a hang.
//!
//! - **polls the network** when no M has for 10 ms (poll point 3 of `netpoll/mod.rs`), so
//!   goroutines whose sockets are ready run even while every M is busy.
//!
//! Why it exists: stop-the-world collections preempted every goroutine many times a second,
//! which hid that a loop polling `safepoint()` but never yielding keeps its P from everything
//! queued behind it. With concurrent marking the stops are rare and short, and such loops
//! starved the collector's own helpers and every sleeper (`tests/seed001_collect_loop.rs`).

use crate::p::{PStatus, P};
use crate::sched::Sched;
use crate::sync::atomic::Ordering;
use crate::time::nanotime;
use std::time::Duration;

/// How long a goroutine may keep its P while others wait.
const FORCE_PREEMPT_NS: i64 = 10_000_000;
/// How long a goroutine asked to yield at its safepoint gets before the signal.
const SIGNAL_AFTER_NS: i64 = 100_000;
/// A blocking call this long loses its P even when idle Ps could take new work (Go's 10 ms).
const SYSCALL_RETAKE_NS: i64 = 10_000_000;
/// Sleep bounds (µs): the shortest, the longest while some P is busy, and while all are idle.
const MIN_DELAY_US: u64 = 20;
const BUSY_DELAY_US: u64 = 1_000;
const IDLE_DELAY_US: u64 = 20_000;
/// Quiet rounds before the sleep starts doubling (Go: 50).
const QUIET_ROUNDS: u32 = 50;

/// Ps retaken from blocking calls (statistics; std atomic, like the signal counters).
pub(crate) static RETAKES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// What sysmon saw of one P.
#[derive(Clone, Copy)]
pub(crate) struct Seen {
    /// `schedtick` and when it was first seen.
    tick: u32,
    since: i64,
    /// When the running goroutine was asked to yield at its safepoint (0: not asked).
    asked: i64,
    /// `syscalltick` and when it was first seen.
    sctick: u32,
    scsince: i64,
}

impl Seen {
    pub(crate) const NOTHING: Seen = Seen { tick: u32::MAX, since: 0, asked: 0, sctick: u32::MAX, scsince: 0 };

    /// Seen in the blocking call numbered `sctick` since `scsince` (loom models).
    #[cfg(all(loom, test))]
    pub(crate) fn in_call(sctick: u32, scsince: i64) -> Seen {
        Seen { sctick, scsince, ..Seen::NOTHING }
    }
}

/// Starts the thread (once, with the scheduler).
pub(crate) fn start(s: &'static Sched) {
    let spawned = std::thread::Builder::new().name("tricolor-sysmon".into()).spawn(move || run(s));
    if let Err(e) = spawned {
        crate::throw!("runtime: cannot start sysmon: {e}");
    }
}

/// Wakes sysmon from a long sleep (called by `blocking(..)` on entry; cheap when it is not).
#[inline]
pub(crate) fn kick(s: &Sched) {
    // Relaxed load: the fast exit; the swap decides who wakes it (one kicker per sleep).
    if s.sysmon_deep.load(Ordering::Relaxed) && s.sysmon_deep.swap(false, Ordering::AcqRel) {
        s.sysmon_note.wakeup();
    }
}

fn run(s: &'static Sched) -> ! {
    crate::os::tight_timers();
    let mut seen = vec![Seen::NOTHING; s.allp.len()];
    let mut delay = MIN_DELAY_US;
    let mut quiet = 0u32;
    let mut busy = true;
    let mut last_hook = 0i64;
    loop {
        if quiet == 0 {
            delay = MIN_DELAY_US;
        } else if quiet > QUIET_ROUNDS {
            delay *= 2;
        }
        delay = delay.min(if busy { BUSY_DELAY_US } else { IDLE_DELAY_US });
        s.sysmon_note.clear();
        let deep = delay >= BUSY_DELAY_US;
        if deep {
            // Release: pairs with `kick`'s swap (the clear above happens before its wake-up).
            s.sysmon_deep.store(true, Ordering::Release);
        }
        let kicked = s.sysmon_note.sleep_timeout(Duration::from_micros(delay));
        if deep {
            s.sysmon_deep.store(false, Ordering::Relaxed);
        }
        let now = nanotime();
        let (mut acted, any_busy) = round(s, &mut seen, now);
        // Poll point 3 (`netpoll/mod.rs`): nobody has polled the network for 10 ms.
        if let Some(np) = crate::netpoll::get() {
            acted |= np.sysmon_poll(s, now);
        }
        busy = any_busy;
        quiet = if acted || kicked { 0 } else { quiet + 1 };
        if now - last_hook >= 1_000_000 {
            last_hook = now;
            crate::hooks::sysmon_tick();
        }
    }
}

/// One pass over the Ps. Returns whether it retook or preempted anything, and whether any P
/// was busy (running or in a blocking call).
fn round(s: &'static Sched, seen: &mut [Seen], now: i64) -> (bool, bool) {
    let mut acted = false;
    let mut busy = false;
    for (p, last) in s.allp.iter().zip(seen.iter_mut()) {
        match p.status() {
            PStatus::Running => {
                busy = true;
                last.sctick = u32::MAX;
                acted |= time_slice(s, p, last, now);
            }
            PStatus::Syscall => {
                busy = true;
                last.tick = u32::MAX;
                acted |= retake_syscall(s, p, last, now);
            }
            _ => {
                last.tick = u32::MAX;
                last.sctick = u32::MAX;
            }
        }
    }
    (acted, busy)
}

/// The time slice of P `p`'s running goroutine (module docs).
fn time_slice(s: &Sched, p: &P, last: &mut Seen, now: i64) -> bool {
    // Relaxed: a racy snapshot; a missed change only delays a request by a round.
    let tick = p.schedtick.load(Ordering::Relaxed);
    if tick != last.tick {
        *last = Seen { tick, since: now, asked: 0, ..*last };
        return false;
    }
    // SAFETY: M records are never freed; the G read through it may have moved on, in which
    // case the request lands on whatever runs there now (harmless: it yields once).
    let Some(m) = (unsafe { p.m.load(Ordering::Acquire).as_ref() }) else { return false };
    if last.asked != 0 {
        if now - last.asked < SIGNAL_AFTER_NS {
            return false;
        }
        // Asked again with the signal: another goroutine's safepoint may have cleared the
        // shared pending bit, and a handler that found the world stopping dropped the flag.
        // Every 100 µs at most, and not counted as acting (the rounds may back off): a
        // goroutine busy in system calls the rescue cannot take (a write that completes)
        // would otherwise draw a signal every 20 µs.
        ask(s, m);
        last.asked = now;
        crate::preempt::signal::preempt_m(m);
        return false;
    }
    // A marking cycle's workers count as waiting: a fractional or dedicated worker is chosen
    // when the P next schedules (`sched/gcworker.rs`).
    let waiting = !p.runq.is_empty()
        || s.runq_size.load(Ordering::Relaxed) > 0
        || s.npwait.load(Ordering::Relaxed) > 0
        || p.timers.next_when().is_some_and(|w| w <= now)
        || s.gc_workers_on.load(Ordering::Relaxed);
    if now - last.since < FORCE_PREEMPT_NS || !waiting {
        return false;
    }
    ask(s, m);
    last.asked = now;
    true
}

/// Asks the goroutine `m` runs to give up its P at its next safepoint.
fn ask(s: &Sched, m: &crate::m::M) {
    let Some(g) = m.curg() else { return };
    // Relaxed: the flag is honoured at the next safepoint that sees the pending bit, or by
    // the signal handler (same thread as the goroutine).
    g.preempt.store(true, Ordering::Relaxed);
    s.safepoint_pending.fetch_or(crate::sched::pending::PREEMPT, Ordering::Release);
}

/// Retakes P `p` from a blocking call or a time-slice suspension (module docs).
pub(crate) fn retake_syscall(s: &'static Sched, p: &'static P, last: &mut Seen, now: i64) -> bool {
    // Acquire: pairs with the Release of the handler's store under the lock; it is set before
    // the P's status becomes Syscall, so seeing Syscall and the flag means the P is ours to hand.
    if p.slice_handoff.load(Ordering::Acquire) {
        if p.cas_status(PStatus::Syscall, PStatus::Idle) {
            p.slice_handoff.store(false, Ordering::Relaxed);
            // Always to an M, whatever the P holds: its goroutines, timers and the global
            // queue are why its goroutine was made to give it up.
            crate::sched::idle::startm(s, p, false);
            return true;
        }
        return false;
    }
    // Relaxed: racy snapshot (as `schedtick`).
    let tick = p.syscalltick.load(Ordering::Relaxed);
    if tick != last.sctick {
        last.sctick = tick;
        last.scsince = now;
        return false;
    }
    let needed = !p.runq.is_empty()
        || s.nmspinning.load(Ordering::Relaxed) + s.npidle.load(Ordering::Relaxed) == 0
        || p.timers.next_when().is_some_and(|w| w <= now)
        || now - last.scsince >= SYSCALL_RETAKE_NS;
    if !needed || !p.cas_status(PStatus::Syscall, PStatus::Idle) {
        return false;
    }
    last.sctick = u32::MAX;
    RETAKES.fetch_add(1, Ordering::Relaxed);
    crate::sched::idle::handoffp(s, p);
    true
}
