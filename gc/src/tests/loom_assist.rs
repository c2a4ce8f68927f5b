//! Loom model of the assist queue (`mark/assist_queue.rs`): background credit flushes versus
//! assists parking for credit, and the end of the cycle versus a parking assist. The models run
//! the production `AssistQueue` over a loom mutex and condition variable standing in for the
//! runtime's `ParkLock` (a parked goroutine is a thread waiting on the condition variable).
//!
//! - `a_flush_never_leaves_a_debtor_parked_beside_credit`: a worker flushes 2 bytes of credit,
//!   in one flush or two, while an assist owing 2 steals and parks. Once the worker is done no
//!   flush will come: a debt still queued beside enough credit is a lost wake-up (checked under
//!   the lock; then the model lets the debtor go, as the end of the cycle would). Afterwards
//!   every byte is accounted for.
//! - `checking_the_queue_before_adding_credit_loses_the_wake_up`: Go's order (look at the
//!   queue, then add the credit) — loom finds the schedule where the debtor parks with the
//!   credit sitting unclaimed.
//! - `the_end_of_the_cycle_wakes_every_debtor`: no credit ever arrives; the cycle's end
//!   (`marking = false`, then `wake_all`) must wake the assist whatever the interleaving.

use crate::mark::assist_queue::{AssistQueue, QueueLock};
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::collections::VecDeque;

#[derive(Default)]
struct LoomLock {
    q: Mutex<VecDeque<usize>>,
    cv: Condvar,
    /// Parks and wake-ups so far (changed under `q`): a debtor's ticket is its park number.
    parks: AtomicUsize,
    wakes: AtomicUsize,
    /// The model is over: a debtor still parked returns (it would wait for the cycle's end).
    released: AtomicBool,
}

impl QueueLock for LoomLock {
    type Guard<'a> = MutexGuard<'a, VecDeque<usize>>;
    fn lock(&self) -> Self::Guard<'_> {
        self.q.lock().unwrap()
    }
    fn park(&self, mut g: Self::Guard<'_>) {
        let ticket = self.parks.fetch_add(1, Ordering::SeqCst);
        while self.wakes.load(Ordering::SeqCst) <= ticket && !self.released.load(Ordering::SeqCst) {
            g = self.cv.wait(g).unwrap();
        }
    }
    fn wake_front(&self, _g: &mut Self::Guard<'_>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.cv.notify_all();
    }
}

fn queue() -> Arc<AssistQueue<LoomLock>> {
    Arc::new(AssistQueue::new(LoomLock::default()))
}

/// The debtor: steal what it can (the assist's first step), park for the rest.
fn debtor(q: &AssistQueue<LoomLock>, owed: usize, marking: &AtomicBool) -> (usize, bool) {
    let got = q.steal(owed);
    if got == owed {
        return (got, false);
    }
    let parked = q.park(owed - got, || marking.load(Ordering::SeqCst));
    (got, parked)
}

fn flushes_against_a_debtor(flush: fn(&AssistQueue<LoomLock>, usize), split: bool) {
    loom::model(move || {
        let q = queue();
        let w = {
            let q = q.clone();
            loom::thread::spawn(move || {
                if split {
                    flush(&q, 1);
                    flush(&q, 1);
                } else {
                    flush(&q, 2);
                }
            })
        };
        let d = {
            let q = q.clone();
            loom::thread::spawn(move || debtor(&q, 2, &AtomicBool::new(true)))
        };
        w.join().unwrap();
        {
            let g = q.lock_inner().lock();
            if let Some(&owed) = g.front() {
                assert!(q.credit() < owed, "lost wake-up: a debtor owing {owed} parked beside {} bytes of credit", q.credit());
            }
            q.lock_inner().released.store(true, Ordering::SeqCst);
            q.lock_inner().cv.notify_all();
        }
        d.join().unwrap();
        // The debt was paid in full, by its own steals or by flushes: no credit is left over
        // and none was created.
        assert_eq!(q.credit(), 0, "credit left over or created");
        assert_eq!(q.parked(), 0, "a debtor is still queued");
    });
}

#[test]
fn a_flush_never_leaves_a_debtor_parked_beside_credit() {
    flushes_against_a_debtor(|q, b| q.flush(b), false);
    flushes_against_a_debtor(|q, b| q.flush(b), true);
}

#[test]
#[should_panic(expected = "lost wake-up")]
fn checking_the_queue_before_adding_credit_loses_the_wake_up() {
    flushes_against_a_debtor(|q, b| q.flush_queue_checked_first(b), false);
}

#[test]
fn the_end_of_the_cycle_wakes_every_debtor() {
    loom::model(|| {
        let q = queue();
        let marking = Arc::new(AtomicBool::new(true));
        let t = {
            let (q, marking) = (q.clone(), marking.clone());
            loom::thread::spawn(move || {
                // `finish_cycle` makes the end visible, then `try_terminate` wakes.
                marking.store(false, Ordering::SeqCst);
                q.wake_all();
            })
        };
        let (stolen, _) = debtor(&q, 2, &marking);
        t.join().unwrap();
        assert_eq!(stolen, 0);
        assert_eq!(q.parked(), 0, "a debtor is still queued after the cycle ended");
    });
}
