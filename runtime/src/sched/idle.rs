//! Idle Ps, idle Ms and spinning Ms: `pidleput`/`pidleget`, `acquirep`/`releasep`, `wakep`,
//! `startm`, `stopm`, `handoffp` (Go's proc.go "Worker thread parking/unparking").
//!
//! Spinning protocol, cited as "step N" in the code:
//! 1. A submitter makes work visible (run-queue push, timer add), issues `fence(SeqCst)`, then
//!    reads `nmspinning`; if it is zero it starts one spinning M on an idle P (`wakep`).
//! 2. A spinning M that finds work stops spinning and calls `wakep`, so that another M keeps
//!    looking for the rest (`reset_spinning`).
//! 3. A spinning M that finds nothing releases its P, decrements `nmspinning`, issues
//!    `fence(SeqCst)`, then re-checks every P's run queue; finding work, it takes an idle P back
//!    and spins again.
//!
//! 4. A submitter or re-checker that finds work but no idle P sets `needspinning` under the lock
//!    (`pidleget_spinning`); an M that is about to drop its P without having spun checks it
//!    under the same lock and becomes a spinner instead (Go's `needspinning`, the "delicate
//!    dance"). Without it, an M that skipped stealing because it read a transient
//!    `nmspinning` — a `wakep` between its CAS and its failed `pidleget` — drops its P and
//!    sleeps, and the work waits behind a goroutine that may never yield (found by
//!    `tests/mutex_fairness.rs`).
//!
//! Steps 1 and 3 are the two halves of a store-buffering pattern: either the submitter sees the
//! spinner (which then sees the work in step 3), or the spinner's re-check sees the work; step 4
//! covers the Ms that do not spin. Work is never stranded on a queue while a P is idle and every
//! M sleeps.
//!
//! Timer sleeping: an M that goes idle while some P has timers sleeps until the earliest one as
//! the single *timer M* (`Locked::timer_m`, deadline in `Sched::timer_until`); adding an earlier
//! timer kicks it (`wake_for_timer`), as Go's `wakeNetPoller` breaks the netpoller's sleep.

use super::{Locked, Sched};
use crate::debug::trace;
use crate::m::{set_current_m, M};
use crate::p::{PStatus, P};
use crate::sync::atomic::{fence, Ordering};
use crate::time::nanotime;
use std::time::Duration;

/// Puts `p` on the idle list — unless a goroutine suspended for a time slice waits for a P
/// (`Locked::pwait`): then `p` goes to its M, as a runnable goroutine would take it. Caller
/// holds `sched.lock`, no stop is pending, and it owns `p`, whose run queue is empty.
pub(crate) fn pidleput(s: &Sched, l: &mut Locked, p: &'static P) {
    debug_assert!(p.runq.is_empty(), "runtime: pidleput: P{} has runnable Gs", p.id);
    if hand_to_waiter(s, l, p) {
        return;
    }
    p.m.store(std::ptr::null_mut(), Ordering::Relaxed);
    p.set_status(PStatus::Idle);
    l.pidle.push(p.id);
    // Relaxed: npidle is a racy hint; the list under the lock is authoritative.
    s.npidle.fetch_add(1, Ordering::Relaxed);
}

/// Hands `p` (owned by the caller, lock held, no stop pending) to the oldest M in `pwait`,
/// whose suspended goroutine then resumes on it (`preempt/signal.rs`). False if none waits.
pub(crate) fn hand_to_waiter(s: &Sched, l: &mut Locked, p: &'static P) -> bool {
    let Some(w) = l.pwait.pop_front() else { return false };
    // Relaxed: a hint for `find_runnable` and sysmon; the list under the lock decides.
    s.npwait.store(l.pwait.len() as u32, Ordering::Relaxed);
    p.m.store(std::ptr::null_mut(), Ordering::Relaxed);
    // A new goroutine on the P as far as sysmon's time slice (and `find_runnable`'s
    // alternation between waiters and the global queue) can tell. Relaxed: the P's owner (us,
    // until the hand-over).
    let tick = p.schedtick.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    // The waiter's goroutine was suspended by the signal (it reached no safepoint in time):
    // the next stop signals it at once, as one it had to signal before
    // (`signal::preempt_unswitched`). Relaxed: a hint, like the tick itself.
    p.stop_tick.store(tick, Ordering::Relaxed);
    p.set_status(PStatus::Idle);
    trace::ev("hand_to_waiter", p.id as u64, w.id);
    // Relaxed: the note's wake-up (Release) and sleep (Acquire) hand the P over.
    w.nextp.store(p as *const P as *mut P, Ordering::Relaxed);
    w.async_note.wakeup();
    true
}

/// Queues `m`, whose goroutine is suspended on its thread (a time slice, a rescued system
/// call), on `pwait` to wait for a P. Caller holds the lock; `pwait_sleep` follows once it is
/// released. Allocation-free: signal handlers call it.
pub(crate) fn pwait_enqueue(s: &Sched, l: &mut Locked, m: &'static M) {
    m.async_note.clear();
    m.nextp.store(std::ptr::null_mut(), Ordering::Relaxed);
    l.pwait.push_back(m);
    // Relaxed: a hint (`Sched::npwait`).
    s.npwait.store(l.pwait.len() as u32, Ordering::Relaxed);
}

/// Sleeps until `hand_to_waiter` hands `m` (queued by `pwait_enqueue`) a P, and binds it.
pub(crate) fn pwait_sleep(m: &'static M) -> &'static P {
    m.async_note.sleep();
    // Acquire: `hand_to_waiter` stored the P before the note's wake-up.
    let p = m.nextp.swap(std::ptr::null_mut(), Ordering::Acquire);
    // SAFETY: Ps live in the never-freed scheduler.
    let p = unsafe { p.as_ref() }.unwrap_or_else(|| crate::throw!("runtime: M{} woke on pwait without a P", m.id));
    acquirep(m, p);
    p
}

/// Takes an idle P. Caller holds `sched.lock`. The P stays Idle until `acquirep`.
pub(crate) fn pidleget(s: &'static Sched, l: &mut Locked) -> Option<&'static P> {
    let id = l.pidle.pop()?;
    s.npidle.fetch_sub(1, Ordering::Relaxed);
    Some(&s.allp[id])
}

/// `pidleget` for a caller that found work (step 4): failing, it tells Ms about to drop
/// their P that a spinner is needed.
pub(crate) fn pidleget_spinning(s: &'static Sched, l: &mut Locked) -> Option<&'static P> {
    let p = pidleget(s, l);
    if p.is_none() {
        s.needspinning.store(1, Ordering::Relaxed);
    }
    p
}

/// Takes the specific idle P `p` if it is on the idle list.
pub(crate) fn pidletake(s: &'static Sched, l: &mut Locked, p: &P) -> bool {
    match l.pidle.iter().position(|&id| id == p.id) {
        Some(i) => {
            l.pidle.swap_remove(i);
            s.npidle.fetch_sub(1, Ordering::Relaxed);
            true
        }
        None => false,
    }
}

/// Binds `p` (Idle, taken off the idle list or handed over) to `m`.
pub(crate) fn acquirep(m: &'static M, p: &'static P) {
    if !p.cas_status(PStatus::Idle, PStatus::Running) {
        crate::throw!("runtime: acquirep: P{} status is {:?}, want Idle", p.id, p.status());
    }
    p.m.store(m as *const M as *mut M, Ordering::Relaxed);
    m.p.store(p as *const P as *mut P, Ordering::Relaxed);
}

/// Unbinds `m`'s P and returns it, still Running; the caller sets its next status.
pub(crate) fn releasep(m: &M) -> &'static P {
    let p = m.p().unwrap_or_else(|| crate::throw!("runtime: releasep: M has no P"));
    m.p.store(std::ptr::null_mut(), Ordering::Relaxed);
    p.m.store(std::ptr::null_mut(), Ordering::Relaxed);
    p
}

/// Step 1: after making work visible, start a spinning M if none is looking and a P is idle.
pub(crate) fn wakep(s: &'static Sched) {
    wakep_as(s, false);
}

/// `wakep`, with the M counted as restarted (`startm_as`) when `restarted`.
pub(crate) fn wakep_as(s: &'static Sched, restarted: bool) {
    // StoreLoad: the caller's publication of work must be visible before we read nmspinning
    // (pairs with the fence in step 3, `find_runnable`).
    fence(Ordering::SeqCst);
    if s.cfg.procs == 1 && s.npidle.load(Ordering::Relaxed) == 0 {
        // The only P is held. Its M always spins before dropping it (the steal gate
        // `2 * nmspinning < procs - npidle` is `0 < 1`), so its step-3 re-check sees our work;
        // no spinner could help. Saves the lock round trip on every `ready` with one P.
        return;
    }
    // Relaxed: the CAS below arbitrates; this is a fast exit.
    if s.nmspinning.load(Ordering::Relaxed) != 0 || s.nmspinning.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed).is_err() {
        trace::ev("wakep.spinner_exists", 0, 0);
        return;
    }
    let p = {
        let mut l = s.lock.lock();
        pidleget_spinning(s, &mut l)
    };
    trace::ev("wakep.pidleget", p.map_or(u64::MAX, |p| p.id as u64), 0);
    match p {
        Some(p) => startm_as(s, p, true, restarted),
        None => {
            s.nmspinning.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Step 2: a spinning M found work.
pub(crate) fn reset_spinning(s: &'static Sched, m: &M) {
    m.spinning.store(false, Ordering::Relaxed);
    let prev = s.nmspinning.fetch_sub(1, Ordering::AcqRel);
    if prev == 0 {
        crate::throw!("runtime: reset_spinning: nmspinning was {prev}");
    }
    wakep(s);
}

/// Marks `m` spinning; a new spinner satisfies any pending `needspinning` (step 4).
pub(crate) fn become_spinning(s: &Sched, m: &M) {
    s.needspinning.store(0, Ordering::Relaxed);
    m.spinning.store(true, Ordering::Relaxed);
    s.nmspinning.fetch_add(1, Ordering::AcqRel);
}

/// Runs `p` on an idle M (or a new one). `spinning` means the caller already counted the M in
/// `nmspinning`.
pub(crate) fn startm(s: &'static Sched, p: &'static P, spinning: bool) {
    startm_as(s, p, spinning, false);
}

/// `startm`; with `restarted`, the M is one a start-the-world hands a P: it counts in
/// `Sched::restarted` until its first scheduling pass (`stw.rs`, restart fairness).
pub(crate) fn startm_as(s: &'static Sched, p: &'static P, spinning: bool, restarted: bool) {
    if restarted {
        // Relaxed: read by the next stopper as a hint (it waits a bounded time).
        s.restarted.fetch_add(1, Ordering::Relaxed);
    }
    let m = mget(s);
    trace::ev("startm", p.id as u64, m.map_or(u64::MAX, |m| m.id));
    match m {
        Some(m) => {
            // Relaxed: published by the note's Release/Acquire with the P.
            m.restarted.store(restarted, Ordering::Relaxed);
            m.spinning.store(spinning, Ordering::Relaxed);
            // Relaxed: the note's Release/Acquire hands the P over.
            m.nextp.store(p as *const P as *mut P, Ordering::Relaxed);
            m.park.wakeup();
        }
        None => newm(s, p, spinning, restarted),
    }
}

/// Takes an idle M off the list (it is no longer the timer M, if it was).
pub(crate) fn mget(s: &Sched) -> Option<&'static M> {
    let mut l = s.lock.lock();
    let m = l.midle.pop();
    if let Some(m) = m {
        forget_timer_m(s, &mut l, m);
    }
    m
}

fn forget_timer_m(s: &Sched, l: &mut Locked, m: &M) {
    if l.timer_m.is_some_and(|t| std::ptr::eq(t, m)) {
        l.timer_m = None;
        s.timer_until.store(i64::MAX, Ordering::Release);
    }
    m.sleep_until.store(i64::MAX, Ordering::Relaxed);
}

/// Creates an M thread that starts by running `p`.
fn newm(s: &'static Sched, p: &'static P, spinning: bool, restarted: bool) {
    newm_with(s, Some(p), std::ptr::null_mut(), spinning, restarted);
}

/// Creates an M thread that first runs `job` (if non-null), then `p` (if any), then the
/// scheduler loop.
pub(crate) fn newm_with(s: &'static Sched, p: Option<&'static P>, job: *mut crate::stw::StwJob, spinning: bool, restarted: bool) {
    let id = s.mnext.fetch_add(1, Ordering::Relaxed);
    let m: &'static M = Box::leak(Box::new(M::new(id)));
    m.spinning.store(spinning, Ordering::Relaxed);
    m.restarted.store(restarted, Ordering::Relaxed);
    m.nextp.store(p.map_or(std::ptr::null_mut(), |p| p as *const P as *mut P), Ordering::Relaxed);
    m.job.store(job, Ordering::Relaxed);
    std::thread::Builder::new()
        .name(format!("tricolor-m{id}"))
        .stack_size(1 << 20)
        .spawn(move || mstart(s, m))
        .unwrap_or_else(|e| crate::throw!("runtime: cannot create OS thread for M{id}: {e}"));
}

/// An M thread's body: bind the handed-over P and run the scheduler forever.
fn mstart(s: &'static Sched, m: &'static M) {
    set_current_m(m);
    crate::os::signal::ensure_altstack();
    crate::os::tight_timers();
    let job = m.job.swap(std::ptr::null_mut(), Ordering::Acquire);
    if !job.is_null() {
        crate::stw::run_job(s, job);
    }
    // Acquire: thread spawn already orders this; kept explicit for symmetry with stopm.
    let p = m.nextp.swap(std::ptr::null_mut(), Ordering::Acquire);
    // SAFETY: Ps live in the never-freed scheduler.
    if let Some(p) = unsafe { p.as_ref() } {
        acquirep(m, p);
    }
    // Goroutine bodies catch their own panics (the spawn packet); anything that unwinds this
    // far left the scheduler half-updated on this M (a `for_each_p` callback, an invariant
    // check written as a panic): nothing can go on, and a dead M thread would hang the process.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| super::schedule::schedule_loop(s, m)));
    let p = match r {
        Err(p) => p,
        Ok(never) => never,
    };
    let why = crate::debug::panic_message(&*p).unwrap_or("");
    crate::throw!("runtime: a panic unwound into the scheduler of M{} ({why}); the runtime cannot continue", m.id)
}

/// Parks `m` (which holds no P) until `startm` hands it a P, or until `until` (a nanotime
/// deadline) passes. Returns with a P bound, or without one after a timer wake-up that found
/// every P busy.
pub(crate) fn stopm(s: &'static Sched, m: &'static M, until: Option<i64>) {
    debug_assert!(m.p().is_none(), "runtime: stopm: M{} holds a P", m.id);
    m.restart_pass_done(s);
    crate::g::trim_stacks(s);
    m.park.clear();
    let timed = {
        let mut l = s.lock.lock();
        let timed = match until {
            Some(t) if t < s.timer_until.load(Ordering::Acquire) => {
                l.timer_m = Some(m);
                s.timer_until.store(t, Ordering::Release);
                m.sleep_until.store(t, Ordering::Relaxed);
                Some(t)
            }
            _ => None,
        };
        l.midle.push(m);
        timed
    };
    trace::ev("stopm.sleep", timed.is_some() as u64, 0);
    let handed = match timed {
        None => {
            m.park.sleep();
            true
        }
        Some(t) => {
            let wait = Duration::from_nanos(t.saturating_sub(nanotime()).max(0) as u64);
            if m.park.sleep_timeout(wait) {
                true
            } else {
                let mut l = s.lock.lock();
                match l.midle.iter().position(|x| std::ptr::eq(*x, m)) {
                    Some(i) => {
                        // Our deadline passed and nobody took us: we wake ourselves.
                        l.midle.swap_remove(i);
                        forget_timer_m(s, &mut l, m);
                        false
                    }
                    None => {
                        // A waker took us off the list and is about to signal the note.
                        drop(l);
                        m.park.sleep();
                        true
                    }
                }
            }
        }
    };
    trace::ev("stopm.woke", handed as u64, m.nextp.load(Ordering::Relaxed) as u64);
    // A stop-the-world job (parallel marking): run it, and return without a P; the caller
    // parks again (the world is still stopped).
    let job = m.job.swap(std::ptr::null_mut(), Ordering::Acquire);
    if !job.is_null() {
        crate::stw::run_job(s, job);
        return;
    }
    let p = if handed { m.nextp.swap(std::ptr::null_mut(), Ordering::Acquire) } else { std::ptr::null_mut() };
    // SAFETY: Ps live in the never-freed scheduler.
    match unsafe { p.as_ref() } {
        Some(p) => acquirep(m, p),
        None => {
            // A timer is due (deadline passed, or `wake_for_timer` kicked us): find a P and
            // look for work as a spinning M, which runs every P's expired timers.
            let p = {
                let mut l = s.lock.lock();
                if s.gcwaiting.load(Ordering::Acquire) {
                    None
                } else {
                    pidleget(s, &mut l)
                }
            };
            if let Some(p) = p {
                acquirep(m, p);
                become_spinning(s, m);
            }
        }
    }
}

/// A timer at `when` was added or moved earlier: make sure some M will wake for it.
pub(crate) fn wake_for_timer(s: &'static Sched, when: i64) {
    // Step 1's fence: the timer is in a heap before we look at who sleeps.
    fence(Ordering::SeqCst);
    // An M blocked in epoll_wait until a later deadline (poll point 2 of `netpoll/mod.rs`).
    if let Some(np) = crate::netpoll::get() {
        np.wake_for_timer(when);
    }
    if when >= s.timer_until.load(Ordering::Acquire) {
        return; // the timer M wakes early enough
    }
    let kicked = {
        let mut l = s.lock.lock();
        match l.timer_m {
            Some(tm) if tm.sleep_until.load(Ordering::Relaxed) > when => {
                if let Some(i) = l.midle.iter().position(|x| std::ptr::eq(*x, tm)) {
                    l.midle.swap_remove(i);
                }
                forget_timer_m(s, &mut l, tm);
                Some(tm)
            }
            _ => None,
        }
    };
    match kicked {
        Some(tm) => {
            tm.nextp.store(std::ptr::null_mut(), Ordering::Relaxed);
            tm.park.wakeup();
        }
        None => wakep(s),
    }
}

/// Hands off `p`, released by an M entering `blocking` (Go's `handoffp`): to an M if it has
/// work, to the stop-the-world or `for_each_p` caller if one waits, else to the idle list.
pub(crate) fn handoffp(s: &'static Sched, p: &'static P) {
    if !p.runq.is_empty() || s.runq_size.load(Ordering::Relaxed) != 0 {
        startm(s, p, false);
        return;
    }
    // No local work: if nobody is spinning and no P is idle, this P may be needed to find work
    // that appears later; start a spinner (Go: "no local work, check that there are no
    // spinning/idle M's, otherwise our help is not required").
    if s.nmspinning.load(Ordering::Relaxed) + s.npidle.load(Ordering::Relaxed) == 0
        && s.nmspinning.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed).is_ok()
    {
        startm(s, p, true);
        return;
    }
    let mut l = s.lock.lock();
    if s.gcwaiting.load(Ordering::Acquire) {
        crate::stw::gcstop_p(s, &mut l, p);
        return;
    }
    if p.run_safe_point_fn.load(Ordering::Acquire) != 0 {
        drop(l);
        crate::stw::run_safe_point_fn(s, p);
        l = s.lock.lock();
    }
    if l.runq.len() != 0 {
        drop(l);
        startm(s, p, false);
        return;
    }
    pidleput(s, &mut l, p);
    drop(l);
    if let Some(when) = p.timers.next_when() {
        wake_for_timer(s, when);
    }
}
