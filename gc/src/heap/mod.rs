//! The heap: address space and pages (`arena.rs`, `pages.rs`, `os.rs`), spans (`span.rs`,
//! `pool.rs`), size classes (`class.rs`), central lists (`central.rs`) and per-P caches
//! (`cache.rs`). This file holds the `Heap` itself and the allocation paths.
//!
//! Object layout: a slot of a scan span starts with an 8-byte header holding the object's
//! `&'static TypeInfo`, then the payload; a `Gc` points at the payload. Noscan slots have no
//! header (payload = slot). Allocation zeroes the slot if the span may hold old data, writes
//! the header, and only then publishes it with a Release store (invariant 21: a scanner that
//! finds a zero header ignores the object).

pub(crate) mod arena;
mod cache;
pub(crate) mod central;
pub(crate) mod class;
mod extents;
mod os;
pub(crate) mod pages;
mod pool;
pub(crate) mod span;

use crate::object::type_info::TypeInfo;
use crate::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use crate::sync::Mutex;
use arena::Arena;
use cache::{CacheCell, NUM_SPAN_CLASSES};
use central::Central;
use class::{class_for, CLASSES, MAX_SMALL, PAGE_SIZE};
use pages::PageAlloc;
use pool::SpanPool;
use span::{Span, SpanClass};
use std::fmt;
use tricolor_runtime::hooks::{pin_proc, NoProc};

/// Header bytes before the payload of a scan object.
pub(crate) const HEADER: usize = 8;
/// Largest payload of one object.
pub const MAX_OBJECT: usize = 1 << 40;

/// Why an allocation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// The heap would exceed the memory limit even after a full collection.
    MemoryLimit {
        /// Bytes requested.
        requested: usize,
        /// Heap bytes in use after the collection.
        in_use: usize,
        /// The limit (`TRICOLOR_MEMORY_LIMIT` / `Config`).
        limit: usize,
    },
    /// The heap's address-space reservation is exhausted.
    OutOfAddressSpace {
        /// Bytes requested.
        requested: usize,
        /// The reservation size.
        reserved: usize,
    },
    /// The OS refused memory.
    Os(String),
    /// The request is larger than one object may be.
    TooLarge {
        /// Bytes requested.
        requested: usize,
    },
    /// The calling thread cannot allocate (not a goroutine, or inside `blocking`).
    NoProc(NoProc),
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::MemoryLimit { requested, in_use, limit } => write!(
                f,
                "allocating {requested} bytes would exceed the memory limit: {in_use} bytes in use \
                 after a full collection, limit {limit} (TRICOLOR_MEMORY_LIMIT)"
            ),
            AllocError::OutOfAddressSpace { requested, reserved } => write!(
                f,
                "allocating {requested} bytes: the heap's {reserved}-byte address reservation is \
                 exhausted (raise TRICOLOR_HEAP_RESERVE)"
            ),
            AllocError::Os(e) => write!(f, "the OS refused heap memory: {e}"),
            AllocError::TooLarge { requested } => {
                write!(f, "an object of {requested} bytes is larger than the {MAX_OBJECT}-byte maximum")
            }
            AllocError::NoProc(why) => write!(f, "heap allocation {why}"),
        }
    }
}

impl std::error::Error for AllocError {}

/// State under the heap lock.
#[derive(Debug)]
pub(crate) struct HeapLocked {
    pub(crate) pages: PageAlloc,
    /// Bytes of the reservation committed so far (from its base).
    committed: usize,
    pool: SpanPool,
    /// Large-object spans, swept/unswept halves like the central lists.
    pub(crate) large: [Vec<&'static Span>; 2],
}

/// Heap-wide counters (bytes unless noted).
#[derive(Debug, Default)]
pub(crate) struct HeapCounters {
    /// Bytes allocated and assumed live since the last mark (Go's `heapLive`): charged for a
    /// span's free slots when a cache takes it, refunded for unused slots when returned.
    pub(crate) live: AtomicUsize,
    /// Pages in in-use spans.
    pub(crate) inuse_pages: AtomicUsize,
    /// Objects freed by sweeping, ever.
    pub(crate) frees: AtomicUsize,
}

/// The heap.
pub(crate) struct Heap {
    pub(crate) arena: Arena,
    pub(crate) locked: Mutex<HeapLocked>,
    pub(crate) central: Box<[Central]>,
    caches: Box<[CacheCell]>,
    /// +2 per cycle; see `span.rs` for the protocol.
    sweepgen: AtomicU32,
    pub(crate) counters: HeapCounters,
    /// Sweepers at work and whether the unswept lists ran dry (`sweep/mod.rs: ActiveSweep`).
    pub(crate) sweep_active: crate::sync::atomic::AtomicU32,
    /// Hard limit on bytes in in-use spans (usize::MAX: none); mirrors the pacer's setting.
    pub(crate) memory_limit: AtomicUsize,
}

impl fmt::Debug for Heap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heap").field("base", &format_args!("{:#x}", self.arena.base())).finish_non_exhaustive()
    }
}

impl Heap {
    pub(crate) fn new(reserve: usize, procs: usize) -> std::io::Result<Heap> {
        Ok(Heap {
            arena: Arena::new(reserve)?,
            locked: Mutex::new(HeapLocked {
                pages: PageAlloc::new(),
                committed: 0,
                pool: SpanPool::default(),
                large: [Vec::new(), Vec::new()],
            }),
            central: (0..NUM_SPAN_CLASSES).map(|i| Central::new(SpanClass(i as u8))).collect(),
            caches: (0..procs).map(|_| CacheCell::new()).collect(),
            sweepgen: AtomicU32::new(2),
            counters: HeapCounters::default(),
            memory_limit: AtomicUsize::new(usize::MAX),
            sweep_active: AtomicU32::new(0),
        })
    }

    pub(crate) fn sweepgen(&self) -> u32 {
        // Acquire pairs with the Release in `advance_sweepgen`.
        self.sweepgen.load(Ordering::Acquire)
    }

    /// Mark termination: every span becomes unswept at once. World stopped.
    pub(crate) fn advance_sweepgen(&self) -> u32 {
        self.sweepgen.fetch_add(2, Ordering::AcqRel) + 2
    }

    /// Allocates one object with a `ty` header (unless noscan) and `size` payload bytes, zeroed.
    /// Returns the payload address and whether the caller should start a collection.
    ///
    /// The fast path (a free slot in this P's cached span) is inlined into every allocation
    /// site; everything else is in `alloc_slow`.
    ///
    /// `black`: the collector is marking; the object is allocated marked (allocate-black,
    /// reference §3.3) and its bytes counted in this P's cache. The caller read the phase in the
    /// no-preempt section it holds, so it cannot have changed.
    ///
    /// `pinned`: the P the caller holds with preemption disabled (`hooks::pin_proc`, kept by
    /// the caller until the object is initialised), or `None` off a P.
    #[inline(always)]
    pub(crate) fn alloc(
        &self,
        pinned: Option<tricolor_runtime::ProcId>,
        ty: &'static TypeInfo,
        size: usize,
        noscan: bool,
        black: bool,
    ) -> Result<(usize, bool), AllocError> {
        let total = size.max(1) + if noscan { 0 } else { HEADER };
        if total <= MAX_SMALL {
            if let Some(p) = pinned {
                let spc = SpanClass::new(class_for(total), noscan);
                let cell = &self.caches[p.0];
                // SAFETY: we hold P `p` with preemption disabled.
                let slot = unsafe { cell.with(|c| c.span(spc).and_then(|s| s.next_free().map(|i| (s, i)))) };
                if let Some((span, idx)) = slot {
                    let l = span.layout();
                    let slot = l.base + idx * l.elemsize;
                    if span.needzero.load(Ordering::Relaxed) {
                        zero_slot(slot, l.elemsize);
                    }
                    cell.count_malloc();
                    if black && span.try_mark(idx) {
                        cell.count_fresh(l.elemsize);
                    }
                    let payload = publish(slot, ty, noscan);
                    return Ok((payload, false));
                }
            }
        }
        self.alloc_slow(ty, size, noscan, black)
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&self, ty: &'static TypeInfo, size: usize, noscan: bool, black: bool) -> Result<(usize, bool), AllocError> {
        if size > MAX_OBJECT {
            return Err(AllocError::TooLarge { requested: size });
        }
        // On the system stack: a refill's frames (central lists, the span's layout, sweeping)
        // hold span and object addresses many KiB below the caller, where the goroutine's later
        // frames would inherit them unwritten and its conservative scan keep dead objects
        // alive (`tricolor_runtime::hooks::on_system_stack`). Nothing here parks.
        tricolor_runtime::hooks::on_system_stack(|| self.alloc_slow_here(ty, size, noscan, black))
    }

    fn alloc_slow_here(&self, ty: &'static TypeInfo, size: usize, noscan: bool, black: bool) -> Result<(usize, bool), AllocError> {
        let total = size.max(1) + if noscan { 0 } else { HEADER };
        let (np, p) = pin_proc().map_err(AllocError::NoProc)?;
        let cell = &self.caches[p.0];
        let (slot, refilled) = if total <= MAX_SMALL {
            let spc = SpanClass::new(class_for(total), noscan);
            // SAFETY: we hold P `p` with preemption disabled.
            unsafe { cell.with(|c| self.alloc_small(c, spc)) }?
        } else {
            (self.alloc_large(total, noscan)?, true)
        };
        cell.count_malloc();
        if black {
            let o =
                self.arena.find_object(slot).unwrap_or_else(|| tricolor_runtime::throw!("gc: a fresh object {slot:#x} is not in the heap"));
            if o.span.try_mark(o.index) {
                cell.count_fresh(o.span.layout().elemsize);
            }
        }
        let payload = publish(slot, ty, noscan);
        drop(np);
        Ok((payload, refilled))
    }

    /// Bytes allocated black since the last call, summed over every P's cache (stop #2: the
    /// world is stopped, so every owner's last count is visible).
    pub(crate) fn take_fresh_marked(&self) -> usize {
        self.caches.iter().map(|c| c.2.swap(0, Ordering::Relaxed)).sum()
    }

    /// Objects allocated, ever (sum of the per-P counters).
    pub(crate) fn mallocs(&self) -> u64 {
        self.caches.iter().map(|c| c.1.load(Ordering::Relaxed)).sum()
    }

    /// Small allocation: the fast path in the cached span, else `refill`.
    #[inline]
    fn alloc_small(&self, c: &mut cache::PCache, spc: SpanClass) -> Result<(usize, bool), AllocError> {
        let mut refilled = false;
        let span = match c.span(spc) {
            Some(s) => s,
            None => {
                refilled = true;
                self.refill(c, spc)?
            }
        };
        let (span, idx) = match span.next_free() {
            Some(i) => (span, i),
            None => {
                refilled = true;
                let s = self.refill(c, spc)?;
                match s.next_free() {
                    Some(i) => (s, i),
                    None => tricolor_runtime::throw!(
                        "gc: refilled span has no free slot: {s:?} freeindex {}",
                        s.freeindex.load(Ordering::Relaxed)
                    ),
                }
            }
        };
        let l = span.layout();
        let slot = l.base + idx * l.elemsize;
        if span.needzero.load(Ordering::Relaxed) {
            zero_slot(slot, l.elemsize);
        }
        Ok((slot, refilled))
    }

    /// Swaps the cache's span of class `spc` for one with free slots (Go's `mcache.refill`).
    fn refill(&self, c: &mut cache::PCache, spc: SpanClass) -> Result<&'static Span, AllocError> {
        let sg = self.sweepgen();
        if let Some(old) = c.alloc[spc.index()].take() {
            self.uncharge_unused(old);
            self.central[spc.index()].uncache_span(old, sg);
        }
        let s = self.central[spc.index()].cache_span(self)?;
        let l = s.layout();
        let free = (l.nelems - s.alloc_count.load(Ordering::Relaxed)) as usize;
        // Charge the span's free slots now (Go's deliberate over-estimate; refunded on return).
        self.counters.live.fetch_add(free * l.elemsize, Ordering::Relaxed);
        c.alloc[spc.index()] = Some(s);
        Ok(s)
    }

    fn uncharge_unused(&self, s: &Span) {
        let l = s.layout();
        let free = (l.nelems - s.alloc_count.load(Ordering::Relaxed)) as usize;
        self.counters.live.fetch_sub(free * l.elemsize, Ordering::Relaxed);
    }

    /// Returns every P's cached spans to the central lists. World stopped (the caller is the
    /// stopper), so every cache is ours.
    pub(crate) fn flush_caches(&self) {
        let sg = self.sweepgen();
        for cell in self.caches.iter() {
            // SAFETY: the world is stopped: no goroutine holds a P's cache.
            unsafe {
                cell.with(|c| {
                    for i in 0..NUM_SPAN_CLASSES {
                        if let Some(s) = c.alloc[i].take() {
                            self.uncharge_unused(s);
                            self.central[i].uncache_span(s, sg);
                        }
                    }
                })
            };
        }
    }

    /// A large object: its own span of whole pages.
    fn alloc_large(&self, total: usize, noscan: bool) -> Result<usize, AllocError> {
        let npages = total.div_ceil(PAGE_SIZE);
        let s = self.alloc_span(npages, SpanClass::new(0, noscan))?;
        let l = s.layout();
        if s.needzero.load(Ordering::Relaxed) {
            // SAFETY: a fresh span we own; nothing references it yet.
            unsafe { std::ptr::write_bytes(l.base as *mut u8, 0, total) };
        }
        s.next_free().unwrap_or_else(|| tricolor_runtime::throw!("gc: new large span is full"));
        self.counters.live.fetch_add(npages * PAGE_SIZE, Ordering::Relaxed);
        let sg = self.sweepgen();
        self.locked.lock().large[crate::sweep::swept(sg)].push(s);
        Ok(l.base)
    }

    /// A new span of class `spc` for a central list.
    pub(crate) fn grow_span(&self, spc: SpanClass) -> Result<&'static Span, AllocError> {
        let npages = CLASSES[spc.class()].npages as usize;
        self.alloc_span(npages, spc)
    }

    /// Takes `npages` pages from the page allocator (growing the heap if needed) and makes them
    /// an in-use span.
    fn alloc_span(&self, npages: usize, spc: SpanClass) -> Result<&'static Span, AllocError> {
        let limit = self.memory_limit.load(Ordering::Relaxed);
        if limit != usize::MAX {
            let in_use = self.counters.inuse_pages.load(Ordering::Relaxed) * PAGE_SIZE;
            if in_use + npages * PAGE_SIZE > limit {
                return Err(AllocError::MemoryLimit { requested: npages * PAGE_SIZE, in_use, limit });
            }
        }
        let mut l = self.locked.lock();
        let run = match l.pages.alloc(npages) {
            Some(r) => r,
            None => {
                self.grow(&mut l, npages)?;
                l.pages.alloc(npages).unwrap_or_else(|| tricolor_runtime::throw!("gc: page allocator failed right after growing"))
            }
        };
        let s = l.pool.get();
        s.init(self.arena.page_addr(run.start), npages, spc, self.sweepgen(), run.needs_zero);
        self.arena.map_span(s);
        self.counters.inuse_pages.fetch_add(npages, Ordering::Relaxed);
        Ok(s)
    }

    /// Commits more arenas, at least `npages` pages.
    fn grow(&self, l: &mut HeapLocked, npages: usize) -> Result<(), AllocError> {
        let bytes = (npages * PAGE_SIZE).div_ceil(arena::ARENA_SIZE) * arena::ARENA_SIZE;
        if l.committed + bytes > self.arena.reserved() {
            return Err(AllocError::OutOfAddressSpace { requested: npages * PAGE_SIZE, reserved: self.arena.reserved() });
        }
        let start = self.arena.base() + l.committed;
        self.arena.commit(start, bytes).map_err(|e| AllocError::Os(e.to_string()))?;
        l.pages.grow(l.committed / PAGE_SIZE, bytes / PAGE_SIZE);
        l.committed += bytes;
        Ok(())
    }

    /// Puts a live span swept for generation `sg` onto its swept list: its class's partial or
    /// full list, or the large list. The caller swept it in place (`sweep/protocol.rs`).
    pub(crate) fn relink_swept(&self, s: &'static Span, sg: u32) {
        let spc = s.layout().spc;
        if spc.class() == 0 {
            self.locked.lock().large[crate::sweep::swept(sg)].push(s);
        } else {
            self.central[spc.index()].uncache_span(s, sg);
        }
    }

    /// Frees an empty span's pages (its sweeper, after publishing its sweepgen). `epoch` is
    /// now on the page allocator's clock (`scavenger::now_ms`).
    pub(crate) fn free_span(&self, s: &'static Span, epoch: u64) {
        let lay = s.layout();
        let mut l = self.locked.lock();
        self.arena.unmap_span(lay.base, lay.npages);
        s.retire();
        l.pages.free(self.arena.page_of(lay.base), lay.npages, epoch);
        l.pool.put(s);
        self.counters.inuse_pages.fetch_sub(lay.npages, Ordering::Relaxed);
    }

    /// The free-time epoch of the oldest free page not yet returned to the OS.
    pub(crate) fn oldest_dirty_free(&self) -> Option<u64> {
        self.locked.lock().pages.oldest_dirty()
    }

    /// Returns free pages freed at or before epoch `older_than` to the OS, up to `max_pages`
    /// (the scavenger); returns how many.
    /// The madvise runs under the heap lock: the page allocator counts the pages as released
    /// (clean) as soon as `scavenge` returns, so another allocation must not get them before
    /// they really are.
    pub(crate) fn scavenge(&self, older_than: u64, max_pages: usize) -> usize {
        let mut l = self.locked.lock();
        let runs = l.pages.scavenge(older_than, max_pages);
        let mut n = 0;
        for (start, npages) in runs {
            self.arena.release_pages(start, npages);
            n += npages;
        }
        n
    }

    /// Free pages (released or not).
    pub(crate) fn free_pages(&self) -> usize {
        self.locked.lock().pages.free_pages()
    }

    /// Checks the page allocator's invariants (debug builds, at every collection).
    pub(crate) fn check_pages(&self) {
        let l = self.locked.lock();
        l.pages.check_invariants();
        if l.pages.total_pages() * PAGE_SIZE != l.committed {
            tricolor_runtime::throw!("gc: page allocator lost track of committed pages");
        }
    }

    /// Free pages currently returned to the OS (never-touched ones included).
    pub(crate) fn released_pages(&self) -> usize {
        self.locked.lock().pages.scavenged_pages()
    }

    /// Committed bytes of the reservation.
    pub(crate) fn committed(&self) -> usize {
        self.locked.lock().committed
    }
}

/// Zeroes a free slot we just took. Small slots with word stores (no memset call).
#[inline(always)]
fn zero_slot(slot: usize, len: usize) {
    if len <= 64 {
        for i in 0..len / 8 {
            // SAFETY: the slot is free (just handed out by its span's cursor), 8-aligned, inside
            // committed heap pages; nobody else references it.
            unsafe { ((slot + i * 8) as *mut u64).write(0) };
        }
    } else {
        // SAFETY: as above.
        unsafe { std::ptr::write_bytes(slot as *mut u8, 0, len) };
    }
}

/// Writes the header of a new scan object and returns its payload address.
#[inline(always)]
fn publish(slot: usize, ty: &'static TypeInfo, noscan: bool) -> usize {
    if noscan {
        slot
    } else {
        // Release: the zeroed payload is visible before the header says the object exists
        // (invariant 21).
        header(slot).store(ty as *const TypeInfo as usize, Ordering::Release);
        slot + HEADER
    }
}

/// The header word of a scan object's slot.
#[inline]
pub(crate) fn header(slot: usize) -> &'static AtomicUsize {
    // SAFETY: `slot` is the start of an allocated slot of a scan span: 8-aligned, inside
    // committed heap memory that lives as long as the process.
    unsafe { &*(slot as *const AtomicUsize) }
}
