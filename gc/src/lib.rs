//! Tricolor's collector: a non-moving, size-classed mark-sweep heap for Rust programs and
//! language VMs, built on the `tricolor-runtime` scheduler.
//!
//! # The heap (`heap/`)
//! Arenas of 64 MiB committed inside one address-space reservation; spans of 8 KiB pages; 68
//! size classes up to 32 KiB with exact object-index division; larger objects in their own
//! spans; pointer-free objects in separate noscan spans; a page map from any address to its
//! span and object (interior pointers accepted, non-heap addresses rejected with one compare);
//! per-P allocation caches with a lock-free fast path; central per-class span lists; a page
//! allocator that reuses freed pages and returns long-idle ones to the OS.
//!
//! # Objects (`object/`)
//! Every scan object starts with a header word holding its `&'static TypeInfo` (a pointer
//! bitmap, a trace function, or an array of such); `Gc<T>` points at the payload. Rust types
//! implement `Trace` (`#[derive(Trace)]`); VMs describe layouts with `TypeInfo::from_bitmap`
//! and use `raw`. Types with drop glue are refused at compile time (DESIGN decision 3).
//!
//! # A collection (`collector.rs`, `mark/`, `sweep/`)
//! Stop #1 (sweep termination: finish the last cycle's sweep, flush the per-P caches, turn the
//! write barrier on); restart the world and mark concurrently — mark workers and assists on
//! every P, from the roots: each goroutine's stack and saved registers scanned conservatively
//! (DESIGN decision 1) by a marker or by the goroutine itself at a safepoint, root handles
//! (`Root`, `Rooted`, `RootedVec`), channel buffers (conservatively), VM scanners, specials —
//! using per-P work buffers and global lock-free lists, while the hybrid barrier shades what
//! mutators change (`mark/barrier.rs`); stop #2 (mark termination, optionally checkmark: a
//! re-mark from scratch), flip the sweep generation, restart. Sweeping is lazy (by allocation
//! and a background goroutine) under the sweepgen ownership protocol.
//! `TRICOLOR_DEBUG=gcstoptheworld=1` runs the whole cycle inside one stop instead.
//!
//! # Invariants kept (numbers from `shared/reference/go-runtime-notes.md`)
//! 10 (span state published last, read first), 11 (sweepgen CAS ownership), 12 (nothing
//! allocates from an unswept span; caches flushed at the stop), 13 (the pause does no sweeping
//! beyond what the previous cycle left), 21 (conservative scanning ignores free slots and
//! unpublished headers), 22 (work lists with off-heap nodes and ABA-tagged heads).

#![warn(missing_docs)]

mod collector;
pub(crate) mod debug;
mod external;
mod heap;
mod limiter;
pub(crate) mod mark;
mod object;
mod pacer;
mod periodic;
mod perp;
pub(crate) mod phase;
pub mod raw;
mod scavenger;
pub mod specials;
mod stats;
mod sweep;

/// Collector internals shared with the sibling crates (tricolor-weak, tricolor-cleanup). Not
/// a stable API.
#[doc(hidden)]
pub mod internals {
    pub use crate::mark::lfstack::{LfNode, LfStack};
    pub use crate::object::peek::peek_word;
    pub use crate::sweep::on_sweep_complete;

    /// Whether a cycle is marking (the write barrier shades): for benchmarks and tests that
    /// need to act while marking runs.
    pub fn marking() -> bool {
        crate::collector::collector().phase.marking()
    }

    /// The concurrent marker's state in one line (for hang diagnostics next to
    /// `tricolor_runtime::debug::sched_dump`).
    pub fn mark_state() -> String {
        let c = crate::collector::collector();
        c.marker.conc.describe(c)
    }

    /// Runs `f` with a tracer onto the current P's mark work if the collector is marking (a
    /// no-op otherwise): how a runtime layer shades pointers that leave or enter memory the
    /// collector scans as a root (the cleanup queue's records). `f` must not allocate.
    pub fn shade_traced(f: impl FnOnce(&mut crate::Tracer<'_>)) {
        crate::mark::barrier::shade_traced(f)
    }
}
mod sync;
pub mod weak;

#[cfg(test)]
mod tests;

pub use external::{add_external, external_bytes, remove_external, ExternalMemory};
pub use heap::{AllocError, MAX_OBJECT};
pub use object::array::GcArray;
pub use object::cell::{GcCell, GcHandle, GcPtr};
pub use object::gc::Gc;
pub use object::root::Root;
pub use object::rooted::{Rooted, RootedVec};
pub use object::str::GcStr;
pub use object::trace::{Trace, Tracer};
pub use object::type_info::{GcType, Layout, TypeBuilder, TypeError, TypeInfo};
pub use object::value::{GcValue, Tagging, Value, MAX_TAGGINGS};
pub use stats::{read as stats, MemStats};
pub use tricolor_gc_derive::Trace;

/// Runs a full collection and sweeps the whole heap before returning (like Go's
/// `runtime.GC()`). Must be called on a goroutine.
pub fn collect() {
    if let Err(why) = tricolor_runtime::hooks::pin_proc() {
        panic!("collect() {why}");
    }
    clear_stack_below();
    collector::collector().collect();
}

/// Runs a full collection, then returns every free heap page to the OS at once (Go's
/// `debug.FreeOSMemory`). Otherwise free pages go back after a second of disuse, on the
/// scavenger thread. Returns the bytes released by this call. Must be called on a goroutine.
pub fn free_os_memory() -> usize {
    collect();
    scavenger::release_all() * heap::class::PAGE_SIZE
}

/// Zeroes 8 KiB of this goroutine's stack below the caller's frame (bdwgc's `GC_clear_stack`):
/// earlier, deeper calls of the caller left words that later frames would inherit in their
/// padding, and the conservative scan of the goroutine would keep whatever they point at alive.
/// `collect()` calls it before the cycle runs on the caller (so "drop it, collect, it is gone"
/// works without the object living on a goroutine of its own); mark helpers after every chunk,
/// and the background sweeper and mark worker before they park.
#[inline(never)]
pub(crate) fn clear_stack_below() {
    let mut zeros = [0usize; 1024];
    // The compiler must really write the array: the collector reads it as stack memory.
    std::hint::black_box(&mut zeros);
}

/// Sets the GC percent (Go's GOGC; negative turns automatic collection off) and returns the
/// previous value. Takes effect from the next cycle's goal.
pub fn set_gc_percent(percent: i64) -> i64 {
    let c = collector::collector();
    let old = c.pacer.gc_percent.swap(percent, sync::atomic::Ordering::Relaxed);
    c.pacer.commit(c.pacer.heap_marked.load(sync::atomic::Ordering::Relaxed));
    old
}

/// Sets the memory limit in bytes (`usize::MAX`: none) and returns the previous value. The
/// pacer collects more often to stay under it; an allocation that cannot fit even after a full
/// collection fails (`try_*`) or panics.
pub fn set_memory_limit(bytes: usize) -> usize {
    let c = collector::collector();
    let old = c.pacer.memory_limit.swap(bytes, sync::atomic::Ordering::Relaxed);
    c.heap.memory_limit.store(bytes, sync::atomic::Ordering::Relaxed);
    c.pacer.commit(c.pacer.heap_marked.load(sync::atomic::Ordering::Relaxed));
    old
}
