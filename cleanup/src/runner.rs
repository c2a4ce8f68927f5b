//! The cleanup goroutines: `max(procs/4, 1)` of them, created on demand, each taking full
//! blocks from the pool and running their records (Go's `runCleanups`). A panicking cleanup is
//! caught, counted and reported (stderr and the user's hook); its goroutine goes on with the
//! next record. Each goroutine publishes which cleanup it is running (a sequence number with a
//! running bit: two plain stores per cleanup, no clock read — a clock read per cleanup cost
//! ~20% of the pool's throughput); `stats()` remembers when it first saw each running
//! sequence number, so a cleanup that blocks the pool shows in `Stats::oldest_running` with
//! the time since it was first observed (a lower bound, exact to the interval between calls).

use crate::queue::{Block, Queue};
use crate::record;
use crate::sync::{AtomicU64, AtomicUsize, Ordering};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};
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
    /// Per goroutine: cleanups started << 1 | running.
    current: Box<[AtomicU64]>,
    /// `stats()`'s memory: per goroutine, the running `current` value it last saw and when it
    /// first saw it.
    seen: std::sync::Mutex<Vec<(u64, Instant)>>,
    panicked: AtomicU64,
    hook: RwLock<Option<PanicHook>>,
}

impl Runner {
    pub(crate) fn new(procs: usize) -> Runner {
        let max = (procs / 4).max(1);
        Runner {
            max,
            ng: AtomicUsize::new(0),
            spawning: AtomicBool::new(false),
            current: (0..max).map(|_| AtomicU64::new(0)).collect(),
            seen: std::sync::Mutex::new(vec![(0, Instant::now()); max]),
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
        // Acquire/Release on `spawning`: a spin-free try-lock; the previous spawner's `ng`
        // stores happen before our `ng` load.
        if self.spawning.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return;
        }
        let ng = self.ng.load(Ordering::Relaxed);
        let want = q.pool.take_needg().max(usize::from(ng == 0));
        let k = want.min(self.max - ng);
        for i in ng..ng + k {
            // Relaxed: written only under `spawning`, whose Release publishes it to the next
            // spawner; other readers use it as a hint or a statistic.
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
        let cur = &self.current[me];
        // Relaxed: only this goroutine writes its `current`; readers want statistics.
        let mut seq = cur.load(Ordering::Relaxed) >> 1;
        let mut ran = 0;
        for i in 0..blk.len() {
            // The record leaves the block (and so the root scan) with preemption off; `run`
            // moves its function and argument onto this stack before allowing a stop again.
            let np = NoPreempt::new();
            let rec = blk.take(i);
            if rec == 0 {
                continue;
            }
            // Leaving a root while marking (deletion): our stack may be scanned already, and
            // the record's function and argument are about to move onto it.
            // SAFETY: a live record we own now.
            tricolor_gc::internals::shade_traced(|t| unsafe { record::trace(rec, t) });
            seq += 1;
            cur.store(seq << 1 | 1, Ordering::Relaxed);
            // SAFETY: taken from the block exactly once; run exactly once.
            let r = catch_unwind(AssertUnwindSafe(|| unsafe { record::run_record(rec, np) }));
            cur.store(seq << 1, Ordering::Relaxed);
            if let Err(payload) = r {
                self.report(payload);
            }
            ran += 1;
        }
        // Once per block: `wait_idle` only needs the count to be exact when the block is done.
        q.count_executed(ran);
    }

    fn report(&self, payload: Box<dyn Any + Send>) {
        // Relaxed: statistics.
        self.panicked.fetch_add(1, Ordering::Relaxed);
        let msg = tricolor_runtime::debug::panic_message(&*payload).unwrap_or("<non-string panic payload>").to_string();
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
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut running = 0;
        let mut oldest = None;
        for (c, memo) in self.current.iter().zip(seen.iter_mut()) {
            // Relaxed: statistics.
            let v = c.load(Ordering::Relaxed);
            if v & 1 == 0 {
                continue;
            }
            running += 1;
            if memo.0 != v {
                *memo = (v, now);
            }
            let d = now - memo.1;
            oldest = Some(oldest.map_or(d, |o: Duration| o.max(d)));
        }
        (self.ng.load(Ordering::Relaxed), running, oldest, self.panicked.load(Ordering::Relaxed))
    }
}
