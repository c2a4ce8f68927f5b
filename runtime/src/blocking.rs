//! `blocking(|| ..)`: run a call that may block in the kernel without holding a P (Go's
//! `entersyscallblock` / `exitsyscall`).
//!
//! Entering hands the P off at once (`handoffp`): to an M if it has work, to a waiting
//! stop-the-world, or to the idle list. So no stop-the-world and no runnable goroutine waits for
//! a thread blocked in the kernel. Leaving takes the old P back if it is idle, else any idle P;
//! with none (or while the world is stopped) the goroutine queues globally and its thread parks.
//!
//! While inside, the goroutine is `Syscall`: a scanner may take its scan bit and read the
//! caller's frames from the context captured at entry. The closure itself runs below that
//! stack pointer, in frames the collector does not scan: it must not allocate from the
//! collector or store heap pointers that exist only in its own frames (the rule issue 3's
//! collector enforces).

use crate::arch::{Arch, Cpu};
use crate::g::GStatus;
use crate::m::SwitchOut;
use crate::p::PStatus;
use crate::preempt::NoPreempt;
use crate::sched::idle::{acquirep, handoffp, pidleget, pidletake, releasep};
use crate::sched::park::{expect_goroutine, mcall};
use crate::sched::sched;
use crate::sync::atomic::Ordering;
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
        let p = releasep(m);
        p.set_status(PStatus::Idle);
        handoffp(s, p);
        p
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

fn exit(old: &'static crate::p::P) {
    let s = sched();
    let (m, g) = expect_goroutine("blocking");
    let np = NoPreempt::new();
    let p = {
        let mut l = s.lock.lock();
        if s.gcwaiting.load(Ordering::Acquire) {
            None
        } else if pidletake(s, &mut l, old) {
            Some(old)
        } else {
            pidleget(s, &mut l)
        }
    };
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
