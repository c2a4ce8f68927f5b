//! The heap's address space: one reservation (`HEAP_RESERVE`, default 64 GiB of address space,
//! no memory) carved into 64 MiB arenas that are committed as the heap grows, and the page map
//! from every heap page to its span. Any address is classified with one subtraction and one
//! compare (`contains`), so conservative scanning rejects non-heap words cheaply
//! (reference §1.1: arena index and `spanOf`, flattened into one contiguous region).

use super::class::PAGE_SIZE;
use super::os::Reservation;
use super::span::{Span, SpanState};
use crate::sync::atomic::{AtomicPtr, Ordering};

/// Bytes per arena (the unit of commit).
pub(crate) const ARENA_SIZE: usize = 64 << 20;
/// Default address space reserved for the heap.
pub(crate) const DEFAULT_RESERVE: usize = 64 << 30;

/// A heap address resolved to its object.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ObjRef {
    pub(crate) span: &'static Span,
    /// Slot index within the span.
    pub(crate) index: usize,
    /// Address of the slot (the header for scan objects).
    pub(crate) slot: usize,
}

/// The reservation and the page map.
#[derive(Debug)]
pub(crate) struct Arena {
    heap: Reservation,
    /// One `AtomicPtr<Span>` per heap page, in its own reservation (touched lazily).
    map: Reservation,
}

impl Arena {
    pub(crate) fn new(reserve: usize) -> std::io::Result<Arena> {
        let reserve = reserve.div_ceil(ARENA_SIZE) * ARENA_SIZE;
        let heap = Reservation::new(reserve, ARENA_SIZE)?;
        let pages = reserve / PAGE_SIZE;
        let map_len = (pages * std::mem::size_of::<AtomicPtr<Span>>()).div_ceil(4096) * 4096;
        let map = Reservation::new(map_len, 4096)?;
        map.commit(map.base(), map_len)?;
        Ok(Arena { heap, map })
    }

    pub(crate) fn base(&self) -> usize {
        self.heap.base()
    }

    pub(crate) fn reserved(&self) -> usize {
        self.heap.len()
    }

    /// Whether `addr` is inside the heap's reservation.
    #[inline]
    pub(crate) fn contains(&self, addr: usize) -> bool {
        addr.wrapping_sub(self.heap.base()) < self.heap.len()
    }

    /// Page number of a heap address.
    #[inline]
    pub(crate) fn page_of(&self, addr: usize) -> usize {
        (addr - self.heap.base()) / PAGE_SIZE
    }

    pub(crate) fn page_addr(&self, page: usize) -> usize {
        self.heap.base() + page * PAGE_SIZE
    }

    #[inline]
    fn slot(&self, page: usize) -> &AtomicPtr<Span> {
        // SAFETY: `page` < reserved pages (callers derive it from `contains`), and the map is
        // committed memory of `AtomicPtr<Span>` entries (zero = null).
        unsafe { &*(self.map.base() as *const AtomicPtr<Span>).add(page) }
    }

    /// Commits arena-aligned memory `[addr, addr+len)`.
    pub(crate) fn commit(&self, addr: usize, len: usize) -> std::io::Result<()> {
        self.heap.commit(addr, len)
    }

    /// Gives `npages` pages at `page` back to the OS.
    pub(crate) fn release_pages(&self, page: usize, npages: usize) {
        self.heap.release(self.page_addr(page), npages * PAGE_SIZE);
    }

    /// Points every page of `s` at it. Caller holds the heap lock; `s` is published InUse
    /// before this (Go's `initSpan` order), so a reader that finds it via the map sees a valid
    /// layout.
    pub(crate) fn map_span(&self, s: &'static Span) {
        let l = s.layout();
        let first = self.page_of(l.base);
        for p in first..first + l.npages {
            // Release: pairs with the Acquire in `span_of`.
            self.slot(p).store(s as *const Span as *mut Span, Ordering::Release);
        }
    }

    /// Clears the page map for a span being freed. Caller holds the heap lock.
    pub(crate) fn unmap_span(&self, base: usize, npages: usize) {
        let first = self.page_of(base);
        for p in first..first + npages {
            self.slot(p).store(std::ptr::null_mut(), Ordering::Release);
        }
    }

    /// The in-use span containing `addr`, if any (Go's `spanOfHeap`).
    #[inline]
    pub(crate) fn span_of(&self, addr: usize) -> Option<&'static Span> {
        if !self.contains(addr) {
            return None;
        }
        let p = self.slot(self.page_of(addr)).load(Ordering::Acquire);
        // SAFETY: span records are never freed (pool.rs).
        let s: &'static Span = unsafe { p.as_ref() }?;
        if s.state() != SpanState::InUse {
            return None;
        }
        let l = s.layout();
        if addr < l.base || addr >= l.base + l.npages * PAGE_SIZE {
            return None;
        }
        Some(s)
    }

    /// Resolves any address (interior pointers included) to the object slot containing it
    /// (Go's `findObject`), without checking that the slot is allocated.
    #[inline]
    pub(crate) fn find_object(&self, addr: usize) -> Option<ObjRef> {
        let span = self.span_of(addr)?;
        if addr >= span.limit() {
            return None; // the span's tail waste
        }
        let index = span.object_index(addr);
        let l = span.layout();
        Some(ObjRef { span, index, slot: l.base + index * l.elemsize })
    }
}
