//! `WaitGroup`: wait for a collection of goroutines to finish, as Go's `sync.WaitGroup`.

use super::waitq::WaitQueue;
use crate::sync::atomic::{AtomicI64, Ordering};

/// Counts outstanding work; `wait` parks until the count is zero.
///
/// ```
/// use tricolor_runtime::{block_on, go, gsync::WaitGroup};
/// use std::sync::Arc;
/// block_on(|| {
///     let wg = Arc::new(WaitGroup::new());
///     for _ in 0..4 {
///         wg.add(1);
///         let wg = wg.clone();
///         go(move || wg.done());
///     }
///     wg.wait();
/// });
/// ```
#[derive(Debug)]
pub struct WaitGroup {
    count: AtomicI64,
    waiters: WaitQueue,
}

impl Default for WaitGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitGroup {
    /// A group with count zero.
    pub fn new() -> WaitGroup {
        WaitGroup { count: AtomicI64::new(0), waiters: WaitQueue::new() }
    }

    /// Adds `delta` (may be negative) to the count; reaching zero wakes every waiter.
    ///
    /// # Panics
    /// If the count becomes negative.
    pub fn add(&self, delta: i64) {
        // AcqRel: the Release half publishes the finished work to waiters (who Acquire-load
        // the count); the Acquire half orders the wake-up after all earlier `done`s.
        let new = self.count.fetch_add(delta, Ordering::AcqRel) + delta;
        if new < 0 {
            panic!("WaitGroup::add: negative counter ({new}): more done() than add()");
        }
        if new == 0 {
            self.waiters.wake_all();
        }
    }

    /// Decrements the count by one.
    pub fn done(&self) {
        self.add(-1);
    }

    /// Parks until the count is zero.
    pub fn wait(&self) {
        crate::preempt::safepoint();
        while self.count.load(Ordering::Acquire) != 0 {
            self.waiters.wait_if("WaitGroup::wait", crate::sched::park::WaitReason::WaitGroup, || self.count.load(Ordering::Acquire) != 0);
        }
    }
}
