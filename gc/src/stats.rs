//! Heap and collector statistics, like Go's `runtime.MemStats`, plus each cycle's record.

use crate::collector::collector;
use crate::heap::class::PAGE_SIZE;
use crate::sync::atomic::Ordering;
use crate::sync::Mutex;
use std::collections::VecDeque;
use std::time::Duration;

/// Pauses kept in `MemStats::pauses`.
const PAUSES_KEPT: usize = 256;

/// One cycle's figures (also the `gctrace` line's).
#[derive(Clone, Debug, Default)]
pub(crate) struct CycleStats {
    pub(crate) n: u64,
    pub(crate) forced: bool,
    /// Since the collector started.
    pub(crate) at: Duration,
    /// Request until every P stopped.
    pub(crate) stop: Duration,
    /// Marking (world stopped).
    pub(crate) mark: Duration,
    /// Mark termination until restart.
    pub(crate) term: Duration,
    /// The whole stop-the-world pause.
    pub(crate) pause: Duration,
    pub(crate) heap0: usize,
    pub(crate) heap1: usize,
    pub(crate) marked: usize,
    pub(crate) scanned: usize,
    pub(crate) stack_bytes: usize,
    pub(crate) goal: usize,
    pub(crate) procs: usize,
    /// Marked concurrently (stop #1 = `stop`, concurrent mark = `mark`, stop #2 = `term`).
    pub(crate) concurrent: bool,
    /// Concurrent mark CPU: assists, background (dedicated and fractional) workers, idle
    /// workers. Zero for stop-the-world cycles.
    pub(crate) assist_cpu: Duration,
    pub(crate) bg_cpu: Duration,
    pub(crate) idle_cpu: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    num_gc: u64,
    num_forced: u64,
    pause_total: Duration,
    pauses: VecDeque<Duration>,
    gc_cpu: Duration,
    last: CycleStats,
    stop1_max: Duration,
    stop2_max: Duration,
}

/// Accumulated statistics.
#[derive(Debug)]
pub(crate) struct Stats {
    inner: Mutex<Inner>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats { inner: Mutex::new(Inner::default()) }
    }
}

impl Stats {
    pub(crate) fn record(&self, c: &CycleStats) {
        let mut s = self.inner.lock();
        s.num_gc += 1;
        s.num_forced += c.forced as u64;
        s.pause_total += c.pause;
        if s.pauses.len() == PAUSES_KEPT {
            s.pauses.pop_front();
        }
        s.pauses.push_back(c.pause);
        // Every P is stopped for the whole pause (and marks during it, stop-the-world); a
        // concurrent mark is one worker's time (assists are counted as they happen).
        s.gc_cpu += c.pause * c.procs as u32 + c.assist_cpu + c.bg_cpu + c.idle_cpu;
        if c.concurrent {
            s.stop1_max = s.stop1_max.max(c.stop);
            s.stop2_max = s.stop2_max.max(c.term);
        }
        s.last = c.clone();
    }

    /// Payload bytes the last cycle scanned (the pacer's expected scan work).
    pub(crate) fn last_scanned(&self) -> usize {
        self.inner.lock().last.scanned
    }

    /// GC CPU time so far.
    pub(crate) fn gc_cpu(&self) -> Duration {
        self.inner.lock().gc_cpu
    }
}

/// A snapshot of heap and collector statistics.
#[derive(Clone, Debug, Default)]
pub struct MemStats {
    /// Bytes of objects allocated and not yet found dead (estimate: marked at the last cycle
    /// plus allocation since, counting whole cached spans).
    pub heap_alloc: usize,
    /// Bytes in spans holding objects.
    pub heap_inuse: usize,
    /// Bytes of free heap pages returned to the OS.
    pub heap_released: usize,
    /// Bytes of free heap pages (released or not).
    pub heap_idle: usize,
    /// Bytes of heap address space committed (in use, free and released).
    pub heap_sys: usize,
    /// The live heap size at which the next collection starts.
    pub heap_goal: usize,
    /// External memory counted toward pacing (`add_external`, `ExternalMemory`).
    pub external_bytes: usize,
    /// Live bytes found by the last mark.
    pub last_marked: usize,
    /// Completed collections.
    pub num_gc: u64,
    /// Of which forced by `collect()`.
    pub num_forced_gc: u64,
    /// Started by the periodic collection (no cycle for two minutes: Go's `forcegc`).
    pub num_periodic_gc: u64,
    /// Total stop-the-world pause time.
    pub pause_total: Duration,
    /// The last collection's pause.
    pub last_pause: Duration,
    /// The most recent pauses (up to 256), oldest first.
    pub pauses: Vec<Duration>,
    /// Fraction of the process's available CPU (procs × wall time) spent collecting.
    pub gc_cpu_fraction: f64,
    /// Objects allocated, ever.
    pub mallocs: u64,
    /// Objects freed, ever.
    pub frees: u64,
    /// The memory limit (`usize::MAX`: none).
    pub memory_limit: usize,
    /// The GC percent (negative: automatic collection off).
    pub gc_percent: i64,
    /// Concurrent cycles: the longest sweep-termination stop (stop #1).
    pub stop1_max: Duration,
    /// Concurrent cycles: the longest mark-termination stop (stop #2).
    pub stop2_max: Duration,
    /// Time allocators spent in mark assists, ever.
    pub assist_total: Duration,
    /// The longest single mark assist, parked time included (the worst allocation stall the
    /// pacer caused).
    pub assist_max: Duration,
    /// Time assists spent parked on the assist queue waiting for background credit, ever
    /// (not in `assist_total`, which is the CPU assists spent marking).
    pub assist_parked: Duration,
    /// Times an assist parked on the assist queue, ever.
    pub assist_parks: u64,
    /// Times the GC CPU limiter turned on (reference §4.6), ever.
    pub gc_limiter_engaged: u64,
    /// Time the GC CPU limiter was on, ever.
    pub gc_limiter_on: Duration,
    /// Mark assists the limiter skipped, ever.
    pub assists_limited: u64,
    /// Times mark termination found late work inside stop #2 and resumed the mark.
    pub mark_restarts: u64,
    /// Bytes of parked goroutines' stacks below their stack pointers that stack scans returned
    /// to the OS, ever (`tricolor_runtime::scan::SuspendedG::release_unused_stack`).
    pub stack_released: u64,
}

/// Reads the current statistics.
pub fn read() -> MemStats {
    let c = collector();
    let s = c.stats.inner.lock();
    let limiter = c.limiter.totals();
    let wall = c.start.elapsed().as_secs_f64() * tricolor_runtime::hooks::procs() as f64;
    MemStats {
        heap_alloc: c.heap.counters.live.load(Ordering::Relaxed),
        heap_inuse: c.heap.counters.inuse_pages.load(Ordering::Relaxed) * PAGE_SIZE,
        heap_released: c.heap.released_pages() * PAGE_SIZE,
        heap_idle: c.heap.free_pages() * PAGE_SIZE,
        heap_sys: c.heap.committed(),
        heap_goal: c.pacer.goal(),
        external_bytes: c.external.load(Ordering::Relaxed),
        last_marked: c.pacer.heap_marked.load(Ordering::Relaxed),
        num_gc: s.num_gc,
        num_forced_gc: s.num_forced,
        num_periodic_gc: c.periodic.count.load(Ordering::Relaxed),
        pause_total: s.pause_total,
        last_pause: s.last.pause,
        pauses: s.pauses.iter().copied().collect(),
        gc_cpu_fraction: if wall > 0.0 { s.gc_cpu.as_secs_f64() / wall } else { 0.0 },
        mallocs: c.heap.mallocs(),
        frees: c.heap.counters.frees.load(Ordering::Relaxed) as u64,
        memory_limit: c.pacer.memory_limit.load(Ordering::Relaxed),
        gc_percent: c.pacer.gc_percent.load(Ordering::Relaxed),
        stop1_max: s.stop1_max,
        stop2_max: s.stop2_max,
        assist_total: Duration::from_nanos(c.marker.conc.assist_ns.load(Ordering::Relaxed)),
        assist_max: Duration::from_nanos(c.marker.conc.assist_max_ns.load(Ordering::Relaxed)),
        assist_parked: Duration::from_nanos(c.marker.conc.assist_parked_ns.load(Ordering::Relaxed)),
        assist_parks: c.marker.conc.assist_parks.load(Ordering::Relaxed),
        gc_limiter_engaged: limiter.0,
        gc_limiter_on: Duration::from_nanos(limiter.1),
        assists_limited: limiter.2,
        mark_restarts: c.marker.conc.restarts.load(Ordering::Relaxed),
        stack_released: tricolor_runtime::scan::stack_released_bytes(),
    }
}
