//! `WaitQueue`: goroutines parked until another goroutine wakes them — the goroutine version
//! of a futex. `wait_if` checks its condition under the queue lock and releases that lock only
//! after the goroutine is switched out (park commit), so a waker that changes the condition and
//! then calls `wake_*` can never miss a waiter.

use crate::g::G;
use crate::lock::RtMutex;
use crate::sched::park::{expect_goroutine, park, ready, WaitReason};
use std::collections::VecDeque;

/// A FIFO of parked goroutines.
#[derive(Debug)]
pub(crate) struct WaitQueue {
    q: RtMutex<VecDeque<&'static G>>,
}

impl WaitQueue {
    pub(crate) fn new() -> Self {
        WaitQueue { q: RtMutex::new(VecDeque::new()) }
    }

    /// Parks the current goroutine if `cond()` holds under the queue lock. Returns when woken
    /// (or at once if `cond()` was false). Callers re-check their condition.
    pub(crate) fn wait_if(&self, api: &str, reason: WaitReason, cond: impl FnOnce() -> bool) {
        let (_, g) = expect_goroutine(api);
        let mut q = self.q.lock();
        if !cond() {
            return;
        }
        q.push_back(g);
        park(reason, move |_| {
            drop(q);
            true
        });
    }

    /// Wakes every waiter.
    pub(crate) fn wake_all(&self) {
        let all: Vec<_> = self.q.lock().drain(..).collect();
        for g in all {
            ready(g);
        }
    }
}
