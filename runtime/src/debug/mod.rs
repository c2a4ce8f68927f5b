//! Debugging and observability: the `TRICOLOR_DEBUG` settings (`env.rs`), the periodic
//! `schedtrace` line (`schedtrace.rs`), the event ring (`trace.rs`), and `sched_dump()` (Go's
//! `scheddetail`), `watchdog` (a hang becomes an abort with that snapshot), and `throw` (a broken invariant
//! aborts with its message, on any thread).

mod env;
pub(crate) mod schedtrace;
pub(crate) mod trace;

mod throw;
mod watchdog;

pub use env::debug_var;
pub use throw::throw;

/// The message of a panic payload, if it is a string (`panic!` with a literal or a format).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}
pub use watchdog::{watchdog, Watchdog};

use crate::sched::sched;
use crate::sync::atomic::Ordering;
use std::fmt::Write;

/// A human-readable snapshot of every P and every live goroutine. Racy by design: fields are
/// read without stopping anything, so it never blocks a wedged scheduler.
pub fn sched_dump() -> String {
    let s = sched();
    let mut out = String::new();
    let l = s.lock.lock();
    let _ = writeln!(
        out,
        "SCHED procs={} freegs={} idleprocs={} spinning={} runqueue={} gcwaiting={} stopwait={} idlem={} timer_m_in={:?}",
        s.cfg.procs,
        s.gfree.lock().len(),
        s.npidle.load(Ordering::Relaxed),
        s.nmspinning.load(Ordering::Relaxed),
        l.runq.len(),
        s.gcwaiting.load(Ordering::Relaxed),
        l.stopwait,
        l.midle.len(),
        l.timer_m.map(|_| s.timer_until.load(Ordering::Relaxed) - crate::time::nanotime()),
    );
    drop(l);
    for p in s.allp.iter() {
        // SAFETY: M records are never freed.
        let m = unsafe { p.m.load(Ordering::Relaxed).as_ref() }.map(|m| m.id as i64).unwrap_or(-1);
        let _ = writeln!(
            out,
            "  P{}: status={:?} m={} schedtick={} runq={} next_timer={:?}",
            p.id,
            p.status(),
            m,
            p.schedtick.load(Ordering::Relaxed),
            p.runq.len(),
            p.timers.next_when().map(|w| w - crate::time::nanotime()),
        );
    }
    for g in s.allgs.lock().iter() {
        let st = g.status.load();
        if st.status() == Some(crate::g::GStatus::Dead) {
            continue;
        }
        // SAFETY: M records are never freed.
        let m = unsafe { g.m.load(Ordering::Relaxed).as_ref() }.map(|m| m.id as i64).unwrap_or(-1);
        let reason = crate::sched::park::WaitReason::from_u8(g.wait_reason.load(Ordering::Relaxed));
        if st.status() == Some(crate::g::GStatus::Waiting) {
            let _ = writeln!(out, "  G{}: status={:?} ({:?}) m={}", g.goid(), st, reason, m);
        } else {
            let _ = writeln!(out, "  G{}: status={:?} m={}", g.goid(), st, m);
        }
    }
    if trace::enabled() {
        out.push_str("TRACE (last 200 events):\n");
        out.push_str(&trace::tail(200));
    }
    out
}
