//! The collector: the process-wide state and the cycle.
//!
//! A concurrent cycle (reference §2; the default) runs as `mark/concurrent.rs` describes:
//! sweep termination (finish sweeping, then stop #1: O(procs) work, the phase goes to Mark),
//! concurrent mark by the background worker goroutine, `collect()` callers and assisting
//! allocators, distributed termination and stop #2 (`finish_cycle`: the pacer, the sweepgen
//! flip, the phase back to Off), then concurrent sweeping as before.
//!
//! `TRICOLOR_DEBUG=gcstoptheworld=1` selects the stop-the-world collector (`run_cycle_stw`),
//! Go's debug mode of the same name: one stop for the whole mark, in parallel on every P;
//! `=2` also sweeps the whole heap before each cycle returns (no concurrent sweeping).
//!
//! Cycle starts are serialised by `cycle_lock`, and an allocation-triggered start re-tests its
//! trigger under it (test → lock → re-test, invariant 31), so concurrent triggers start one
//! cycle. The phase word (`phase.rs`) is the one owner of "which phase runs".

use crate::heap::{AllocError, Heap};
use crate::mark::Marker;
use crate::object::root::Roots;
use crate::pacer::{parse_bytes, Pacer};
use crate::stats::CycleStats;
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    /// `gcstoptheworld=1|2`: mark with the world stopped (no concurrent phase).
    pub(crate) stoptheworld: bool,
    /// `gcstoptheworld=2`: also sweep the whole heap before the cycle returns (Go's 2 turns
    /// concurrent sweeping off too), so every cycle ends with the heap fully swept.
    pub(crate) sweep_in_cycle: bool,
}

/// Why a cycle ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// The live heap reached the goal.
    Heap,
    /// `collect()`.
    Forced,
    /// No cycle for the periodic collection's period (`periodic.rs`).
    Time,
}

/// The collector.
pub(crate) struct Collector {
    pub(crate) heap: Heap,
    pub(crate) roots: Roots,
    pub(crate) marker: Marker,
    pub(crate) pacer: Pacer,
    /// The periodic collection (sysmon's forced cycle).
    pub(crate) periodic: crate::periodic::Periodic,
    /// The GC CPU limiter (reference §4.6).
    pub(crate) limiter: crate::limiter::Limiter,
    pub(crate) stats: crate::stats::Stats,
    pub(crate) weak: crate::weak::protocol::WeakState,
    /// The phase: its one owner.
    pub(crate) phase: crate::phase::PhaseWord,
    pub(crate) debug: DebugFlags,
    /// External memory counted toward pacing (`external.rs`). Relaxed everywhere: an estimate.
    pub(crate) external: AtomicUsize,
    /// The least `external` has been since the last mark ended: the estimate of external
    /// memory owned by live objects (dead owners' bytes go when their cleanups run, before
    /// this low point; `external` at mark end still counts them).
    pub(crate) external_low: AtomicUsize,
    /// VM value taggings the conservative scans decode (`object/value.rs`).
    pub(crate) taggings: crate::object::value::Taggings,
    cycle_lock: tricolor_runtime::gsync::Mutex<()>,
    cycles: AtomicU64,
    sweeper: OnceLock<Sender<()>>,
    /// What stop #1 recorded for the running concurrent cycle's statistics.
    started: crate::sync::Mutex<Option<CycleStart>>,
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
            periodic: crate::periodic::Periodic::new(),
            limiter: crate::limiter::Limiter::new(),
            stats: crate::stats::Stats::default(),
            weak: crate::weak::protocol::WeakState::new(),
            phase: crate::phase::PhaseWord::new(),
            debug: DebugFlags {
                gctrace: debug_var("gctrace").unwrap_or(0) > 0,
                checkmark: debug_var("gccheckmark").unwrap_or(0) > 0,
                poisonfree: debug_var("poisonfree").unwrap_or(0) > 0,
                // Concurrent by default; `gcstoptheworld=1` is Go's debug mode of the same name.
                stoptheworld: debug_var("gcstoptheworld").unwrap_or(0) > 0,
                sweep_in_cycle: debug_var("gcstoptheworld").unwrap_or(0) > 1,
            },
            external: AtomicUsize::new(0),
            external_low: AtomicUsize::new(0),
            taggings: crate::object::value::Taggings::default(),
            cycle_lock: tricolor_runtime::gsync::Mutex::new(()),
            cycles: AtomicU64::new(0),
            sweeper: OnceLock::new(),
            started: crate::sync::Mutex::new(None),
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
    static HOOKS_REGISTERED: std::sync::Once = std::sync::Once::new();
    HOOKS_REGISTERED.call_once(|| tricolor_runtime::hooks::register_collector(&Hooks));
    c
}

/// The collector's side of the runtime seam (`tricolor_runtime::hooks::Collector`).
struct Hooks;

impl tricolor_runtime::hooks::Collector for Hooks {
    fn scan_own_stack(&self, regs: &[usize], sp: usize, hi: usize) {
        let c = collector();
        c.marker.conc.scan_self(c, regs, sp, hi);
    }

    fn shade_range(&self, lo: usize, hi: usize) {
        crate::mark::barrier::shade_range(lo, hi);
    }

    fn mark_worker_wanted(&self, p: tricolor_runtime::ProcId, idle: bool) -> Option<tricolor_runtime::hooks::MarkWorkerMode> {
        let c = collector();
        c.marker.conc.workers.wanted(c, p.0, idle)
    }

    fn sysmon_tick(&self) {
        let c = collector();
        c.periodic.tick(c);
    }
}

/// Stop #1's figures, kept for the cycle's statistics line.
#[derive(Clone, Copy, Debug)]
struct CycleStart {
    trigger: Trigger,
    t0: Instant,
    /// When the world restarted after stop #1.
    t_marking: Instant,
    stop1: std::time::Duration,
    heap0: usize,
    heap1: usize,
    goal: usize,
    /// `Conc::assist_ns` when marking began.
    assist0: u64,
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
        let (addr, gc_due, np) = self.alloc_deferred(ty, size, noscan)?;
        drop(np);
        if gc_due {
            self.maybe_collect(&addr);
        }
        Ok(addr)
    }

    /// `alloc` without the collection it may call for: returns the payload, whether the
    /// caller must call `maybe_collect` once the object is initialised (Gc::new writes the
    /// value first, so a collection never sees a half-built object), and the no-preempt
    /// section the slot was taken in. The caller initialises the object and shades its initial
    /// values inside that section, then drops it: allocate-black (reference §3.3) reads the
    /// phase in the same section (Go's `mallocgc` runs under `acquirem` throughout), so the
    /// preemption signal cannot stop us between reading "not marking" and owning the slot, nor
    /// between writing initial values into a black object and shading them. Either would leave
    /// an object white below a black stack, freed while in use (found by
    /// `tests/sweep_ownership.rs` once signals came).
    #[inline(always)]
    pub(crate) fn alloc_deferred(
        &'static self,
        ty: &'static crate::object::type_info::TypeInfo,
        size: usize,
        noscan: bool,
    ) -> Result<(usize, bool, Option<tricolor_runtime::NoPreempt>), AllocError> {
        tricolor_runtime::safepoint();
        let (np, p) = pin_for_alloc();
        let black = self.phase.barrier_on();
        match self.heap.alloc(p, ty, size, noscan, black) {
            Ok((addr, due)) => Ok((addr, due, np)),
            Err(e) => {
                drop(np);
                self.alloc_retry(e, ty, size, noscan)
            }
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
    ) -> Result<(usize, bool, Option<tricolor_runtime::NoPreempt>), AllocError> {
        match e {
            AllocError::MemoryLimit { .. } => {
                self.collect();
                // After the collection: read the phase afresh, in the slot's own section.
                let (np, p) = pin_for_alloc();
                let black = self.phase.barrier_on();
                self.heap.alloc(p, ty, size, noscan, black).map(|(a, due)| (a, due, np))
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
        self.periodic.ensure_helper(self);
        let live = self.pacing_live();
        if self.phase.barrier_on() {
            self.assist(live);
        } else if self.due(live) {
            self.run_cycle(Trigger::Heap);
        }
        std::hint::black_box(keep);
    }

    /// The live heap plus the external memory heap objects own (`external.rs`): what pacing
    /// compares with the trigger and the goal.
    #[inline]
    pub(crate) fn pacing_live(&self) -> usize {
        self.heap.counters.live.load(Ordering::Relaxed) + self.external.load(Ordering::Relaxed)
    }

    /// Whether a heap of `live` bytes should start a cycle: at the goal for the stop-the-world
    /// collector, at the trigger (before the goal, so marking finishes by it) otherwise.
    #[inline]
    fn due(&self, live: usize) -> bool {
        if self.debug.stoptheworld {
            self.pacer.should_collect(live)
        } else {
            live >= self.pacer.trigger()
        }
    }

    /// A mark assist (reference §4.4), on the allocation slow path while marking: a refill
    /// pays for its span with mark work, more the closer the heap is to its goal; past the
    /// goal the allocator marks until the cycle ends.
    #[cold]
    fn assist(&'static self, live: usize) {
        let gen = self.marker.conc.gen.load(Ordering::Acquire);
        if gen <= self.cycles() {
            return;
        }
        if self.limiter.limiting() {
            // Over the collector's CPU share: the background workers finish the mark, and the
            // heap may grow past its goal meanwhile (reference §4.6).
            self.limiter.skip();
            return;
        }
        // A refill charges about a span (8 KiB for the small classes).
        self.marker.conc.assist(self, gen, 8 << 10, live, self.pacer.goal());
    }

    /// Starts a cycle: concurrent (stop #1, then the mark runs in the background), or the
    /// whole stop-the-world cycle with `gcstoptheworld`.
    pub(crate) fn run_cycle(&'static self, trigger: Trigger) {
        if self.debug.stoptheworld {
            return self.run_cycle_stw(trigger);
        }
        let _serial = self.cycle_lock.lock();
        if self.phase.marking() {
            return; // a cycle is running; `collect()` waits for it itself
        }
        if trigger == Trigger::Heap && !self.due(self.pacing_live()) {
            return; // another goroutine's cycle already ran (invariant 31)
        }
        let t0 = Instant::now();
        let heap0 = self.heap.counters.live.load(Ordering::Relaxed);
        let goal = self.pacer.goal();
        // Stop #1.
        let (world, _, heap1) = self.sweep_termination();
        let gen = self.cycles() + 1;
        self.marker.conc.prepare(gen, self.stats.last_scanned());
        let own = tricolor_runtime::hooks::current_proc(&tricolor_runtime::NoPreempt::new())
            .unwrap_or_else(|e| tricolor_runtime::throw!("gc: stopper without a P: {e}"))
            .0;
        // Results of finished goroutines not joined yet (the stopper owns every P's list while
        // the world is stopped); results written from now on are shaded when written.
        // On the system stack: the scans handle the addresses they find (`on_system_stack`).
        tricolor_runtime::hooks::on_system_stack(|| {
            self.marker.perp().with_stopped(&world, own, |s| {
                tricolor_runtime::scan::for_each_unjoined_result(&world, |p, n| s.w.scan_range_conservative(p, p + n));
                // VM root scanners report their roots here, once per cycle: a VM changes that
                // memory through `raw::write_barrier` while marking runs.
                let scan = || self.roots.trace_scanners(&mut crate::object::trace::Tracer { w: &mut s.w });
                if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(scan)) {
                    crate::debug::mark_panicked(&*p)
                }
            })
        });
        // Blackening last: the barrier and allocate-black are on for every P at once.
        self.phase.begin_mark(crate::phase::WorldToken::stopped(&world));
        let stop1 = world.elapsed();
        self.charge_stop(&world);
        // The cycle's start is recorded before the world restarts, and `finish_cycle` takes it
        // before its own restart: once the world runs, a worker or an assist may end this
        // cycle, and another goroutine may start the next, before the goroutine that stopped
        // the world runs again. Found by the Lox suite under `--stress-gc` (a collection at
        // every allocation, on a tiny heap): "cycle N ended without a start"; seed 000's test, 8 Ps on
        // 2 cores with the restart's network poll, hit it independently.
        let t_marking = Instant::now();
        let assist0 = self.marker.conc.assist_ns.load(Ordering::Relaxed);
        *self.started.lock() = Some(CycleStart { trigger, t0, t_marking, stop1, heap0, heap1, goal, assist0 });
        drop(world);
        self.marker.conc.publish_snapshot();
        // The scheduler runs the background workers from here (`mark/workers.rs`).
        self.marker.conc.workers.begin_cycle();
    }

    /// Sweep termination, both collectors: sweep what the last cycle left (concurrently), stop
    /// the world, return every P's cached spans (invariant 12), then sweep what is still left
    /// (a goroutine may have allocated meanwhile, or `collect()` raced another cycle) while
    /// every sweeper without a P waits outside. Returns the stopped world, when it stopped, and
    /// the live-heap estimate then.
    fn sweep_termination(&self) -> (tricolor_runtime::WorldStopped, Instant, usize) {
        crate::sweep::sweep_all(&self.heap);
        let world = tricolor_runtime::stop_the_world();
        let t_stopped = Instant::now();
        self.heap.flush_caches();
        crate::sweep::finish(&self.heap);
        (world, t_stopped, self.heap.counters.live.load(Ordering::Relaxed))
    }

    /// The end of mark termination, both collectors (world stopped, every span uncached): the
    /// live estimate becomes the marked bytes, the pacer sets the next goal, the sweepgen flip
    /// makes every span unswept, the phase goes back to Off with the new cycle number and weak
    /// upgrades may go on. Returns the cycle number.
    fn end_mark(&self, world: &tricolor_runtime::WorldStopped, marked: usize) -> u64 {
        self.heap.counters.live.store(marked, Ordering::Relaxed);
        // The next goal grows from what live objects own outside the heap too, estimated by the
        // low point of the external count since the last mark (`external.rs`).
        let low = self.external_low.swap(self.external.load(Ordering::Relaxed), Ordering::Relaxed);
        self.pacer.commit(marked + low);
        self.heap.advance_sweepgen();
        crate::sweep::reopen(&self.heap);
        if cfg!(debug_assertions) {
            self.heap.check_pages();
        }
        let n = self.cycles.fetch_add(1, Ordering::AcqRel) + 1;
        self.phase.end_mark(crate::phase::WorldToken::stopped(world), n);
        self.weak.unblock();
        n
    }

    /// Mark termination, inside stop #2 (`mark/concurrent.rs` established that no grey object
    /// exists): O(procs) work.
    pub(crate) fn finish_cycle(&'static self, world: tricolor_runtime::WorldStopped) {
        let t_term = Instant::now();
        self.phase.begin_mark_termination(crate::phase::WorldToken::stopped(&world));
        if self.debug.checkmark {
            tricolor_runtime::hooks::on_system_stack(|| crate::debug::checkmark::run(self, &world, true));
        }
        let perp = self.marker.perp();
        let (mut marked, mut scanned) = (self.heap.take_fresh_marked(), 0);
        for p in 0..perp.len() {
            perp.with_stopped(&world, p, |s| {
                marked += std::mem::take(&mut s.w.bytes_marked);
                scanned += std::mem::take(&mut s.w.bytes_scanned);
            });
        }
        self.marker.with_orphan(|w| {
            marked += std::mem::take(&mut w.bytes_marked);
            scanned += std::mem::take(&mut w.bytes_scanned);
        });
        // Cached spans go back before the flip makes every span unswept (invariant 12).
        self.heap.flush_caches();
        let n = self.end_mark(&world, marked);
        self.marker.conc.workers.end_cycle();
        let t_end = Instant::now();
        let stop2 = world.elapsed();
        self.charge_stop(&world);
        // Taken before the world restarts: from then on the next cycle may start (and record
        // its own start) before this goroutine runs again.
        let st = self.started.lock().take().unwrap_or_else(|| tricolor_runtime::throw!("gc: cycle {n} ended without a start"));
        drop(world);
        let cs = CycleStats {
            n,
            forced: st.trigger == Trigger::Forced,
            at: st.t0 - self.start,
            stop: st.stop1,
            mark: t_term.saturating_duration_since(st.t_marking),
            term: stop2.max(t_end - t_term),
            pause: st.stop1 + stop2,
            heap0: st.heap0,
            heap1: st.heap1,
            marked,
            scanned,
            stack_bytes: self.marker.conc.stack_bytes.load(Ordering::Relaxed),
            goal: st.goal,
            procs: tricolor_runtime::hooks::procs(),
            concurrent: true,
            assist_cpu: std::time::Duration::from_nanos(self.marker.conc.assist_ns.load(Ordering::Relaxed).saturating_sub(st.assist0)),
            // Workers account a run when it ends: the one that terminated this cycle (and any
            // still running) is not in here yet, so these are lower bounds.
            bg_cpu: std::time::Duration::from_nanos(self.marker.conc.workers.bg_ns.load(Ordering::Relaxed)),
            idle_cpu: std::time::Duration::from_nanos(self.marker.conc.workers.idle_ns.load(Ordering::Relaxed)),
        };
        self.end_cycle(&cs);
    }

    /// A stop is about to end: every P was the collector's from the moment the last one
    /// stopped, which the GC CPU limiter counts (Go counts the time-to-stop too; here the
    /// wait for a goroutine that has not reached its safepoint is that goroutine's time, and
    /// counting it made the limiter engage beside a long-running loop and let the heap run
    /// to 40 times its goal: `tests/assist_queue.rs`).
    pub(crate) fn charge_stop(&self, w: &tricolor_runtime::WorldStopped) {
        let stopped = w.elapsed().saturating_sub(w.stopping());
        self.limiter.add_gc(stopped.as_nanos() as u64 * tricolor_runtime::hooks::procs() as u64);
    }

    /// After either kind of cycle, world running: statistics, the background sweeper, gctrace.
    fn end_cycle(&'static self, cs: &CycleStats) {
        self.stats.record(cs);
        // Relaxed: the periodic collection's clock (`periodic.rs`).
        self.periodic.last_end_ns.store(self.start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.limiter.update(cs.procs);
        let sweeper = self.sweeper.get_or_init(|| crate::sweep::start_background(&self.heap));
        let _ = sweeper.try_send(());
        if self.debug.gctrace {
            eprintln!("{}", crate::debug::gctrace::line(self, cs));
        }
    }

    /// The stop-the-world cycle (`gcstoptheworld`):
    /// 1. Sweep termination: sweep whatever the last cycle left (concurrently, before stopping).
    /// 2. Stop the world. Return every P's cached spans to the central lists (all spans are now
    ///    swept and uncached, invariant 12).
    /// 3. Mark in parallel on every P (`mark/`), then, with `gccheckmark=1`, verify by
    ///    re-marking from scratch (`debug/checkmark.rs`).
    /// 4. Mark termination: the live estimate becomes the marked bytes, the pacer sets the next
    ///    goal, the sweepgen moves by 2 (every span unswept).
    /// 5. Start the world; the background sweeper and allocation sweep lazily.
    fn run_cycle_stw(&'static self, trigger: Trigger) {
        let _serial = self.cycle_lock.lock();
        if trigger == Trigger::Heap && !self.pacer.should_collect(self.pacing_live()) {
            return; // another goroutine's cycle already ran (invariant 31)
        }
        let t0 = Instant::now();
        let heap0 = self.heap.counters.live.load(Ordering::Relaxed);
        // gctrace reports the goal this cycle ran against, as Go does.
        let goal = self.pacer.goal();
        // Steps 1 and 2.
        let (world, t_stopped, heap1) = self.sweep_termination();
        // Step 3.
        self.phase.begin_mark(crate::phase::WorldToken::stopped(&world));
        // A panic in a user `Trace` impl or root scanner leaves the heap half-marked (other
        // workers stopped early with grey objects in their buffers, the weak state still
        // marking): nothing can continue from there, so it ends the process with its message
        // (decision 14) instead of unwinding into the caller of an allocation.
        // On the system stack: the mark's frames hold the address of everything it scans,
        // and this goroutine's stack is scanned conservatively next cycle
        // (`runtime/src/sched/system_stack.rs`).
        let r = tricolor_runtime::hooks::on_system_stack(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.marker.mark(self, &world)))
        });
        let marked = match r {
            Ok(m) => m,
            Err(p) => crate::debug::mark_panicked(&*p),
        };
        let t_marked = Instant::now();
        if self.debug.checkmark {
            tricolor_runtime::hooks::on_system_stack(|| crate::debug::checkmark::run(self, &world, false));
        }
        // Mark termination: weak upgrades may not create grey objects from here (invariant 8).
        self.weak.block();
        self.phase.begin_mark_termination(crate::phase::WorldToken::stopped(&world));
        // Step 4.
        let n = self.end_mark(&world, marked.marked);
        let t_end = Instant::now();
        let pause = t_end - t0.max(t_stopped - world.stopping());
        self.charge_stop(&world);
        drop(world);
        if self.debug.sweep_in_cycle {
            crate::sweep::sweep_all_and_wait(&self.heap, || self.cycles());
        }
        // Step 5.
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
            procs: tricolor_runtime::hooks::procs(),
            concurrent: false,
            assist_cpu: std::time::Duration::ZERO,
            bg_cpu: std::time::Duration::ZERO,
            idle_cpu: std::time::Duration::ZERO,
        };
        self.end_cycle(&cs);
    }

    /// `collect()`: a full cycle that starts after this call (a cycle already running may
    /// predate the caller's latest changes: it finishes first), marked with the caller's
    /// help, then sweep everything.
    pub(crate) fn collect(&'static self) {
        if self.debug.stoptheworld {
            self.run_cycle_stw(Trigger::Forced);
            crate::sweep::sweep_all_and_wait(&self.heap, || self.cycles());
            return;
        }
        // The phase first: a cycle that ends between the two reads would otherwise count as
        // the fresh one (it began before this call, and what died since survived it: found by
        // weak/tests/pointer.rs, 1 run in ~10).
        let running = self.phase.marking() as u64;
        let target = self.cycles() + 1 + running;
        while self.cycles() < target {
            if self.phase.marking() {
                let gen = self.marker.conc.gen.load(Ordering::Acquire);
                self.marker.conc.help_until_done(self, gen);
            } else {
                self.run_cycle(Trigger::Forced);
            }
        }
        crate::sweep::sweep_all_and_wait(&self.heap, || self.cycles());
    }
}

/// The allocation's no-preempt section and P, in one thread-local lookup (off a P there is
/// nothing to preempt: `None`; the heap takes its slow path).
#[inline(always)]
fn pin_for_alloc() -> (Option<tricolor_runtime::NoPreempt>, Option<tricolor_runtime::ProcId>) {
    match tricolor_runtime::hooks::pin_proc() {
        Ok((np, p)) => (Some(np), Some(p)),
        Err(_) => (None, None),
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
