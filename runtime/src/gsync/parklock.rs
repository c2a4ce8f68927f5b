//! `ParkLock<T>`: state behind the runtime's own lock, with a queue of goroutines parked on it
//! (Go's `lock(&l)` + `goparkunlock(&l)` + an injected `gList`).
//!
//! Unlike `Mutex` + `Condvar`, taking the lock never parks: a holder has preemption disabled
//! and blocks its thread for the few instructions another holder needs. That makes it usable
//! where parking is not allowed — inside the collector's sweep hooks, with preemption disabled,
//! off a goroutine — which is why tricolor-cleanup's pool sleeps on it. Critical sections must
//! be short and must not park, yield or allocate from the collector (reference §8.3,
//! invariant 18), except through `ParkGuard::park`, which releases the lock only after the
//! goroutine is switched out: a waker that takes the lock afterwards always finds it queued.
//!
//! Goroutines woken with `wake_one` are made runnable when the guard drops, after the lock is
//! released, on the global run queue: wakers are typically in the middle of long work (the
//! sweeper), so the woken goroutine must be free to run on another P.

use crate::g::G;
use crate::lock::{RtGuard, RtMutex};
use crate::sched::park::{expect_goroutine, park, ready_global, WaitReason};
use std::collections::VecDeque;
use std::fmt;
use std::ops::{Deref, DerefMut};

struct Inner<T> {
    value: T,
    parked: VecDeque<&'static G>,
}

/// A runtime lock over `T` whose holder may park the current goroutine; see the module docs.
///
/// ```
/// use tricolor_runtime::{block_on, go, gsync::ParkLock};
/// use std::sync::Arc;
/// block_on(|| {
///     let l = Arc::new(ParkLock::new(false));
///     let l2 = l.clone();
///     go(move || { let mut g = l2.lock(); *g = true; g.wake_one(); });
///     let mut g = l.lock();
///     while !*g {
///         g = g.park();
///     }
/// });
/// ```
pub struct ParkLock<T> {
    inner: RtMutex<Inner<T>>,
}

/// Holds a `ParkLock` (preemption disabled while it lives).
pub struct ParkGuard<'a, T> {
    lock: &'a ParkLock<T>,
    guard: Option<RtGuard<'a, Inner<T>>>,
    woken: Vec<&'static G>,
}

impl<T> ParkLock<T> {
    /// A lock over `value` with nobody parked.
    pub fn new(value: T) -> ParkLock<T> {
        ParkLock { inner: RtMutex::new(Inner { value, parked: VecDeque::new() }) }
    }

    /// Takes the lock, blocking the thread (never parking the goroutine) while another holder
    /// finishes. Works on any thread.
    pub fn lock(&self) -> ParkGuard<'_, T> {
        ParkGuard { lock: self, guard: Some(self.inner.lock()), woken: Vec::new() }
    }
}

impl<'a, T> ParkGuard<'a, T> {
    fn inner(&mut self) -> &mut Inner<T> {
        self.guard.as_mut().expect("ParkGuard used after park")
    }

    /// Parks the current goroutine until `wake_one` picks it, releasing the lock once it is
    /// switched out; re-takes the lock on wake-up. Wake-ups are exact (one per `wake_one` that
    /// found this goroutine), but callers still re-check their condition in a loop.
    ///
    /// # Panics
    /// Off a goroutine (the message names the call).
    pub fn park(mut self) -> ParkGuard<'a, T> {
        let (_, g) = expect_goroutine("gsync::ParkGuard::park");
        let lock = self.lock;
        let woken = std::mem::take(&mut self.woken);
        let mut guard = self.guard.take().expect("ParkGuard used after park");
        drop(self);
        guard.parked.push_back(g);
        // Goroutines this guard woke are readied before we sleep (the lock is still held, and
        // `ready` takes only scheduler locks, never this one).
        for w in woken {
            ready_global(w);
        }
        park(WaitReason::Cond, move |_| {
            drop(guard);
            true
        });
        lock.lock()
    }

    /// Takes one parked goroutine off the queue; it becomes runnable when this guard drops.
    /// Returns whether there was one.
    pub fn wake_one(&mut self) -> bool {
        match self.inner().parked.pop_front() {
            Some(g) => {
                self.woken.push(g);
                true
            }
            None => false,
        }
    }

    /// How many goroutines are parked.
    pub fn parked(&mut self) -> usize {
        self.inner().parked.len()
    }
}

impl<T> Deref for ParkGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard.as_ref().expect("ParkGuard used after park").value
    }
}

impl<T> DerefMut for ParkGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner().value
    }
}

impl<T> Drop for ParkGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.guard.take());
        for g in self.woken.drain(..) {
            ready_global(g);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for ParkLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParkLock").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for ParkGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParkGuard").field("woken", &self.woken.len()).finish_non_exhaustive()
    }
}
