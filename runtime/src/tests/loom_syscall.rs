//! Loom models of the Syscall P state (`p.rs`, `blocking.rs`; reference §7.3): a P left by an
//! M in a blocking call is taken by exactly one of the returning M's CAS, sysmon's retake and
//! a stop — and a stop that began while the call was being entered still gets the P (the
//! store-buffering pair of `blocking::enter` and `stop_begin`, backed by the stop's re-check
//! of Syscall Ps after each timeout; with either alone the model passes).
//!
//! `nmspinning` is held at 1 so that `handoffp` idles the P instead of starting an M (the
//! model has no thread to run one).

use crate::blocking::{enter, exit_fast};
use crate::m::M;
use crate::p::{PStatus, P};
use crate::sched::Sched;
use crate::stw::{gcstop_own_p, start_world, stop_begin, stop_verify, stop_wait};
use crate::sysmon::{retake_syscall, Seen};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;

fn two_p_sched() -> (&'static Sched, &'static M, &'static M, &'static P, &'static P) {
    let (s, m0, m1, p0, p1) = super::loom_stw::two_p_sched();
    s.nmspinning.store(1, Ordering::SeqCst);
    (s, m0, m1, p0, p1)
}

/// M1 enters a blocking call the way `blocking` does (in a no-preempt section).
fn enter_call(s: &'static Sched, m1: &'static M) -> &'static P {
    let _np = crate::preempt::NoPreempt::for_m(m1);
    enter(s, m1)
}

#[test]
fn the_returning_m_and_sysmon_take_the_p_once() {
    loom::model(|| {
        let (s, _m0, m1, _p0, p1) = two_p_sched();
        let owners = Arc::new(AtomicUsize::new(0));
        let o = owners.clone();
        let t = loom::thread::spawn(move || {
            let old = enter_call(s, m1);
            if exit_fast(m1, old) {
                assert_eq!(p1.status(), PStatus::Running);
                o.fetch_add(1, Ordering::SeqCst);
            }
        });
        // sysmon saw this call a round ago, and it has lasted long enough to retake.
        let mut seen = Seen::in_call(1, 0);
        if p1.status() == PStatus::Syscall && retake_syscall(s, p1, &mut seen, 20_000_000) {
            owners.fetch_add(1, Ordering::SeqCst);
        }
        t.join().unwrap();
        // Exactly one: never both, and a failed `exit_fast` means sysmon took it.
        assert_eq!(owners.load(Ordering::SeqCst), 1, "the P was taken twice or by nobody");
    });
}

#[test]
fn a_stop_gets_the_p_of_a_call_being_entered() {
    loom::model(|| {
        let (s, _m0, m1, p0, p1) = two_p_sched();
        let work = Arc::new(AtomicUsize::new(0));
        let w = work.clone();
        let t = loom::thread::spawn(move || {
            let old = enter_call(s, m1);
            if exit_fast(m1, old) {
                // Back with its P: it stops at its next poll, like any running M.
                loop {
                    if s.gcwaiting.load(Ordering::Acquire) {
                        gcstop_own_p(s, m1);
                        return;
                    }
                    w.fetch_add(1, Ordering::SeqCst);
                    loom::thread::yield_now();
                }
            }
            // The stop (or its hand-off) took the P.
            assert_ne!(p1.status(), PStatus::Syscall);
        });
        if stop_begin(s, Some(p0)) {
            stop_wait(s);
        }
        stop_verify(s);
        let seen = work.load(Ordering::SeqCst);
        loom::thread::yield_now();
        assert_eq!(work.load(Ordering::SeqCst), seen, "the M ran while the world was stopped");
        let handoff = start_world(s, Some(p0));
        assert!(handoff.is_empty());
        t.join().unwrap();
    });
}
