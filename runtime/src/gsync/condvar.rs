//! `Condvar`: a goroutine-aware condition variable for use with `gsync::Mutex`.
//!
//! `wait` queues the goroutine on the condvar's wait queue *while still holding the mutex*,
//! then releases the mutex and parks (the queue lock is released in the park commit, after the
//! goroutine is switched out). A notifier that changes the state under the same mutex and then
//! calls `notify_*` therefore always finds the waiter queued: no lost wake-ups. Spurious
//! wake-ups are allowed: callers wait in a loop on their condition, as with std's `Condvar`.

use super::mutex::{Mutex, MutexGuard};
use crate::g::G;
use crate::lock::RtMutex;
use crate::sched::park::{expect_goroutine, park, ready, WaitReason};
use std::collections::VecDeque;

/// A condition variable that parks goroutines.
///
/// ```
/// use tricolor_runtime::{block_on, go, gsync::{Condvar, Mutex}};
/// use std::sync::Arc;
/// block_on(|| {
///     let pair = Arc::new((Mutex::new(false), Condvar::new()));
///     let p2 = pair.clone();
///     go(move || { *p2.0.lock() = true; p2.1.notify_one(); });
///     let mut ready = pair.0.lock();
///     while !*ready {
///         ready = pair.1.wait(ready);
///     }
/// });
/// ```
#[derive(Debug)]
pub struct Condvar {
    waiters: RtMutex<VecDeque<&'static G>>,
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl Condvar {
    /// A condition variable with no waiters.
    pub fn new() -> Condvar {
        Condvar { waiters: RtMutex::new(VecDeque::new()) }
    }

    /// Releases `guard`'s mutex, parks until notified, and re-locks it. Must run on a
    /// goroutine.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let (_, g) = expect_goroutine("gsync::Condvar::wait");
        let mutex: &'a Mutex<T> = guard.mutex();
        let mut q = self.waiters.lock();
        q.push_back(g);
        // Queued under the mutex: a notifier must take the mutex first, so it finds us.
        drop(guard);
        park(WaitReason::Cond, move |_| {
            drop(q);
            true
        });
        mutex.lock()
    }

    /// Wakes one waiter, if any.
    pub fn notify_one(&self) {
        let g = self.waiters.lock().pop_front();
        if let Some(g) = g {
            ready(g);
        }
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        let all: Vec<_> = self.waiters.lock().drain(..).collect();
        for g in all {
            ready(g);
        }
    }
}
