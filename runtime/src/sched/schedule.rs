//! The loop every M runs on g0: find a runnable G, execute it, and when it switches back, do
//! what it asked (Go's `schedule`, `findRunnable`, `execute`, and the `mcall` targets).
//!
//! Invariants:
//! - A G's saved context is complete before g0 touches its status: g0 runs only after the G's
//!   `switch` returned into g0 (`mcall`), so every hand-off below happens with the G off-CPU.
//! - After a `Park` commit publishes the G (unlocks the structure it waits on), g0 never
//!   touches that G again: a waker may already be running it elsewhere.

use super::idle::{acquirep, become_spinning, pidleget, pidleget_spinning, pidleput, releasep, reset_spinning, stopm, wakep};
use super::Sched;
use crate::arch::{Arch, Cpu};
use crate::debug::trace;
use crate::g::{gfput, GStatus, G};
use crate::m::{SwitchOut, M};
use crate::p::P;
use crate::runq::local::PushOutcome;
use crate::sync::atomic::{fence, Ordering};

/// The M loop. Never returns.
pub(crate) fn schedule_loop(s: &'static Sched, m: &'static M) -> ! {
    let mut next: Option<&'static G> = None;
    loop {
        let (g, inherit) = match next.take() {
            Some(g) => (g, true),
            None => find_runnable(s, m),
        };
        if m.spinning.load(Ordering::Relaxed) {
            reset_spinning(s, m);
        }
        m.restart_pass_done(s);
        trace::ev("execute", g.goid(), m.p().map_or(u64::MAX, |p| p.id as u64));
        execute(m, g, inherit);
        next = after_switch(s, m, g);
    }
}

/// Switches to `g` on this M; returns when `g` switches back to g0.
fn execute(m: &'static M, g: &'static G, inherit: bool) {
    g.status.cas(GStatus::Runnable, GStatus::Running);
    g.m.store(m as *const M as *mut M, Ordering::Relaxed);
    m.curg.store(g.as_ptr(), Ordering::Relaxed);
    if !inherit {
        if let Some(p) = m.p() {
            p.schedtick.fetch_add(1, Ordering::Relaxed);
        }
    }
    // From here on, no-preempt sections run on `g`'s stack (`M::low_sp`).
    m.low_sp.store(usize::MAX, Ordering::Relaxed);
    let save = m.g0.with_mut(|c| c);
    let load = g.ctx.with(|c| c);
    // SAFETY: `g` is Running and owned by this M (the CAS above), so its context and stack are
    // ours to resume; `m.g0` is this thread's own g0 context and outlives the switch.
    unsafe { Cpu::switch(save, load) };
    m.curg.store(std::ptr::null_mut(), Ordering::Relaxed);
}

/// g0's half of `mcall`: performs the switch-out action `g` requested. Returns a G to run next
/// without going through the queues (a park whose commit declined).
fn after_switch(s: &'static Sched, m: &'static M, g: &'static G) -> Option<&'static G> {
    // SAFETY: only this M's thread touches its `switch_out`, and the G that wrote it is off-CPU.
    let action = m.switch_out.with_mut(|a| unsafe { std::mem::replace(&mut *a, SwitchOut::None) });
    g.m.store(std::ptr::null_mut(), Ordering::Relaxed);
    // Before any commit publishes the G (a waker could resume it elsewhere): the stack depth
    // it switched out at, for `clear_dead_stack`. SAFETY: the G is off-CPU and ours; its saved
    // context is complete.
    g.note_sp(g.ctx.with(|c| Cpu::sp(unsafe { &*c })));
    // And the deepest no-preempt section it ran since it was switched in (nothing on g0 has
    // entered one since the switch back: this is g0's first act).
    let low = m.low_sp.load(Ordering::Relaxed);
    m.low_sp.store(usize::MAX, Ordering::Relaxed);
    if low >= g.stack.lo() && low < g.stack.hi() {
        g.note_sp(low);
    }
    match action {
        SwitchOut::Park(commit) => {
            g.status.cas(GStatus::Running, GStatus::Waiting);
            // SAFETY: `commit` points at a closure on `g`'s stack; `g` is parked inside `park`,
            // which keeps the closure alive until `g` resumes, and only we call it, once.
            let keep_parked = unsafe { (*commit)(g) };
            if keep_parked {
                None
            } else {
                g.status.cas(GStatus::Waiting, GStatus::Runnable);
                Some(g)
            }
        }
        SwitchOut::Yield => {
            g.status.cas(GStatus::Running, GStatus::Runnable);
            // Behind goroutines waiting on the global queue if there are any (Go's Gosched
            // always queues globally; the local queue is cheaper when nothing waits there).
            // Kept local, a goroutine yielding in a loop was picked again before the global
            // queue for 60 schedules of 61: a sleeper beside a stop-the-world loop woke 1.1 s
            // late (`tests/sleeper_vs_stw_loop.rs`), since every restart moves the stopper
            // P's runnable goroutines to the global queue.
            // Relaxed: a hint; a yielder that misses a concurrent global put is picked again
            // and the 61-schedule check still finds the waiter.
            if s.runq_size.load(Ordering::Relaxed) > 0 {
                globrunqput(s, g);
            } else {
                runqput(s, m.p().unwrap_or_else(|| crate::throw!("runtime: yield without a P")), g, false);
            }
            None
        }
        SwitchOut::TimeSlice => {
            // Its 10 ms are over and others wait (sysmon): behind everything, on the global
            // queue, as Go's `gopreempt_m` does; on the local one it would be picked again
            // before the global queue and the goroutines suspended for their slice.
            g.status.cas(GStatus::Running, GStatus::Runnable);
            globrunqput(s, g);
            None
        }
        SwitchOut::Preempted => {
            // To the back of the local queue, not `runnext` (Go: `gopreempt_m` queues
            // globally): under back-to-back stops the same goroutine would otherwise resume
            // first after every restart, keep its P, and starve everything queued behind it
            // (found by the seed 002 test: upgraders never ran again).
            g.status.cas(GStatus::Running, GStatus::Runnable);
            runqput(s, m.p().unwrap_or_else(|| crate::throw!("runtime: preempted without a P")), g, false);
            None
        }
        SwitchOut::Exit => {
            g.status.cas(GStatus::Running, GStatus::Dead);
            // SAFETY: the G is dead and off-CPU; its entry slot is ours now.
            g.entry.with_mut(|e| unsafe { (*e).take() });
            g.clear_dead_stack();
            s.alive.fetch_sub(1, Ordering::AcqRel);
            match m.p() {
                Some(p) => gfput(s, p, g),
                None => s.gfree.lock().push(g),
            }
            None
        }
        SwitchOut::BlockingNoP => {
            g.status.cas(GStatus::Syscall, GStatus::Runnable);
            globrunqput(s, g);
            wakep(s);
            None
        }
        SwitchOut::None => crate::throw!("runtime: G{} switched to g0 without an action", g.goid()),
    }
}

/// Queues `g` on `p` (owned by the caller), spilling half the ring to the global queue when
/// full.
pub(crate) fn runqput(s: &'static Sched, p: &P, g: &'static G, next: bool) {
    if let PushOutcome::Overflow(batch) = p.runq.push(g, next) {
        let mut l = s.lock.lock();
        for g in batch {
            l.runq.push_back(g);
        }
        s.runq_size.store(l.runq.len() as u32, Ordering::Relaxed);
    }
}

/// Queues `g` on the global run queue.
pub(crate) fn globrunqput(s: &'static Sched, g: &'static G) {
    let mut l = s.lock.lock();
    l.runq.push_back(g);
    s.runq_size.store(l.runq.len() as u32, Ordering::Relaxed);
}

/// Takes a batch from the global queue into `p`'s ring and returns one G. `max` = 0: no limit
/// beyond a fair share. Caller holds the lock.
fn globrunqget(s: &Sched, l: &mut super::Locked, p: &P, max: usize) -> Option<&'static G> {
    let len = l.runq.len();
    if len == 0 {
        return None;
    }
    let mut n = (len / s.cfg.procs + 1).min(len).min(crate::runq::local::CAP as usize / 2);
    if max > 0 {
        n = n.min(max);
    }
    let g = l.runq.pop_front();
    for _ in 1..n {
        match l.runq.pop_front() {
            Some(g2) => {
                // The ring has room: n <= CAP/2 and only the owner (us) pushes.
                if let PushOutcome::Overflow(back) = p.runq.push(g2, false) {
                    for g3 in back {
                        l.runq.push_back(g3);
                    }
                }
            }
            None => break,
        }
    }
    s.runq_size.store(l.runq.len() as u32, Ordering::Relaxed);
    g
}

/// Finds a G to run, blocking (idle) until one appears. Returns with a P bound to `m`.
pub(crate) fn find_runnable(s: &'static Sched, m: &'static M) -> (&'static G, bool) {
    loop {
        let Some(p) = m.p() else {
            stopm(s, m, None);
            continue;
        };
        if s.gcwaiting.load(Ordering::Acquire) {
            crate::stw::gcstopm(s, m);
            continue;
        }
        if p.run_safe_point_fn.load(Ordering::Acquire) != 0 {
            crate::stw::run_safe_point_fn(s, p);
        }
        let mut poll_until = p.timers.check(s);
        // A dedicated or fractional mark worker, if the collector wants one here now.
        if let Some(g) = super::gcworker::find_worker(s, p, false) {
            return (g, false);
        }

        // Fairness: look at the global queue every 61 schedules, and at the goroutines
        // suspended for a time slice (`Locked::pwait`), which queue there in spirit.
        // The two alternate by schedule parity while both hold goroutines.
        let tick = p.schedtick.load(Ordering::Relaxed);
        let waiter_first = || s.runq_size.load(Ordering::Relaxed) == 0 || tick % 2 == 0;
        if tick % 61 == 0 {
            if waiter_first() && give_p_to_waiter(s, m, p) {
                continue;
            }
            if s.runq_size.load(Ordering::Relaxed) > 0 {
                let mut l = s.lock.lock();
                if let Some(g) = globrunqget(s, &mut l, p, 1) {
                    return (g, false);
                }
            }
        }
        if let Some(found) = p.runq.pop() {
            return found;
        }
        if waiter_first() && give_p_to_waiter(s, m, p) {
            continue;
        }
        if s.runq_size.load(Ordering::Relaxed) > 0 {
            let mut l = s.lock.lock();
            if let Some(g) = globrunqget(s, &mut l, p, 0) {
                return (g, false);
            }
        }

        // Poll point 1 (`netpoll/mod.rs`): goroutines whose sockets became ready.
        if let Some(g) = crate::netpoll::get().and_then(|np| np.poll_for_p(s, p)) {
            return (g, false);
        }

        // Steal, limiting spinners to half the busy Ps (Go's heuristic).
        let procs = s.cfg.procs as u32;
        if m.spinning.load(Ordering::Relaxed)
            || 2 * s.nmspinning.load(Ordering::Relaxed) < procs.saturating_sub(s.npidle.load(Ordering::Relaxed))
        {
            if !m.spinning.load(Ordering::Relaxed) {
                become_spinning(s, m);
            }
            let r = steal_work(s, m, p);
            trace::ev("steal", p.id as u64, matches!(r, Steal::Found(_)) as u64);
            match r {
                Steal::Found(g) => return (g, false),
                Steal::Retry => continue,
                Steal::None(when) => poll_until = poll_until.min(when),
            }
        }

        // Nothing to do: mark in the idle time (Go's idle mark worker), else release the P.
        if let Some(g) = super::gcworker::find_worker(s, p, true) {
            return (g, false);
        }
        match release_p(s, m, p) {
            Release::Retry => continue,
            Release::Run(g) => return (g, false),
            Release::Idle => {}
        }

        let was_spinning = m.spinning.load(Ordering::Relaxed);
        if was_spinning {
            m.spinning.store(false, Ordering::Relaxed);
            let prev = s.nmspinning.fetch_sub(1, Ordering::AcqRel);
            if prev == 0 {
                crate::throw!("runtime: find_runnable: nmspinning was {prev}");
            }
            // Step 3: StoreLoad between dropping out of nmspinning and re-reading the queues;
            // pairs with the fence in `wakep`.
            fence(Ordering::SeqCst);
            let found = s.allp.iter().any(|pp| !pp.runq.is_empty()) || s.runq_size.load(Ordering::Relaxed) != 0;
            trace::ev("recheck", found as u64, p.id as u64);
            if found {
                let pp = {
                    let mut l = s.lock.lock();
                    pidleget_spinning(s, &mut l)
                };
                if let Some(pp) = pp {
                    acquirep(m, pp);
                    become_spinning(s, m);
                    continue;
                }
            }
        }
        // Sleep until work is handed to us, or until the earliest timer of any P.
        for pp in s.allp.iter() {
            if let Some(w) = pp.timers.next_when() {
                poll_until = poll_until.min(w);
            }
        }
        // Poll point 2 (`netpoll/mod.rs`): one M at a time waits in epoll_wait, until the
        // earliest timer, instead of sleeping.
        if let Some(b) = crate::netpoll::get().and_then(|np| np.block_in_poll(m, poll_until)) {
            let pp = {
                let mut l = s.lock.lock();
                if s.gcwaiting.load(Ordering::Acquire) {
                    None
                } else {
                    pidleget(s, &mut l)
                }
            };
            let mut list = b.list;
            match pp {
                Some(pp) => {
                    acquirep(m, pp);
                    if let Some(g) = list.pop() {
                        super::park::ready_list_global(s, &list);
                        g.status.cas(GStatus::Waiting, GStatus::Runnable);
                        return (g, false);
                    }
                    // Woken for a timer or by a break: look for work as a spinner, which
                    // runs every P's expired timers (as `stopm`'s timer wake-up does).
                    become_spinning(s, m);
                }
                // Every P is busy or stopped: the global queue (the stop's restart, or a
                // spinner, takes them from there).
                None => super::park::ready_list_global(s, &list),
            }
            continue;
        }
        stopm(s, m, (poll_until != i64::MAX).then_some(poll_until));
    }
}

/// Hands `m`'s P, with whatever its run queue holds, to the oldest M whose goroutine waits
/// for a P after a time-slice suspension (`Locked::pwait`); `m` then goes idle. False if none
/// waits, or a stop or `for_each_p` needs the P first.
fn give_p_to_waiter(s: &'static Sched, m: &'static M, p: &'static P) -> bool {
    // Relaxed: a hint; the list under the lock decides, and a waiter missed here is served at
    // the next pass or by the next P that goes idle.
    if s.npwait.load(Ordering::Relaxed) == 0 {
        return false;
    }
    {
        let mut l = s.lock.lock();
        if s.gcwaiting.load(Ordering::Acquire) || p.run_safe_point_fn.load(Ordering::Acquire) != 0 || l.pwait.is_empty() {
            return false;
        }
        releasep(m);
        super::idle::hand_to_waiter(s, &mut l, p);
    }
    // We found work for the P: a spinner hands the search on (step 2 of `idle.rs`).
    if m.spinning.load(Ordering::Relaxed) {
        reset_spinning(s, m);
    }
    true
}

/// What `release_p` did.
pub(crate) enum Release {
    /// Kept the P: a stop or `for_each_p` is pending, or a spinner is needed; start over.
    Retry,
    /// Kept the P: run this G from the global queue.
    Run(&'static G),
    /// The P is on the idle list.
    Idle,
}

/// `find_runnable`'s last step: under the scheduler lock, give up the P unless something
/// needs it — a pending stop-the-world (step 4 of `stw.rs`: the P must be stopped, not
/// idled), a `for_each_p` function, a spinner requested by step 4 of `idle.rs`, or global work.
pub(crate) fn release_p(s: &'static Sched, m: &'static M, p: &'static P) -> Release {
    let mut l = s.lock.lock();
    if s.gcwaiting.load(Ordering::Acquire) || p.run_safe_point_fn.load(Ordering::Acquire) != 0 {
        return Release::Retry;
    }
    if !m.spinning.load(Ordering::Relaxed) && s.needspinning.load(Ordering::Relaxed) == 1 {
        become_spinning(s, m);
        return Release::Retry;
    }
    if let Some(g) = globrunqget(s, &mut l, p, 0) {
        return Release::Run(g);
    }
    releasep(m);
    pidleput(s, &mut l, p);
    Release::Idle
}

enum Steal {
    Found(&'static G),
    /// The world is stopping, or a P needs us: start over.
    Retry,
    /// Nothing found; the earliest timer seen on other Ps.
    None(i64),
}

/// Tries four rounds over the other Ps in random order; the last round may take `runnext`
/// and runs other Ps' expired timers (Go's `stealWork`).
fn steal_work(s: &'static Sched, m: &'static M, p: &'static P) -> Steal {
    let n = s.allp.len() as u32;
    let mut when = i64::MAX;
    if n == 1 {
        return Steal::None(when);
    }
    for round in 0..4 {
        let last = round == 3;
        let start = m.fastrand() % n;
        // Visit all Ps in the order start, start+stride, ... with stride coprime to n.
        let stride = coprime_stride(n, m.fastrand());
        let mut i = start;
        for _ in 0..n {
            if s.gcwaiting.load(Ordering::Acquire) {
                return Steal::Retry;
            }
            let victim = &s.allp[i as usize];
            i = (i + stride) % n;
            if std::ptr::eq(victim, p) {
                continue;
            }
            if last {
                let w = victim.timers.check(s);
                when = when.min(w);
                // Running the victim's timers may have readied Gs into our queue.
                if let Some((g, _)) = p.runq.pop() {
                    return Steal::Found(g);
                }
            }
            if let Some(g) = victim.runq.steal_into(&p.runq, last) {
                return Steal::Found(g);
            }
        }
    }
    Steal::None(when)
}

fn coprime_stride(n: u32, r: u32) -> u32 {
    let gcd = |mut a: u32, mut b: u32| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let mut c = r % n;
    loop {
        if c != 0 && gcd(c, n) == 1 {
            return c;
        }
        c = (c + 1) % n;
    }
}
