//! The seam between the scheduler and the collector (STYLE 4). The collector keeps its per-P
//! state (allocation caches, mark work buffers) in its own arrays indexed by `ProcId`; the
//! scheduler tells it which P the current goroutine holds and lets it act on every P.
//!
//! | call | who calls it, where | guarantees / rules |
//! |---|---|---|
//! | `current_proc(&NoPreempt)` | allocation and barrier fast paths, on a goroutine | the P cannot change while the guard lives |
//! | `procs()` | anyone | fixed for the life of the process |
//! | `WorldStopped::run_on_all_ps` | the stopper | runs on g0s without Ps: no parking, no allocation |
//! | `scan::*` | the stopper | stacks of stopped goroutines, and its own |
//! | `safepoint()` | every allocation | may stop the caller for a stop-the-world |
//!
//! The other direction, the scheduler calling the collector, goes through one trait the
//! collector registers (`Collector`, below; mmtk's `vm/collection.rs` is the model): each
//! method states its thread, what is held and whether it may allocate or park. The runtime
//! knows no heap types: it hands over address ranges and stack bounds.

use crate::preempt::NoPreempt;
use crate::sched::park::current;
use crate::stw::ProcId;

/// Why the current thread has no P to allocate with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoProc {
    /// The thread is not running a goroutine (enter with `block_on`).
    NotGoroutine,
    /// The goroutine is inside `blocking(..)`: its P was handed off.
    InBlocking,
}

impl std::fmt::Display for NoProc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NoProc::NotGoroutine => "called from a thread that is not running a goroutine; enter the runtime with block_on",
            NoProc::InBlocking => {
                "called inside blocking(..), whose goroutine has handed off its P; allocate before or after the blocking call"
            }
        })
    }
}

/// The P the current goroutine holds; stable while `_np` lives.
#[inline]
pub fn current_proc(_np: &NoPreempt) -> Result<ProcId, NoProc> {
    let (m, _) = current().ok_or(NoProc::NotGoroutine)?;
    m.p().map(|p| ProcId(p.id)).ok_or(NoProc::InBlocking)
}

/// Disables preemption and returns the guard with the P the current goroutine holds (one
/// thread-local lookup; the allocation fast path's entry).
#[inline]
pub fn pin_proc() -> Result<(NoPreempt, ProcId), NoProc> {
    pin().map(|(np, p, _)| (np, p))
}

/// `pin_proc`, also telling whether the goroutine's stack has been scanned for cycle `gen`:
/// the hybrid write barrier's grey-stack test, in the same lookup. A running goroutine is never
/// in the middle of someone else's scan of it (the scanner holds its scan bit, so it is not
/// running), so true means the scan is complete.
#[inline]
pub fn pin_proc_scanned(gen: u64) -> Result<(NoPreempt, ProcId, bool), NoProc> {
    // Acquire: pairs with the scan claim's AcqRel (the scan of us happened before we resumed).
    pin().map(|(np, p, g)| (np, p, g.scan_gen.load(std::sync::atomic::Ordering::Acquire) >= gen))
}

/// One thread-local lookup: the guard, the P and the running G.
#[inline]
fn pin() -> Result<(NoPreempt, ProcId, &'static crate::g::G), NoProc> {
    let m = crate::m::current_m().ok_or(NoProc::NotGoroutine)?;
    let Some(g) = m.curg() else { return Err(NoProc::NotGoroutine) };
    let np = NoPreempt::for_m(m);
    match m.p() {
        Some(p) => Ok((np, ProcId(p.id), g)),
        None => Err(NoProc::InBlocking),
    }
}

pub use crate::sched::system_stack::on_system_stack;
/// The collector's locks hold a no-preempt section too (`sync/np_mutex.rs`).
pub use crate::sync::{NpGuard, NpMutex};

/// Whether the calling thread is running a goroutine.
pub fn on_goroutine() -> bool {
    current().is_some()
}

/// The number of Ps.
pub fn procs() -> usize {
    crate::sched::sched().cfg.procs
}

/// What the scheduler asks of the collector. Registered once with `register_collector`; until
/// then every call is a no-op.
pub trait Collector: Sync {
    /// Scan the calling goroutine's own stack for the running collection: `regs` are its
    /// callee-saved registers (spilled), `[sp, hi)` its live stack. Called at a safepoint of a
    /// goroutine a marker asked to scan itself (`scan::Goroutine::request_self_scan`).
    /// Thread: the goroutine, holding its P, preemption enabled, no runtime lock held. May not
    /// park or allocate from the heap (it may take the collector's no-preempt locks).
    fn scan_own_stack(&self, regs: &[usize], sp: usize, hi: usize);
    /// Memory the collector does not otherwise see became a root: a spawn packet (the body
    /// and its captures) or a finished goroutine's result, `[lo, hi)`, to be scanned
    /// conservatively if marking is on (the "root mutation" side of the write barrier: the
    /// values came from a stack the marker may already have scanned); or a value moving into
    /// or out of a channel buffer or waiter (`gsync/chan/buffers.rs` step 3). Thread: a
    /// goroutine holding a P with preemption disabled (a channel's lock may be held), or a
    /// thread off a P (the spawner, a `try_send`/`try_recv` caller). May not park, allocate
    /// or take a runtime lock.
    fn shade_range(&self, lo: usize, hi: usize);
    /// Whether P `p` should run a mark worker now, and in which mode (reference §4.3):
    /// `idle` is false at the top of a scheduling pass (dedicated and fractional workers) and
    /// true once the P found nothing else to run. Called only while the collector has workers
    /// on (`set_mark_workers`) and one is parked (`park_mark_worker`); a `Some` runs it on `p`
    /// at once. Thread: an M's g0 in the scheduler, holding `p` and the runtime's worker-pool
    /// lock (nothing else). Must not park, allocate, block or take a lock; O(1).
    fn mark_worker_wanted(&self, p: ProcId, idle: bool) -> Option<MarkWorkerMode>;
    /// sysmon's periodic call (every 1-20 ms): the collector's time-based duties (the
    /// periodic collection, Go's `forcegc`). Thread: sysmon, which holds no P and is not a
    /// goroutine. Must not park or allocate from the heap; may take a `ParkLock` and wake
    /// goroutines.
    fn sysmon_tick(&self);
}

/// `Collector::sysmon_tick`, if a collector is registered.
pub(crate) fn sysmon_tick() {
    if let Some(c) = collector() {
        c.sysmon_tick();
    }
}

/// Why a mark worker runs (Go's `gcMarkWorkerMode`): the collector sets the quotas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MarkWorkerMode {
    /// Marks until there is no work (a P given over to marking).
    Dedicated = 0,
    /// Marks for a share of one P's time.
    Fractional = 1,
    /// Marks while the P has nothing else to run.
    Idle = 2,
}

impl MarkWorkerMode {
    pub(crate) fn from_u8(v: u8) -> MarkWorkerMode {
        match v {
            0 => MarkWorkerMode::Dedicated,
            1 => MarkWorkerMode::Fractional,
            _ => MarkWorkerMode::Idle,
        }
    }
}

/// Parks the calling goroutine as a mark worker until a P wants one (`Collector::
/// mark_worker_wanted`); returns the mode it runs in. For the collector's worker goroutines.
///
/// # Panics
/// Off a goroutine.
pub fn park_mark_worker() -> MarkWorkerMode {
    crate::sched::gcworker::park_worker()
}

/// Turns the scheduler's calls to `Collector::mark_worker_wanted` on (a cycle started
/// marking) or off, and on, wakes an idle P so idle marking can start.
pub fn set_mark_workers(on: bool) {
    let s = crate::sched::sched();
    crate::sched::gcworker::set_active(s, on);
    if on {
        crate::sched::idle::wakep(s);
    }
}

/// Whether goroutines wait for a P: the current P's run queue or the global queue is not
/// empty (an idle mark worker stops when this turns true). Racy hint.
pub fn runnable_waiting() -> bool {
    let s = crate::sched::sched();
    let local = crate::m::current_m().and_then(|m| m.p()).is_some_and(|p| !p.runq.is_empty());
    // Relaxed: a hint.
    local || s.runq_size.load(std::sync::atomic::Ordering::Relaxed) > 0
}

static COLLECTOR: std::sync::OnceLock<&'static dyn Collector> = std::sync::OnceLock::new();

/// Registers the collector (once per process).
///
/// # Panics
/// If a collector is already registered.
pub fn register_collector(c: &'static dyn Collector) {
    if COLLECTOR.set(c).is_err() {
        panic!("tricolor-runtime: register_collector called twice");
    }
}

#[inline]
pub(crate) fn collector() -> Option<&'static dyn Collector> {
    COLLECTOR.get().copied()
}

/// `Collector::shade_range`, if a collector is registered.
#[inline]
pub(crate) fn shade_range(lo: usize, hi: usize) {
    if let Some(c) = collector() {
        c.shade_range(lo, hi);
    }
}

/// The safepoint's half of a self-scan request: spill the registers and hand the live stack
/// to the collector.
/// The preemption signal's step 1 (`preempt/signal.rs`): the goroutine interrupted at an async
/// safe point scans its stack from the signal frame. On the signal stack already.
pub(crate) fn scan_own_stack_at(regs: &[usize], sp: usize, hi: usize) {
    if let Some(c) = collector() {
        c.scan_own_stack(regs, sp, hi);
    }
}

#[cold]
#[inline(never)]
pub(crate) fn scan_own_stack() {
    if let Some(c) = collector() {
        // On the system stack: the scan's frames hold every address it finds (system_stack.rs).
        on_system_stack(|| crate::scan::with_current_stack(|regs, sp, hi| c.scan_own_stack(regs, sp, hi)));
    }
}

/// The async-unsafe code section's bounds (`preempt/unsafe_points.rs`): functions the
/// collector places there with `#[link_section = "tricolor_np"]` are never stopped by the
/// preemption signal. For tests that check the barrier's placement.
pub fn unsafe_point_bounds() -> (usize, usize) {
    crate::preempt::unsafe_points::bounds()
}
