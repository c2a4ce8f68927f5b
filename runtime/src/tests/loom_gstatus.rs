//! Loom model of the goroutine status word and its scan bit (`g/status.rs`; reference §5,
//! invariants 14-15, seed 000).
//!
//! A G is Waiting. Concurrently: a waker readies it (Waiting → Runnable, as a timer or the
//! network poller would, even during a stop) and then runs it as the M that popped it
//! (Runnable → Running, touches the stack, Running → Waiting), while a scanner takes the scan
//! bit from whatever state it observes and reads the stack. Checked in every interleaving: the scanner
//! never reads the stack while the G runs (loom's cell tracking), the scanner never waits for
//! the G (it retries on change instead), and nobody deadlocks.

use crate::g::status::{GStatus, GStatusCell, ScanAttempt};
use loom::cell::UnsafeCell;
use loom::sync::Arc;

struct G {
    status: GStatusCell,
    stack: UnsafeCell<u64>,
}

#[test]
fn scanner_waker_and_runner() {
    loom::model(|| {
        let g = Arc::new(G { status: GStatusCell::new(GStatus::Waiting), stack: UnsafeCell::new(0) });

        // The waker readies the G (a timer or poller during a stop), then, as the M that pops
        // it, runs it: Runnable → Running, touches the stack, parks it again.
        let waker_m = {
            let g = g.clone();
            loom::thread::spawn(move || {
                g.status.cas(GStatus::Waiting, GStatus::Runnable);
                g.status.cas(GStatus::Runnable, GStatus::Running);
                // SAFETY: Running excludes a scanner (the bit is taken only off Running).
                g.stack.with_mut(|s| unsafe { *s += 1 });
                g.status.cas(GStatus::Running, GStatus::Waiting);
            })
        };
        // The scanner: take the bit from the observed state; never wait on the G itself.
        loop {
            match g.status.try_scan() {
                ScanAttempt::Locked(s) => {
                    assert!(matches!(s, GStatus::Waiting | GStatus::Runnable), "locked in {s:?}");
                    // SAFETY: the scan bit freezes the G: its owner cannot run it.
                    let v = g.stack.with(|s| unsafe { *s });
                    assert!(v <= 1);
                    g.status.clear_scan();
                    break;
                }
                ScanAttempt::Running | ScanAttempt::Retry => loom::thread::yield_now(),
                ScanAttempt::Dead => unreachable!("the G never dies in this model"),
            }
        }
        waker_m.join().unwrap();
        assert_eq!(g.status.load().status(), Some(GStatus::Waiting));
        // SAFETY: both threads have finished.
        assert_eq!(g.stack.with(|s| unsafe { *s }), 1);
    });
}

/// The tripwire of reference §5.1, generalised: an owner transition from a stale state panics
/// with both values instead of spinning forever (the seed 000 hang).
#[test]
#[should_panic(expected = "bad transition")]
fn stale_expected_status_panics_instead_of_hanging() {
    loom::model(|| {
        let g = GStatusCell::new(GStatus::Runnable);
        g.cas(GStatus::Waiting, GStatus::Runnable);
    });
}

#[test]
fn scanner_and_waker() {
    loom::model(|| {
        let g = Arc::new(G { status: GStatusCell::new(GStatus::Waiting), stack: UnsafeCell::new(0) });
        let waker = {
            let g = g.clone();
            loom::thread::spawn(move || g.status.cas(GStatus::Waiting, GStatus::Runnable))
        };
        loop {
            match g.status.try_scan() {
                ScanAttempt::Locked(_) => {
                    g.status.clear_scan();
                    break;
                }
                _ => loom::thread::yield_now(),
            }
        }
        waker.join().unwrap();
    });
}
