//! The cleanup goroutines: `max(procs/4, 1)` of them, created on demand, each taking full
//! blocks from the pool and running their records (Go's `runCleanups`). A panicking cleanup is
//! caught, counted and reported (stderr and the user's hook); its goroutine goes on with the
//! next record. Each goroutine publishes when its current cleanup started, so a cleanup that
//! blocks the pool shows in `Stats::oldest_running`.

use crate::queue::{Block, Queue};
use crate::record;
use crate::sync::{AtomicU64, AtomicUsize, Ordering};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};
use tricolor_runtime::{go, NoPreempt};

/// A user hook told about every panicking cleanup.
type PanicHook = Arc<dyn Fn(&str) + Send + Sync>;

pub(crate) struct Runner {
    max: usize,
    /// Goroutines started.
    ng: AtomicUsize,
    /// One spawner at a time (a flag, not a lock: a spawner may stop for a stop-the-world).
    spawning: AtomicBool,
    /// Per goroutine: when its current cleanup started (ns since `epoch` + 1), 0 when idle.
    started: Box<[AtomicU64]>,
    panicked: AtomicU64,
    hook: RwLock<Option<PanicHook>>,
}

fn epoch() -> Instant {
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(Instant::now)
}

impl Runner {
    pub(crate) fn new(procs: usize) -> Runner {
        let max = (procs / 4).max(1);
        let _ = epoch();
        Runner {
            max,
            ng: AtomicUsize::new(0),
            spawning: AtomicBool::new(false),
            started: (0..max).map(|_| AtomicU64::new(0)).collect(),
            panicked: AtomicU64::new(0),
            hook: RwLock::new(None),
        }
    }

    /// Starts cleanup goroutines if there are none or the pool asked for more (W1's extra).
    /// Cheap when nothing is needed: two relaxed loads. Must run on a goroutine.
    pub(crate) fn ensure(&'static self, q: &'static Queue) {
        // Relaxed: a hint; a missed request is retried by the next registration or consumer,
        // and the first goroutine is created under `spawning`, which re-reads `ng`.
        if self.ng.load(Ordering::Relaxed) != 0 && !q.pool.wants_g() {
            return;
        }
        if self.spawning.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return;
        }
        let ng = self.ng.load(Ordering::Relaxed);
        let want = q.pool.take_needg().max(usize::from(ng == 0));
        let k = want.min(self.max - ng);
        for i in ng..ng + k {
            self.ng.store(i + 1, Ordering::Relaxed);
            // Detached: the goroutine runs for the life of the process.
            drop(go(move || self.consume(q, i)));
        }
        self.spawning.store(false, Ordering::Release);
    }

    /// Goroutine `me`'s loop.
    fn consume(&'static self, q: &'static Queue, me: usize) -> ! {
        loop {
            let node = q.pool.dequeue();
            self.ensure(q);
            // SAFETY: the pool holds only blocks.
            let blk = unsafe { Block::from_node(node) };
            self.run_block(q, blk, me);
            // SAFETY: ours (the work unit gave it to us), every entry taken.
            unsafe { q.recycle(blk) };
        }
    }

    fn run_block(&self, q: &Queue, blk: &Block, me: usize) {
        for i in 0..blk.len() {
            // The record leaves the block (and so the root scan) with preemption off; `run`
            // moves its function and argument onto this stack before allowing a stop again.
            let np = NoPreempt::new();
            let rec = blk.take(i);
            if rec.is_null() {
                continue;
            }
            let now = epoch().elapsed().as_nanos() as u64 + 1;
            // Relaxed: statistics.
            self.started[me].store(now, Ordering::Relaxed);
            // SAFETY: taken from the block exactly once; run exactly once.
            let r = catch_unwind(AssertUnwindSafe(|| unsafe { record::run_record(rec, np) }));
            self.started[me].store(0, Ordering::Relaxed);
            if let Err(payload) = r {
                self.report(payload);
            }
            q.count_executed();
        }
    }

    fn report(&self, payload: Box<dyn Any + Send>) {
        // Relaxed: statistics.
        self.panicked.fetch_add(1, Ordering::Relaxed);
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "<non-string panic payload>".to_string());
        eprintln!("tricolor-cleanup: a cleanup panicked: {msg} (its goroutine goes on with the others)");
        let hook = self.hook.read().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(h) = hook {
            h(&msg);
        }
        // The payload's own destructor may panic; contain that too.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(payload)));
    }

    pub(crate) fn set_hook(&self, h: Option<PanicHook>) {
        *self.hook.write().unwrap_or_else(|e| e.into_inner()) = h;
    }

    /// (goroutines, running, oldest running for, panicked).
    pub(crate) fn snapshot(&self) -> (usize, usize, Option<Duration>, u64) {
        let now = epoch().elapsed().as_nanos() as u64 + 1;
        let mut running = 0;
        let mut oldest = None;
        for s in self.started.iter() {
            let t = s.load(Ordering::Relaxed);
            if t != 0 {
                running += 1;
                let d = Duration::from_nanos(now.saturating_sub(t));
                oldest = Some(oldest.map_or(d, |o: Duration| o.max(d)));
            }
        }
        (self.ng.load(Ordering::Relaxed), running, oldest, self.panicked.load(Ordering::Relaxed))
    }
}
