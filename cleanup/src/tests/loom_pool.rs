//! Loom models of the cleanup pool's sleep/wake protocol (seed 003, reference §10.4,
//! invariant 27).
//!
//! `fixed_protocol_never_loses_work`: the production `Pool` (steps P1, C1-C4, W1 of `pool.rs`)
//! with 2 consumers and 2 producers, each producer its own waker (P1 then W1, as the sweeper
//! and the end-of-sweep flush run them): in every interleaving each consumer gets a block and
//! nobody sleeps forever (loom fails a model whose threads all block: a lost wake-up is a
//! deadlock). `spurious_wake_hands_no_token_to_nobody` adds a waker with no work of its own
//! (a flush that found nothing) to 1 consumer and 1 producer.
//!
//! `old_protocol_loses_a_wake_up`: Go's protocol before the fix (a packed
//! (asleep, wakes) word whose wake tokens the waker consumes; the consumer announces itself
//! only after its failed pop): loom must find the interleaving where the consumer sleeps
//! through the work — pop fails, the producer pushes and signals, the waker consumes the
//! signal seeing nobody asleep, the consumer then sleeps. Kept as a `should_panic` test: if it
//! ever passes, the model stopped exploring what it should.

use crate::pool::Pool;
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use tricolor_gc::internals::{LfNode, LfStack};

fn node() -> &'static LfNode {
    Box::leak(Box::new(LfNode::default()))
}

#[test]
fn fixed_protocol_never_loses_work() {
    // Exhaustive within 2 preemptions (~80 s on the 2-core dev machine); 3 ran past 10 minutes
    // (four threads, each LfStack operation a CAS loop). `TRICOLOR_LOOM_POOL_BOUND` raises it.
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(std::env::var("TRICOLOR_LOOM_POOL_BOUND").ok().and_then(|v| v.parse().ok()).unwrap_or(2));
    b.check(|| {
        let pool = Arc::new(Pool::new());
        let (a, b) = (node(), node());
        let consumer = {
            let pool = pool.clone();
            loom::thread::spawn(move || pool.dequeue() as usize)
        };
        let producers: Vec<_> = [a, b]
            .into_iter()
            .map(|n| {
                let pool = pool.clone();
                // SAFETY: each leaked node is pushed once.
                loom::thread::spawn(move || unsafe { pool.push(n) })
            })
            .collect();
        let mine = pool.dequeue() as usize;
        let theirs = consumer.join().unwrap();
        for p in producers {
            p.join().unwrap();
        }
        let (a, b) = (a as *const LfNode as usize, b as *const LfNode as usize);
        assert!((mine, theirs) == (a, b) || (mine, theirs) == (b, a), "each block taken exactly once");
    });
}

#[test]
fn spurious_wake_hands_no_token_to_nobody() {
    loom::model(|| {
        let pool = Arc::new(Pool::new());
        let a = node();
        let producer = {
            let pool = pool.clone();
            // SAFETY: the leaked node is pushed once.
            loom::thread::spawn(move || unsafe { pool.push(a) })
        };
        let waker = {
            let pool = pool.clone();
            loom::thread::spawn(move || pool.wake())
        };
        assert_eq!(pool.dequeue() as usize, a as *const LfNode as usize);
        producer.join().unwrap();
        waker.join().unwrap();
    });
}

/// Go's pre-fix `cleanupQueue` sleep state: asleep in the high 32 bits, wakes in the low.
struct OldPool {
    full: LfStack,
    state: AtomicU64,
    /// (wake tokens handed to sleepers — the `sleeping` list's pops —, shutdown), under the
    /// lock.
    lock: Mutex<(u64, bool)>,
    cv: Condvar,
}

impl OldPool {
    /// Producer: push, then `awaken(1)`.
    fn push(&self, n: &'static LfNode) {
        // SAFETY: a leaked node pushed once.
        unsafe { self.full.push(n) };
        self.state.fetch_add(1, Ordering::SeqCst);
    }

    /// Consumer: pop; on failure lock, `sleep()` (announce), park. Returns None if the model's
    /// shutdown found it asleep without a wake token (loom fails a deadlocked model by
    /// aborting, which `should_panic` cannot catch, so the harness ends the sleep itself).
    fn dequeue(&self) -> Option<*const LfNode> {
        loop {
            let b = self.full.pop();
            if !b.is_null() {
                return Some(b);
            }
            let mut g = self.lock.lock().unwrap();
            self.state.fetch_add(1 << 32, Ordering::SeqCst);
            while g.0 == 0 {
                if g.1 {
                    return None;
                }
                g = self.cv.wait(g).unwrap();
            }
            g.0 -= 1;
        }
    }

    /// Waker: `take()` consumes every wake signal, waking min(wakes, asleep).
    fn wake(&self) {
        let wake = loop {
            let old = self.state.load(Ordering::SeqCst);
            if old == 0 {
                return;
            }
            let (asleep, wakes) = (old >> 32, old & 0xffff_ffff);
            let wake = wakes.min(asleep);
            if self.state.compare_exchange(old, (asleep - wake) << 32, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                break wake;
            }
        };
        if wake > 0 {
            self.lock.lock().unwrap().0 += wake;
            for _ in 0..wake {
                self.cv.notify_one();
            }
        }
    }
}

#[test]
#[should_panic(expected = "lost wake-up")]
fn old_protocol_loses_a_wake_up() {
    loom::model(|| {
        let pool = Arc::new(OldPool { full: LfStack::new(), state: AtomicU64::new(0), lock: Mutex::new((0, false)), cv: Condvar::new() });
        let n = node();
        let consumer = {
            let pool = pool.clone();
            loom::thread::spawn(move || pool.dequeue().map(|p| p as usize))
        };
        // The producer (and the scheduler's wake that follows it) finishes: from here on a
        // correct protocol has either handed the block over or left the consumer a token.
        pool.push(n);
        pool.wake();
        {
            let mut g = pool.lock.lock().unwrap();
            g.1 = true;
            pool.cv.notify_all();
        }
        let got = consumer.join().unwrap();
        assert_eq!(got, Some(n as *const LfNode as usize), "lost wake-up: the consumer slept through queued work");
    });
}
