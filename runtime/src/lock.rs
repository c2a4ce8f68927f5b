//! `RtMutex`: the runtime's lock for state that goroutines touch (channels, wait queues, timers).
//! Its guard holds a `NoPreempt`, so a lock holder is never stopped at a safepoint while others
//! may wait for the lock (reference §8.3, invariant 18; seed 001). Critical sections must not
//! park, yield or call `safepoint()` — except by moving the guard into a `park` commit, which
//! releases it on g0 after the goroutine is switched out.
//!
//! In std builds the façade's lock is `NpMutex`, whose guard holds the no-preempt section
//! already; only loom builds (loom's plain mutex) add one here.

#[cfg(loom)]
use crate::preempt::NoPreempt;
use crate::sync::{Mutex, MutexGuard};
use std::ops::{Deref, DerefMut};

/// A runtime lock; see the module docs.
#[derive(Debug)]
pub(crate) struct RtMutex<T>(Mutex<T>);

/// Guard of an `RtMutex`; preemption stays disabled while it lives.
#[derive(Debug)]
pub(crate) struct RtGuard<'a, T> {
    // Field order: the lock is released before preemption is re-enabled.
    guard: MutexGuard<'a, T>,
    #[cfg(loom)]
    _np: NoPreempt,
}

impl<T> RtMutex<T> {
    pub(crate) fn new(v: T) -> Self {
        RtMutex(Mutex::new(v))
    }

    pub(crate) fn lock(&self) -> RtGuard<'_, T> {
        #[cfg(loom)]
        let np = NoPreempt::new();
        RtGuard {
            guard: self.0.lock(),
            #[cfg(loom)]
            _np: np,
        }
    }
}

impl<T> Deref for RtGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for RtGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}
