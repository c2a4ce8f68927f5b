//! Loom model of a poll descriptor's waiter slot (`netpoll/slot.rs`, steps 1-5; the sequence
//! `PollDesc::wait` and `PollDesc::cancel` run around it in `netpoll/pd.rs`).
//!
//! A waiter waits for readiness on one slot while a poller reports readiness and a closer (or
//! a deadline timer: the same canceller) closes the descriptor. The slot is the production
//! `Slot`; parking is modelled by a condvar the waker signals once it has taken the token,
//! which is what the scheduler's `park`/`ready` give. Checked in every interleaving: the
//! waiter always wakes (loom reports a thread left blocked as a deadlock), and when it wakes
//! without readiness it sees the close. A model of the wrong order — checking the error state
//! before announcing the wait — loses the closer's wake-up and must fail.

use crate::netpoll::slot::{Prepare, Slot};
use loom::sync::atomic::{fence, AtomicBool, Ordering};
use loom::sync::{Arc, Condvar, Mutex};

const TOKEN: usize = 0x100;

struct Pd {
    slot: Slot,
    closing: AtomicBool,
    /// The parked "goroutine": set true by whoever readies it.
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Pd {
    fn new() -> Arc<Pd> {
        Arc::new(Pd { slot: Slot::new(), closing: AtomicBool::new(false), woken: Mutex::new(false), cv: Condvar::new() })
    }

    fn ready(&self, token: usize) {
        assert_eq!(token, TOKEN);
        *self.woken.lock().unwrap() = true;
        self.cv.notify_one();
    }

    /// `PollDesc::wait` with the park modelled. Returns (readiness seen, close seen).
    fn wait(&self, checked_first: bool) -> (bool, bool) {
        if checked_first && self.closing.load(Ordering::Relaxed) {
            return (false, true);
        }
        // Step 1.
        if self.slot.prepare() == Prepare::Ready {
            return (true, false);
        }
        if !checked_first {
            // Step 2.
            fence(Ordering::SeqCst);
        }
        let closed = !checked_first && self.closing.load(Ordering::Relaxed);
        // Step 3: park unless closed; the commit declines if the slot moved.
        if !closed && self.slot.commit(TOKEN) {
            let mut w = self.woken.lock().unwrap();
            while !*w {
                w = self.cv.wait(w).unwrap();
            }
        }
        // Step 5.
        let ready = self.slot.finish();
        (ready, self.closing.load(Ordering::Relaxed))
    }

    /// The poller (step 4 with readiness).
    fn poll(&self) {
        if let Some(t) = self.slot.unblock(true) {
            self.ready(t);
        }
    }

    /// `PollDesc::close` / a deadline firing (step 2's other half, then step 4).
    fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if let Some(t) = self.slot.unblock(false) {
            self.ready(t);
        }
    }
}

#[test]
fn wait_vs_readiness() {
    loom::model(|| {
        let pd = Pd::new();
        let p = {
            let pd = pd.clone();
            loom::thread::spawn(move || pd.poll())
        };
        let (ready, closed) = pd.wait(false);
        p.join().unwrap();
        assert!(!closed);
        // A spurious "not ready" would be a lost readiness: the slot keeps it for the next
        // wait instead.
        if !ready {
            assert_eq!(pd.slot.prepare(), Prepare::Ready, "readiness lost");
        }
    });
}

#[test]
fn wait_vs_readiness_vs_close() {
    loom::model(|| {
        let pd = Pd::new();
        let p = {
            let pd = pd.clone();
            loom::thread::spawn(move || pd.poll())
        };
        let c = {
            let pd = pd.clone();
            loom::thread::spawn(move || pd.close())
        };
        let (ready, closed) = pd.wait(false);
        assert!(ready || closed, "woke with neither readiness nor the close");
        p.join().unwrap();
        c.join().unwrap();
    });
}

#[test]
fn a_close_always_wakes_the_waiter() {
    loom::model(|| {
        let pd = Pd::new();
        let c = {
            let pd = pd.clone();
            loom::thread::spawn(move || pd.close())
        };
        let (ready, closed) = pd.wait(false);
        assert!(!ready);
        assert!(closed);
        c.join().unwrap();
    });
}

/// The wrong order: the error state read before the slot says WAIT. The closer's read of the
/// slot can come first (NIL: nobody to wake) and the waiter parks forever.
#[test]
#[should_panic(expected = "deadlock")]
fn checking_before_announcing_loses_the_close() {
    loom::model(|| {
        let pd = Pd::new();
        let c = {
            let pd = pd.clone();
            loom::thread::spawn(move || pd.close())
        };
        let (_, closed) = pd.wait(true);
        assert!(closed);
        c.join().unwrap();
    });
}
