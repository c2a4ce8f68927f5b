//! The collector: the process-wide state and the cycle.
//!
//! A cycle (reference §2, as a stop-the-world collector; `gcstoptheworld=2` in Go's terms):
//! 1. Sweep termination: sweep whatever the last cycle left (concurrently, before stopping).
//! 2. Stop the world. Return every P's cached spans to the central lists (all spans are now
//!    swept and uncached, invariant 12).
//! 3. Mark in parallel on every P (`mark/`), then, with `gccheckmark=1`, verify by re-marking
//!    from scratch (`debug/checkmark.rs`).
//! 4. Mark termination: the live estimate becomes the marked bytes, the pacer sets the next
//!    goal, the sweepgen moves by 2 (every span unswept).
//! 5. Start the world; the background sweeper and allocation sweep lazily; the scavenger
//!    thread (`scavenger.rs`) returns pages free for a second to the OS. Print the `gctrace`
//!    line.
//!
//! Cycles are serialised by `cycle_lock`, and an allocation-triggered cycle re-tests its trigger
//! under it (test → lock → re-test, invariant 31), so concurrent triggers run one cycle.

use crate::heap::{AllocError, Heap};
use crate::mark::Marker;
use crate::object::root::Roots;
use crate::pacer::{parse_bytes, Pacer};
use crate::stats::CycleStats;
use crate::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;
use tricolor_runtime::debug::debug_var;
use tricolor_runtime::gsync::chan::Sender;

/// Debug settings read once from `TRICOLOR_DEBUG`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DebugFlags {
    pub(crate) gctrace: bool,
    pub(crate) checkmark: bool,
    pub(crate) poisonfree: bool,
}

/// Why a cycle ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// The live heap reached the goal.
    Heap,
    /// `collect()`.
    Forced,
}

/// The collector.
pub(crate) struct Collector {
    pub(crate) heap: Heap,
    pub(crate) roots: Roots,
    pub(crate) marker: Marker,
    pub(crate) pacer: Pacer,
    pub(crate) stats: crate::stats::Stats,
    pub(crate) weak: crate::weak::protocol::WeakState,
    pub(crate) debug: DebugFlags,
    cycle_lock: tricolor_runtime::gsync::Mutex<()>,
    cycles: AtomicU64,
    sweeper: OnceLock<Sender<()>>,
    pub(crate) start: Instant,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector").field("cycles", &self.cycles()).finish_non_exhaustive()
    }
}

static COLLECTOR: OnceLock<Collector> = OnceLock::new();

fn env_or<T>(var: &str, parse: impl Fn(&str) -> Option<T>, default: T) -> T {
    match std::env::var(var) {
        Ok(v) => parse(&v).unwrap_or_else(|| panic!("tricolor-gc: {var}={v:?} is not a valid value")),
        Err(_) => default,
    }
}

/// The collector, created on first use.
#[inline]
pub(crate) fn collector() -> &'static Collector {
    match COLLECTOR.get() {
        Some(c) => c,
        None => init(),
    }
}

#[cold]
fn init() -> &'static Collector {
    let c = COLLECTOR.get_or_init(|| {
        let gc_percent = env_or("TRICOLOR_GC_PERCENT", |v| if v.trim() == "off" { Some(-1) } else { v.trim().parse().ok() }, 100i64);
        let limit = env_or("TRICOLOR_MEMORY_LIMIT", parse_bytes, usize::MAX);
        let reserve = env_or("TRICOLOR_HEAP_RESERVE", parse_bytes, crate::heap::arena::DEFAULT_RESERVE);
        let procs = tricolor_runtime::hooks::procs();
        let heap = Heap::new(reserve, procs).unwrap_or_else(|e| {
            panic!("tricolor-gc: cannot reserve {reserve} bytes of address space for the heap: {e} (set TRICOLOR_HEAP_RESERVE)")
        });
        heap.memory_limit.store(limit, Ordering::Relaxed);
        Collector {
            heap,
            roots: Roots::default(),
            marker: Marker::new(),
            pacer: Pacer::new(gc_percent, limit),
            stats: crate::stats::Stats::default(),
            weak: crate::weak::protocol::WeakState::new(),
            debug: DebugFlags {
                gctrace: debug_var("gctrace").unwrap_or(0) > 0,
                checkmark: debug_var("gccheckmark").unwrap_or(0) > 0,
                poisonfree: debug_var("poisonfree").unwrap_or(0) > 0,
            },
            cycle_lock: tricolor_runtime::gsync::Mutex::new(()),
            cycles: AtomicU64::new(0),
            sweeper: OnceLock::new(),
            start: Instant::now(),
        }
    });
    // Weak handles are special kind 0: registered before any other kind, so a dead object's
    // weak cells clear before its cleanups are queued (invariant 23).
    static WEAK_REGISTERED: std::sync::Once = std::sync::Once::new();
    WEAK_REGISTERED.call_once(|| {
        let id = crate::specials::register_kind(&crate::weak::WeakKind);
        if id != crate::weak::WEAK_KIND {
            tricolor_runtime::throw!("gc: weak handles must be the first special kind");
        }
    });
    c
}

impl Collector {
    /// Allocates with the memory limit enforced: an allocation that would take the heap past
    /// the limit first runs a full collection, then fails if it still does not fit.
    pub(crate) fn alloc(
        &'static self,
        ty: &'static crate::object::type_info::TypeInfo,
        size: usize,
        noscan: bool,
    ) -> Result<usize, AllocError> {
        let (addr, gc_due) = self.alloc_deferred(ty, size, noscan)?;
        if gc_due {
            self.maybe_collect(&addr);
        }
        Ok(addr)
    }

    /// `alloc` without the collection it may call for: returns the payload and whether the
    /// caller must call `maybe_collect` once the object is initialised (Gc::new writes the
    /// value first, so a collection never sees a half-built object).
    #[inline(always)]
    pub(crate) fn alloc_deferred(
        &'static self,
        ty: &'static crate::object::type_info::TypeInfo,
        size: usize,
        noscan: bool,
    ) -> Result<(usize, bool), AllocError> {
        tricolor_runtime::safepoint();
        match self.heap.alloc(ty, size, noscan) {
            Err(e) => self.alloc_retry(e, ty, size, noscan),
            r => r,
        }
    }

    #[cold]
    #[inline(never)]
    fn alloc_retry(
        &'static self,
        e: AllocError,
        ty: &'static crate::object::type_info::TypeInfo,
        size: usize,
        noscan: bool,
    ) -> Result<(usize, bool), AllocError> {
        match e {
            AllocError::MemoryLimit { .. } => {
                self.collect();
                self.heap.alloc(ty, size, noscan)
            }
            e => Err(e),
        }
    }

    /// Completed cycles.
    pub(crate) fn cycles(&self) -> u64 {
        self.cycles.load(Ordering::Acquire)
    }

    /// After an allocation refilled a cache: collect if the live heap reached the goal.
    /// `keep` is the new object, held on this frame through the collection.
    #[inline(never)]
    pub(crate) fn maybe_collect<T: ?Sized>(&'static self, keep: &T) {
        if self.pacer.should_collect(self.heap.counters.live.load(Ordering::Relaxed)) {
            self.run_cycle(Trigger::Heap);
        }
        std::hint::black_box(keep);
    }

    /// Runs one cycle (steps 1-5).
    pub(crate) fn run_cycle(&'static self, trigger: Trigger) {
        let _serial = self.cycle_lock.lock();
        if trigger == Trigger::Heap && !self.pacer.should_collect(self.heap.counters.live.load(Ordering::Relaxed)) {
            return; // another goroutine's cycle already ran (invariant 31)
        }
        let t0 = Instant::now();
        let heap0 = self.heap.counters.live.load(Ordering::Relaxed);
        // gctrace reports the goal this cycle ran against, as Go does.
        let goal = self.pacer.goal();
        // Step 1.
        crate::sweep::sweep_all(&self.heap);
        // Step 2.
        let world = tricolor_runtime::stop_the_world();
        let t_stopped = Instant::now();
        self.heap.flush_caches();
        // Sweep termination: what step 1 left (a goroutine may have allocated meanwhile, or
        // `collect()` raced another cycle), then every sweeper without a P waits outside.
        crate::sweep::finish(&self.heap);
        let heap1 = self.heap.counters.live.load(Ordering::Relaxed);
        // Step 3.
        self.weak.begin_mark();
        // A panic in a user `Trace` impl or root scanner leaves the heap half-marked (other
        // workers stopped early with grey objects in their buffers, the weak state still
        // marking): nothing can continue from there, so it ends the process with its message
        // (decision 14) instead of unwinding into the caller of an allocation.
        let marked = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.marker.mark(self, &world))) {
            Ok(m) => m,
            Err(p) => {
                let why = tricolor_runtime::debug::panic_message(&*p).unwrap_or("");
                crate::debug::fatal(format_args!(
                    "a Trace implementation or root scanner panicked while marking ({why}); the heap is half-marked"
                ))
            }
        };
        let t_marked = Instant::now();
        if self.debug.checkmark {
            crate::debug::checkmark::run(self, &world);
        }
        // Mark termination: weak upgrades may not create grey objects from here (invariant 8).
        self.weak.block();
        // Step 4.
        self.heap.counters.live.store(marked.marked, Ordering::Relaxed);
        self.pacer.commit(marked.marked);
        self.heap.advance_sweepgen();
        crate::sweep::reopen(&self.heap);
        if cfg!(debug_assertions) {
            self.heap.check_pages();
        }
        let n = self.cycles.fetch_add(1, Ordering::AcqRel) + 1;
        self.weak.end_mark(n);
        let t_end = Instant::now();
        let pause = t_end - t0.max(t_stopped - world.stopping());
        drop(world);
        // Step 5.
        let procs = tricolor_runtime::hooks::procs();
        let cs = CycleStats {
            n,
            forced: trigger == Trigger::Forced,
            at: t0 - self.start,
            stop: world_stop_time(t0, t_stopped),
            mark: t_marked - t_stopped,
            term: t_end - t_marked,
            pause,
            heap0,
            heap1,
            marked: marked.marked,
            scanned: marked.scanned,
            stack_bytes: marked.stack_bytes,
            goal,
            procs,
        };
        self.stats.record(&cs);
        let sweeper = self.sweeper.get_or_init(|| crate::sweep::start_background(&self.heap));
        let _ = sweeper.try_send(());
        if self.debug.gctrace {
            eprintln!("{}", crate::debug::gctrace::line(self, &cs));
        }
    }

    /// Forced full cycle, then sweep everything (`collect()`).
    pub(crate) fn collect(&'static self) {
        self.run_cycle(Trigger::Forced);
        crate::sweep::sweep_all(&self.heap);
    }
}

fn world_stop_time(t0: Instant, stopped: Instant) -> std::time::Duration {
    stopped.saturating_duration_since(t0)
}

/// Panics for a failed allocation through a panicking API, with the heap statistics.
#[cold]
#[track_caller]
pub(crate) fn alloc_failed(api: &str, e: &AllocError) -> ! {
    let s = crate::stats::read();
    panic!(
        "{api}: {e}\nheap: {} bytes in use, {} live at last mark, goal {}, {} committed, {} released; \
         {} collections, limit {}",
        s.heap_inuse,
        s.last_marked,
        s.heap_goal,
        s.heap_sys,
        s.heap_released,
        s.num_gc,
        if s.memory_limit == usize::MAX { "none".to_string() } else { s.memory_limit.to_string() }
    )
}
