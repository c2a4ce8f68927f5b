//! Background scan credit and the assist queue (reference §4.4, Go's `bgScanCredit`,
//! `gcParkAssist` and `gcFlushBgCredit`), separated from the heap and the scheduler so the loom
//! model (`tests/loom_assist.rs`) runs this very code.
//!
//! Mark workers turn the bytes they scan into credit (`flush`). An allocator in assist debt
//! first steals credit (`steal`); when it still owes and finds no mark work it can do itself
//! (every grey object is in another P's buffer, or the remaining roots are stacks waiting for
//! their goroutines), it parks on the queue with what it owes (`park`) instead of allocating
//! on unpaid — the mutator must not outrun the mark. Flushes pay queued debts first, oldest
//! first, and wake each debtor whose debt they cleared; the end of the cycle wakes them all
//! (`wake_all`).
//!
//! The lost wake-up this must not have: a debtor that parks while credit sits unclaimed. The
//! debtor steals, queues and parks under the queue's lock, which it releases only once it can
//! be woken; a flush adds its credit and *then* takes the lock to pay the queue. Either the
//! flush's lock comes after the debtor's (it finds the debt queued and pays it) or before it
//! (its credit, added before it locked, is visible to the debtor's steal under the lock). One
//! uncontended lock per flush costs nothing next to the chunk of marking that earned it. Go
//! looks at the queue first and adds the credit after; then a debtor can park beside credit
//! until the next flush or the end of the cycle (the model's broken variant shows it as a
//! deadlock). An atomic "queue is empty" hint read before the lock would be the store-buffering
//! pattern, correct only with SeqCst on both sides, which loom does not model faithfully.

use crate::sync::atomic::{AtomicUsize, Ordering};
use std::collections::VecDeque;
use std::ops::DerefMut;

/// The lock over the queued debts, able to park the caller (production: the runtime's
/// `ParkLock`; the loom model: a mutex and a condition variable).
pub(crate) trait QueueLock {
    type Guard<'a>: DerefMut<Target = VecDeque<usize>>
    where
        Self: 'a;
    fn lock(&self) -> Self::Guard<'_>;
    /// Parks the caller, whose debt is the queue's last entry, until `wake_front` takes it;
    /// the lock is released only once the caller can be woken.
    fn park(&self, g: Self::Guard<'_>);
    /// Wakes the longest-parked debtor (when the guard drops, or at once); its debt was just
    /// taken off the queue's front (`AssistQueue::wake_first`).
    fn wake_front(&self, g: &mut Self::Guard<'_>);
}

/// Credit and queued debts of the running cycle.
pub(crate) struct AssistQueue<L: QueueLock> {
    /// Scanned bytes no assist has claimed.
    credit: AtomicUsize,
    lock: L,
}

impl<L: QueueLock> AssistQueue<L> {
    pub(crate) fn new(lock: L) -> Self {
        AssistQueue { credit: AtomicUsize::new(0), lock }
    }

    /// A new cycle: credit starts at zero (the queue is empty: `wake_all` ran at the end of
    /// the last cycle, and nobody parks before this cycle's mark begins).
    pub(crate) fn reset(&self) {
        // Relaxed: inside stop #1, nobody steals or flushes (no worker runs, no assist).
        self.credit.store(0, Ordering::Relaxed);
    }

    /// Unclaimed credit (statistics, tests).
    pub(crate) fn credit(&self) -> usize {
        self.credit.load(Ordering::Relaxed)
    }

    /// Takes up to `want` bytes of credit; returns what it took.
    pub(crate) fn steal(&self, want: usize) -> usize {
        // Relaxed: a counter; a lost race takes less and the assist marks the rest. The queue's
        // protocol orders the credit through its lock, not through these accesses.
        let mut have = self.credit.load(Ordering::Relaxed);
        loop {
            let take = have.min(want);
            if take == 0 {
                return 0;
            }
            match self.credit.compare_exchange_weak(have, have - take, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return take,
                Err(cur) => have = cur,
            }
        }
    }

    /// A worker scanned `bytes`: credit for queued debtors first, then for later assists.
    pub(crate) fn flush(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        // Relaxed: the lock taken next orders it before any debtor's steal under that lock.
        self.credit.fetch_add(bytes, Ordering::Relaxed);
        self.pay_queued(self.lock.lock());
    }

    /// Go's order, looking at the queue before adding the credit: the loom model's broken
    /// variant (a debtor can park beside unclaimed credit).
    #[cfg(all(loom, test))]
    pub(crate) fn flush_queue_checked_first(&self, bytes: usize) {
        let empty = self.lock.lock().is_empty();
        self.credit.fetch_add(bytes, Ordering::Relaxed);
        if !empty {
            self.pay_queued(self.lock.lock());
        }
    }

    /// Pays queued debts from the credit, oldest first, waking each debtor paid in full.
    fn pay_queued(&self, mut q: L::Guard<'_>) {
        while let Some(&owed) = q.front() {
            let got = self.steal(owed);
            if got == 0 {
                break;
            }
            if got < owed {
                q[0] = owed - got;
                break;
            }
            self.wake_first(&mut q);
        }
    }

    /// Parks the caller until flushes paid `owed` bytes or the cycle ended. `current` says,
    /// under the queue's lock, whether the debtor's cycle is still marking (`wake_all` runs
    /// after the cycle's end is visible, under the same lock, so a debtor either sees the end
    /// or is queued before `wake_all` looks). Returns whether it parked.
    pub(crate) fn park(&self, owed: usize, current: impl FnOnce() -> bool) -> bool {
        let mut q = self.lock.lock();
        if !current() {
            return false;
        }
        let got = self.steal(owed);
        if got == owed {
            return false;
        }
        q.push_back(owed - got);
        self.lock.park(q);
        true
    }

    /// The cycle ended: wakes every debtor (their debts die with the cycle).
    pub(crate) fn wake_all(&self) {
        let mut q = self.lock.lock();
        while !q.is_empty() {
            self.wake_first(&mut q);
        }
    }

    /// Drops the first debt and wakes its debtor: the lock's own queue of parked goroutines is
    /// FIFO in the order they pushed their debts (`park`), so the two stay in step.
    fn wake_first(&self, q: &mut L::Guard<'_>) {
        q.pop_front();
        self.lock.wake_front(q);
    }

    /// The lock itself (loom models).
    #[cfg(all(loom, test))]
    pub(crate) fn lock_inner(&self) -> &L {
        &self.lock
    }

    /// Debtors parked now (statistics, tests).
    pub(crate) fn parked(&self) -> usize {
        self.lock.lock().len()
    }
}

/// The debts pop before the goroutine they belong to is woken, so the lock's own FIFO
/// (`ParkLock`) and the debts stay in step: both push under one lock hold in `park`.
pub(crate) struct RuntimeLock(pub(crate) tricolor_runtime::gsync::ParkLock<VecDeque<usize>>);

impl QueueLock for RuntimeLock {
    type Guard<'a> = tricolor_runtime::gsync::ParkGuard<'a, VecDeque<usize>>;
    fn lock(&self) -> Self::Guard<'_> {
        self.0.lock()
    }
    fn park(&self, g: Self::Guard<'_>) {
        drop(g.park());
    }
    fn wake_front(&self, g: &mut Self::Guard<'_>) {
        let woke = g.wake_one();
        if !woke {
            tricolor_runtime::throw!("gc: assist queue holds a debt with no parked goroutine");
        }
    }
}
