//! Loom model of the stop-the-world handshake (`stw.rs`, steps 1-5; reference §6.2), run on the
//! production functions with a fresh two-P scheduler.
//!
//! Threads: the stopper (owns P0), and an M that holds P1 and either keeps running user work
//! (polling for the stop at each step, as `safepoint()`/`find_runnable` do) or releases P1 to
//! the idle list the way `find_runnable` does (re-checking `gcwaiting` under the lock).
//! Checked in every interleaving: the stop returns only when every P is GcStop; no user work
//! happens between the stop and the restart; the restart leaves every P usable.

use crate::config::Config;
use crate::m::M;
use crate::p::{PStatus, P};
use crate::sched::idle::{acquirep, pidleget};
use crate::sched::schedule::{release_p, Release};
use crate::sched::Sched;
use crate::stw::{gcstop_own_p, start_world, stop_begin, stop_verify, stop_wait};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;

/// A fresh two-P scheduler with P0 on M0 and P1 on M1 (shared with `loom_syscall.rs`).
pub(super) fn two_p_sched() -> (&'static Sched, &'static M, &'static M, &'static P, &'static P) {
    let s: &'static Sched = Box::leak(Box::new(Sched::new(Config { procs: 2, stack_size: 16384, max_goroutines: 8 })));
    let m0: &'static M = Box::leak(Box::new(M::new(100)));
    let m1: &'static M = Box::leak(Box::new(M::new(101)));
    let (p0, p1) = {
        let mut l = s.lock.lock();
        (pidleget(s, &mut l).unwrap(), pidleget(s, &mut l).unwrap())
    };
    acquirep(m0, p0);
    acquirep(m1, p1);
    (s, m0, m1, p0, p1)
}

fn stopper(s: &'static Sched, p0: &'static P, work: &AtomicUsize) {
    if stop_begin(s, Some(p0)) {
        stop_wait(s);
    }
    stop_verify(s);
    let seen = work.load(Ordering::SeqCst);
    loom::thread::yield_now();
    assert_eq!(work.load(Ordering::SeqCst), seen, "user work ran while the world was stopped");
    for p in s.allp.iter() {
        assert_eq!(p.status(), PStatus::GcStop);
    }
    let handoff = start_world(s, Some(p0));
    assert!(handoff.is_empty(), "no P had runnable work");
    assert_eq!(p0.status(), PStatus::Running);
    assert_eq!(s.allp[1].status(), PStatus::Idle);
    assert!(!s.gcwaiting.load(Ordering::SeqCst));
}

#[test]
fn running_m_stops_at_its_safepoint() {
    loom::model(|| {
        let (s, _m0, m1, p0, _p1) = two_p_sched();
        let work = Arc::new(AtomicUsize::new(0));
        let w = work.clone();
        let t = loom::thread::spawn(move || {
            // Bounded user work with a poll before each step.
            for _ in 0..3 {
                if s.gcwaiting.load(Ordering::Acquire) {
                    gcstop_own_p(s, m1);
                    return;
                }
                w.fetch_add(1, Ordering::SeqCst);
            }
            // Out of work: the scheduler's next entry polls once more.
            loop {
                if s.gcwaiting.load(Ordering::Acquire) {
                    gcstop_own_p(s, m1);
                    return;
                }
                loom::thread::yield_now();
            }
        });
        stopper(s, p0, &work);
        t.join().unwrap();
    });
}

#[test]
fn m_going_idle_races_with_the_stop() {
    loom::model(|| {
        let (s, _m0, m1, p0, p1) = two_p_sched();
        let work = Arc::new(AtomicUsize::new(0));
        let t = loom::thread::spawn(move || {
            // `find_runnable`'s release step; a Retry goes back to its top, which stops the P.
            match release_p(s, m1, p1) {
                Release::Idle => {}
                Release::Retry => {
                    assert!(s.gcwaiting.load(Ordering::SeqCst));
                    gcstop_own_p(s, m1);
                }
                Release::Run(_) => unreachable!("no global work in this model"),
            }
        });
        stopper(s, p0, &work);
        t.join().unwrap();
    });
}
