//! The cleanup-goroutine pool's sleep/wake protocol: the fixed one of seed 003 (Go's
//! `cleanupQueue` after issue 73642; reference §10.4, invariant 27). Steps, cited in the code
//! and in `tests/loom_pool.rs`:
//!
//! P1. A producer publishes a full block on the lock-free `full` list, *then* increments
//!     `work_units`.
//! C1. A consumer takes a unit by decrementing `work_units` with a CAS that never goes below 0
//!     (`try_take_work`); success guarantees that the pop that follows returns a block.
//! C2. Failing, it takes the lock and increments `asleep` *before* looking again (it announces
//!     itself),
//! C3. re-checks `work_units` under the lock: if work arrived, it undoes the increment, unlocks
//!     and retries C1;
//! C4. otherwise it sleeps on the condvar until handed a wake token (the lock is released
//!     while it sleeps and re-taken when it wakes), then retries C1.
//! W1. A waker takes the lock, reads `work = work_units` and `a = asleep`, wakes
//!     `w = min(work, a)` sleepers (`asleep -= w`, `tokens += w`, `w` notifications), and asks
//!     for `work - a` more goroutines if positive (created outside the lock by `add`).
//!
//! Only consumers consume work units; wakers never do (the old protocol's consumable "wake
//! token" is what lost the wake-up). `asleep` over-estimates the sleepers between C2 and C4
//! and is exact whenever observed under the lock, so a waker never hands a token to nobody,
//! and a sleeper that announced itself before its final check cannot miss work pushed after
//! that check: the producer's W1 sees `asleep > 0` and `work_units > 0` under the same lock.

use crate::sync::{AtomicUsize, Ordering, ParkLock};
use tricolor_gc::internals::{LfNode, LfStack};

#[derive(Debug, Default)]
struct Sleep {
    /// Wake tokens handed out by W1 and not yet taken by a woken consumer.
    tokens: usize,
}

/// The queue of full blocks and its sleepers.
#[derive(Debug)]
pub(crate) struct Pool {
    full: LfStack,
    work_units: AtomicUsize,
    asleep: AtomicUsize,
    /// More consumer goroutines wanted (W1's `extra`), created by whoever may spawn
    /// (`take_needg`); read without the lock on the registration fast path.
    needg: AtomicUsize,
    sleep: ParkLock<Sleep>,
}

impl Pool {
    pub(crate) fn new() -> Pool {
        Pool {
            full: LfStack::new(),
            work_units: AtomicUsize::new(0),
            asleep: AtomicUsize::new(0),
            needg: AtomicUsize::new(0),
            sleep: ParkLock::new(Sleep::default()),
        }
    }

    /// P1 then W1.
    ///
    /// # Safety
    /// `node` heads a never-freed block the caller owns.
    pub(crate) unsafe fn push(&self, node: *const LfNode) {
        // SAFETY: forwarded.
        unsafe { self.push_only(node) };
        self.wake()
    }

    /// P1 alone, for a producer that publishes several blocks and then runs W1 once.
    ///
    /// # Safety
    /// As for `push`.
    pub(crate) unsafe fn push_only(&self, node: *const LfNode) {
        // SAFETY: forwarded.
        unsafe { self.full.push(node) };
        // Release: the block (pushed above) is visible to a consumer that takes this unit.
        self.work_units.fetch_add(1, Ordering::Release);
    }

    /// C1.
    fn try_take_work(&self) -> bool {
        let mut w = self.work_units.load(Ordering::Acquire);
        while w > 0 {
            // Acquire pairs with P1's Release: the block is on the list.
            match self.work_units.compare_exchange_weak(w, w - 1, Ordering::Acquire, Ordering::Acquire) {
                Ok(_) => return true,
                Err(cur) => w = cur,
            }
        }
        false
    }

    /// C1-C4: a full block, sleeping until one is available.
    pub(crate) fn dequeue(&self) -> *const LfNode {
        loop {
            if self.try_take_work() {
                let n = self.full.pop();
                assert!(!n.is_null(), "cleanup: took a work unit but the full list was empty");
                return n;
            }
            if crate::debug::yields() {
                // The window seed 003's lost wake-up lived in: between a failed C1 and C2.
                crate::debug::maybe_yield();
            }
            let mut s = self.sleep.lock();
            // C2: announce first. `asleep` changes only under the lock, which orders it with
            // W1's read; AcqRel keeps the increment before the C3 load below even for the
            // lock-free readers (`wants_g` callers).
            self.asleep.fetch_add(1, Ordering::AcqRel);
            // C3: re-check under the lock.
            // Acquire: pairs with P1's Release (a unit seen here has its block on the list).
            if self.work_units.load(Ordering::Acquire) > 0 {
                // Under the lock, as every change of `asleep`.
                self.asleep.fetch_sub(1, Ordering::AcqRel);
                continue;
            }
            // C4.
            while s.tokens == 0 {
                s = s.park();
            }
            s.tokens -= 1;
        }
    }

    /// A failing pop that gives up instead of sleeping (tests drive the window between C1 and
    /// C2 with yields; `dequeue` is the production path).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn try_dequeue(&self) -> *const LfNode {
        if self.try_take_work() {
            return self.full.pop();
        }
        std::ptr::null()
    }

    /// W1.
    pub(crate) fn wake(&self) {
        let mut s = self.sleep.lock();
        // Acquire: pairs with P1's Release. `asleep` is read under the lock that guards its
        // changes, so it is exact here (the over-estimate of C2-C4 included).
        let work = self.work_units.load(Ordering::Acquire);
        let a = self.asleep.load(Ordering::Acquire);
        let w = work.min(a);
        if w > 0 {
            // Under the lock (see C2).
            self.asleep.fetch_sub(w, Ordering::AcqRel);
            s.tokens += w;
            for _ in 0..w {
                s.wake_one();
            }
        }
        if work > a {
            // Relaxed: a hint for `take_needg`; the work itself is found through `work_units`.
            self.needg.fetch_add(work - a, Ordering::Relaxed);
        }
    }

    /// Whether W1 asked for more consumer goroutines (cheap; no lock).
    pub(crate) fn wants_g(&self) -> bool {
        self.needg.load(Ordering::Relaxed) > 0
    }

    /// Takes the request for more consumer goroutines.
    pub(crate) fn take_needg(&self) -> usize {
        self.needg.swap(0, Ordering::Relaxed)
    }

    /// Consumers parked in C4 or about to (`asleep`, exact under the lock).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn asleep(&self) -> usize {
        let _s = self.sleep.lock();
        // Under the lock: exact.
        self.asleep.load(Ordering::Acquire)
    }
}
