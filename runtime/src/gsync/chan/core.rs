//! The channel machinery, after Go's `hchan`: a buffer, a queue of parked receivers and one of
//! parked senders, all under one runtime lock.
//!
//! Hand-off protocol: a parked goroutine's `Waiter` lives on its own stack and is reachable
//! only through the queue it sits in. The waiter is queued under the channel lock, and the lock
//! is released in the park commit, after the goroutine is switched out. A peer that pops the
//! waiter (under the lock) fills in its slot and outcome, releases the lock, then `ready`s the
//! goroutine; the goroutine reads its waiter only after it runs again. So a waiter is never
//! read or written by two parties at once, and never outlives its frame.

use super::{RecvError, SendError, TryRecvError, TrySendError};
use crate::g::G;
use crate::lock::{RtGuard, RtMutex};
use crate::sched::park::{expect_goroutine, park, ready, WaitReason};
use std::cell::{Cell, UnsafeCell};
use std::collections::VecDeque;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Pending,
    /// The value was handed over.
    Done,
    /// The channel closed while waiting.
    Closed,
}

struct Waiter<T> {
    g: &'static G,
    slot: UnsafeCell<Option<T>>,
    outcome: Cell<Outcome>,
}

/// A queued waiter. Raw because it points into a parked goroutine's stack (see module docs).
struct WaiterPtr<T>(*const Waiter<T>);

// SAFETY: the pointee is only touched under the channel lock or by its owner after wake-up.
unsafe impl<T: Send> Send for WaiterPtr<T> {}

impl<T> WaiterPtr<T> {
    /// Fills in the outcome (and slot) of a popped waiter and returns its goroutine to ready.
    ///
    /// # Safety
    /// 1. The waiter was just popped from a queue under the channel lock (so its goroutine is
    ///    parked and its frame alive), and the lock is still held.
    unsafe fn complete(self, outcome: Outcome, value: Option<T>) -> &'static G {
        // SAFETY: obligation 1: the frame is alive and nobody else touches the waiter.
        let w = unsafe { &*self.0 };
        if let Some(v) = value {
            // SAFETY: as above.
            unsafe { *w.slot.get() = Some(v) };
        }
        w.outcome.set(outcome);
        w.g
    }

    /// Takes the value a parked sender offers.
    ///
    /// # Safety
    /// Same as `complete`.
    unsafe fn take(&self) -> T {
        // SAFETY: the caller guarantees the waiter is alive and exclusively ours.
        unsafe { (*(*self.0).slot.get()).take().unwrap_or_else(|| crate::throw!("runtime: channel sender waiter without a value")) }
    }
}

struct State<T> {
    buf: VecDeque<T>,
    closed: bool,
    recvq: VecDeque<WaiterPtr<T>>,
    sendq: VecDeque<WaiterPtr<T>>,
    senders: usize,
    receivers: usize,
}

pub(super) struct Chan<T> {
    cap: usize,
    state: RtMutex<State<T>>,
    /// The buffer's registration as a root (`buffers.rs` step 1), set once after the channel
    /// is at its final address.
    root: std::sync::OnceLock<crate::registry::Ticket>,
}

/// `buffers.rs` step 3: shades `v` (scanned conservatively) if the collector is marking. Call
/// under the channel lock, at the move.
#[inline]
fn shade<T>(v: &T) {
    if super::buffers::scanned::<T>() {
        let lo = v as *const T as usize;
        crate::hooks::shade_range(lo, lo + std::mem::size_of::<T>());
    }
}

impl<T> Drop for Chan<T> {
    fn drop(&mut self) {
        if let Some(&t) = self.root.get() {
            super::buffers::unregister(t);
        }
    }
}

impl<T> Chan<T> {
    pub(super) fn new(cap: usize) -> Chan<T> {
        Chan {
            cap,
            state: RtMutex::new(State {
                buf: VecDeque::new(),
                closed: false,
                recvq: VecDeque::new(),
                sendq: VecDeque::new(),
                senders: 1,
                receivers: 1,
            }),
            root: std::sync::OnceLock::new(),
        }
    }

    /// `buffers.rs` step 1, for a channel at its final address (inside its `Arc`).
    pub(super) fn register_root(&self) {
        if super::buffers::scanned::<T>() && self.cap > 0 {
            let t = super::buffers::register(self);
            if self.root.set(t).is_err() {
                crate::throw!("runtime: channel buffer registered twice");
            }
        }
    }

    /// `buffers.rs` step 2: `f` with the buffered values (two slices of the ring), under the
    /// lock.
    pub(super) fn with_buffer(&self, f: impl FnOnce(&[T], &[T])) {
        let st = self.state.lock();
        let (a, b) = st.buf.as_slices();
        f(a, b);
    }

    pub(super) fn len(&self) -> usize {
        self.state.lock().buf.len()
    }

    /// Non-blocking half of send. `Err` gives the value back with the guard for parking.
    fn send_now<'a>(&'a self, v: T) -> Result<(), (T, RtGuard<'a, State<T>>, bool)> {
        let mut st = self.state.lock();
        if st.closed {
            return Err((v, st, true));
        }
        // Into the buffer or a receiver's waiter (or, if full, back to our own stack).
        shade(&v);
        if let Some(w) = st.recvq.pop_front() {
            // SAFETY: popped under the lock, which we hold.
            let g = unsafe { w.complete(Outcome::Done, Some(v)) };
            drop(st);
            ready(g);
            return Ok(());
        }
        if st.buf.len() < self.cap {
            st.buf.push_back(v);
            return Ok(());
        }
        Err((v, st, false))
    }

    pub(super) fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        match self.send_now(v) {
            Ok(()) => Ok(()),
            Err((v, _, true)) => Err(TrySendError::Closed(v)),
            Err((v, _, false)) => Err(TrySendError::Full(v)),
        }
    }

    pub(super) fn send(&self, v: T) -> Result<(), SendError<T>> {
        let (v, mut st) = match self.send_now(v) {
            Ok(()) => return Ok(()),
            Err((v, _, true)) => return Err(SendError(v)),
            Err((v, st, false)) => (v, st),
        };
        let (_, g) = expect_goroutine("chan::Sender::send");
        let w = Waiter { g, slot: UnsafeCell::new(Some(v)), outcome: Cell::new(Outcome::Pending) };
        st.sendq.push_back(WaiterPtr(&w));
        park(WaitReason::ChanSend, move |_| {
            drop(st);
            true
        });
        match w.outcome.get() {
            Outcome::Done => Ok(()),
            Outcome::Closed => {
                Err(SendError(w.slot.into_inner().unwrap_or_else(|| crate::throw!("runtime: closed sender lost its value"))))
            }
            Outcome::Pending => crate::throw!("runtime: channel sender woken without an outcome"),
        }
    }

    /// Non-blocking half of recv.
    fn recv_now(&self) -> Result<T, (RtGuard<'_, State<T>>, bool)> {
        let mut st = self.state.lock();
        if let Some(v) = st.buf.pop_front() {
            // Out of the buffer, onto our stack.
            shade(&v);
            // Refill the slot from a parked sender, keeping FIFO order.
            if let Some(w) = st.sendq.pop_front() {
                // SAFETY: popped under the lock, which we hold.
                let moved = unsafe { w.take() };
                // From the sender's stack into the buffer.
                shade(&moved);
                st.buf.push_back(moved);
                // SAFETY: as above.
                let g = unsafe { w.complete(Outcome::Done, None) };
                drop(st);
                ready(g);
            }
            return Ok(v);
        }
        if let Some(w) = st.sendq.pop_front() {
            // Rendezvous: take straight from the sender.
            // SAFETY: popped under the lock, which we hold.
            let v = unsafe { w.take() };
            // From the sender's stack onto ours.
            shade(&v);
            // SAFETY: as above.
            let g = unsafe { w.complete(Outcome::Done, None) };
            drop(st);
            ready(g);
            return Ok(v);
        }
        let closed = st.closed;
        Err((st, closed))
    }

    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.recv_now() {
            Ok(v) => Ok(v),
            Err((_, true)) => Err(TryRecvError::Closed),
            Err((_, false)) => Err(TryRecvError::Empty),
        }
    }

    pub(super) fn recv(&self) -> Result<T, RecvError> {
        let mut st = match self.recv_now() {
            Ok(v) => return Ok(v),
            Err((_, true)) => return Err(RecvError),
            Err((st, false)) => st,
        };
        let (_, g) = expect_goroutine("chan::Receiver::recv");
        let w = Waiter { g, slot: UnsafeCell::new(None), outcome: Cell::new(Outcome::Pending) };
        st.recvq.push_back(WaiterPtr(&w));
        park(WaitReason::ChanRecv, move |_| {
            drop(st);
            true
        });
        match w.outcome.get() {
            Outcome::Done => Ok(w.slot.into_inner().unwrap_or_else(|| crate::throw!("runtime: receiver woken without a value"))),
            Outcome::Closed => Err(RecvError),
            Outcome::Pending => crate::throw!("runtime: channel receiver woken without an outcome"),
        }
    }

    pub(super) fn close(&self) -> bool {
        let mut st = self.state.lock();
        if st.closed {
            return false;
        }
        st.closed = true;
        let mut wake = Vec::with_capacity(st.recvq.len() + st.sendq.len());
        while let Some(w) = st.recvq.pop_front() {
            // SAFETY: popped under the lock, which we hold.
            wake.push(unsafe { w.complete(Outcome::Closed, None) });
        }
        while let Some(w) = st.sendq.pop_front() {
            // SAFETY: popped under the lock, which we hold.
            wake.push(unsafe { w.complete(Outcome::Closed, None) });
        }
        drop(st);
        for g in wake {
            ready(g);
        }
        true
    }

    pub(super) fn add_sender(&self) {
        self.state.lock().senders += 1;
    }

    pub(super) fn add_receiver(&self) {
        self.state.lock().receivers += 1;
    }

    pub(super) fn drop_sender(&self) {
        let last = {
            let mut st = self.state.lock();
            st.senders -= 1;
            st.senders == 0
        };
        if last {
            self.close();
        }
    }

    pub(super) fn drop_receiver(&self) {
        let last = {
            let mut st = self.state.lock();
            st.receivers -= 1;
            st.receivers == 0
        };
        if last {
            self.close();
        }
    }
}
