//! `blocking(|| ..)`: run a call that may block in the kernel without holding a P (Go's
//! `entersyscall` / `exitsyscall`; reference §7.3).
//!
//! Entering leaves the P in `Syscall` (`p.rs`): the M no longer holds it, but takes it back on
//! the way out with one CAS if nobody retook it meanwhile — a short call costs two status
//! changes, no lock and no wake-up. A long one loses it: sysmon retakes a P whose call has
//! lasted one of its rounds (≥ 20 µs) and hands it off (`handoffp`: to an M if it has work, to
//! a waiting stop, or to the idle list); a stop takes it at once (`stw.rs` step 2), and
//! `for_each_p` retakes it to run its function. So no stop-the-world and no runnable
//! goroutine waits for a thread blocked in the kernel for more than a sysmon round. Leaving
//! after a retake takes the old P back if it is idle, else any idle P; with none (or while the
//! world is stopped) the goroutine queues globally and its thread parks.
//!
//! Entering while a stop or a `for_each_p` function is pending hands the P off at once (Go's
//! `entersyscall_gcwait`): the P's status store and the stopper's `gcwaiting` store are two
//! halves of a store-buffering pattern, each followed by a SeqCst fence and a read of the
//! other's, so at least one side sees the other and the status CAS decides which takes the P.
//!
//! While inside, the goroutine is `Syscall`: a scanner may take its scan bit and read the
//! caller's frames from the context captured at entry. The closure itself runs below that
//! stack pointer, in frames the collector does not scan: it must not allocate from the
//! collector or store heap pointers that exist only in its own frames (the rule issue 3's
//! collector enforces).

use crate::arch::{Arch, Cpu};
use crate::g::GStatus;
use crate::m::{SwitchOut, M};
use crate::p::{PStatus, P};
use crate::preempt::NoPreempt;
use crate::sched::idle::{acquirep, handoffp, pidleget, pidletake, pwait_enqueue, pwait_sleep, releasep};
use crate::sched::park::{expect_goroutine, mcall};
use crate::sched::{sched, Locked, Sched};
use crate::sync::atomic::{fence, Ordering};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// Runs `f`, which may block its thread (a system call, a foreign library, `thread::sleep`),
/// after handing the current goroutine's P to other work. Returns `f`'s value; a panic in `f`
/// propagates after the goroutine has a P again.
///
/// `f` must not allocate from the collector or keep collector pointers only in its own frames;
/// pointers held by the caller's frames stay alive.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    let (m, g) = expect_goroutine("blocking");
    let s = sched();
    if std::ptr::eq(s.stw_owner.load(Ordering::Relaxed), m) {
        panic!("blocking() called while this goroutine holds the world stopped");
    }
    let old = {
        let _np = NoPreempt::new();
        // SAFETY: `g.ctx` belongs to the running G (us); capture only writes into it.
        g.ctx.with_mut(|c| unsafe { Cpu::capture(c) });
        g.status.cas(GStatus::Running, GStatus::Syscall);
        enter(s, m)
    };
    // Catch here so the unwind never crosses the switch `exit` may make: unwinding state is
    // per-thread in std, and we may resume on another thread.
    let r = catch_unwind(AssertUnwindSafe(f));
    exit(old);
    match r {
        Ok(v) => v,
        Err(payload) => resume_unwind(payload),
    }
}

/// Leaves `m`'s P in Syscall (module docs) and returns it. Caller is in a no-preempt section.
pub(crate) fn enter(s: &'static Sched, m: &'static M) -> &'static P {
    let p = leave_p(m);
    if (s.gcwaiting.load(Ordering::Relaxed) || p.run_safe_point_fn.load(Ordering::Relaxed) != 0)
        && p.cas_status(PStatus::Syscall, PStatus::Idle)
    {
        handoffp(s, p);
    }
    crate::sysmon::kick(s);
    p
}

/// `enter`'s and `blocking_rescued`'s common part: `m`'s P goes to Syscall, then the fence of
/// the store-buffering pair with `stop_begin` and `for_each_p` (module docs).
fn leave_p(m: &'static M) -> &'static P {
    let p = releasep(m);
    // Own P's counter (only its owner writes it). Relaxed: sysmon reads it racily.
    p.syscalltick.store(p.syscalltick.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
    p.set_status(PStatus::Syscall);
    fence(Ordering::SeqCst);
    p
}

/// Takes `old` back if it is still in Syscall (nobody retook it). Caller is in a no-preempt
/// section on `m`, which holds no P.
pub(crate) fn exit_fast(m: &'static M, old: &'static P) -> bool {
    if !old.cas_status(PStatus::Syscall, PStatus::Idle) {
        return false;
    }
    acquirep(m, old);
    true
}

fn exit(old: &'static crate::p::P) {
    let s = sched();
    let (m, g) = expect_goroutine("blocking");
    let np = NoPreempt::new();
    if exit_fast(m, old) {
        g.status.cas(GStatus::Syscall, GStatus::Running);
        return;
    }
    let p = regain_p(s, &mut s.lock.lock(), old);
    match p {
        Some(p) => {
            acquirep(m, p);
            g.status.cas(GStatus::Syscall, GStatus::Running);
        }
        None => {
            drop(np);
            // g0 queues us globally and parks this M; we resume Running on some M with a P.
            mcall(SwitchOut::BlockingNoP);
        }
    }
}

/// The way back after `old` was retaken: `old` if it is idle, else any idle P; none while a
/// stop is pending. Caller holds the lock.
fn regain_p(s: &'static Sched, l: &mut Locked, old: &'static P) -> Option<&'static P> {
    if s.gcwaiting.load(Ordering::Acquire) {
        None
    } else if pidletake(s, l, old) {
        Some(old)
    } else {
        pidleget(s, l)
    }
}

/// `blocking(f)` for a system call the preemption signal found its goroutine in
/// (`preempt/rescue.rs`): the same states, but it never allocates (the thread may be inside
/// `malloc`, which makes system calls holding its arena lock) and never moves the goroutine to
/// another thread (it may be inside C or std code that relies on the thread's identity across
/// the call): with no P to come back to, this thread waits on `pwait` until one is handed to
/// it. A stop or `for_each_p` pending at entry finds the P in Syscall and retakes it itself
/// (`stw.rs`); sysmon retakes it by the usual rule.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // the rescue is x86_64 only
pub(crate) fn blocking_rescued<R>(f: impl FnOnce() -> R) -> R {
    let s = sched();
    let (m, g) = expect_goroutine("the system-call rescue");
    let old = {
        let _np = NoPreempt::for_m(m);
        // SAFETY: `g.ctx` belongs to the running G (us); capture only writes into it.
        g.ctx.with_mut(|c| unsafe { Cpu::capture(c) });
        g.status.cas(GStatus::Running, GStatus::Syscall);
        let p = leave_p(m);
        if s.gcwaiting.load(Ordering::Relaxed) {
            crate::stw::retake_for_stop(s, &mut s.lock.lock());
        }
        crate::sysmon::kick(s);
        p
    };
    let r = f();
    let _np = NoPreempt::for_m(m);
    if !exit_fast(m, old) {
        let p = {
            let mut l = s.lock.lock();
            let p = regain_p(s, &mut l, old);
            if p.is_none() {
                pwait_enqueue(s, &mut l, m);
            }
            p
        };
        match p {
            Some(p) => acquirep(m, p),
            None => {
                pwait_sleep(m);
            }
        }
    }
    g.status.cas(GStatus::Syscall, GStatus::Running);
    r
}
