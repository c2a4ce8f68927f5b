//! The heap's address space: one reservation (`HEAP_RESERVE`, default 64 GiB of address space,
//! no memory) carved into 64 MiB arenas that are committed as the heap grows, and the page map
//! from every heap page to its span. Any address is classified with one subtraction and one
//! compare (`contains`), so conservative scanning rejects non-heap words cheaply
//! (reference §1.1: arena index and `spanOf`, flattened into one contiguous region).

use super::class::PAGE_SIZE;
use super::os::Reservation;
use super::span::{Layout, Span, SpanState};
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
            // Release: pairs with the Acquire in `span_at`.
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

    /// The span the page map names for `addr` (in use or not), if `addr` is in the heap.
    #[inline]
    fn span_at(&self, addr: usize) -> Option<&'static Span> {
        if !self.contains(addr) {
            return None;
        }
        let p = self.slot(self.page_of(addr)).load(Ordering::Acquire);
        // SAFETY: span records are never freed (pool.rs).
        unsafe { p.as_ref() }
    }

    /// Resolves any address (interior pointers included) to the object slot containing it
    /// (Go's `findObject`), without checking that the slot is allocated. For spans that cannot
    /// be freed meanwhile (the world is stopped, or the address is known live); a mutator
    /// looking up an address that may be dead uses `find_object_seq`.
    #[inline]
    pub(crate) fn find_object(&self, addr: usize) -> Option<ObjRef> {
        object_in(self.span_at(addr)?, addr)
    }

    /// `find_object` for an address whose span may be freed and reused while we look (a
    /// mutator's lookup of a possibly dead object): the result comes from one consistent
    /// layout, returned with the span's seqlock value it was read under. Whatever the caller
    /// reads of the span afterwards belongs to the same incarnation if `span.seq_valid(seq)`
    /// holds after the reads. The caller checks allocation under the sweep protocol
    /// (`sweep::lookup`).
    pub(crate) fn find_object_seq(&self, addr: usize) -> Option<(ObjRef, u32)> {
        loop {
            let span = self.span_at(addr)?;
            let Some(seq) = span.seq_begin() else {
                crate::sync::spin_loop();
                continue; // being re-initialised right now: look again
            };
            let found = object_in(span, addr);
            if span.seq_valid(seq) {
                return found.map(|o| (o, seq));
            }
        }
    }
}

/// The slot of `addr` in `span` if the span is in use and holds it (Go's `spanOfHeap` checks:
/// state first, then bounds, invariant 10), from one snapshot of its layout.
#[inline]
fn object_in(span: &'static Span, addr: usize) -> Option<ObjRef> {
    if span.state() != SpanState::InUse {
        return None;
    }
    let l = span.layout();
    if addr < l.base || addr >= l.base + l.npages * PAGE_SIZE {
        return None;
    }
    resolve(span, &l, addr)
}

/// The slot of `addr` in `span` laid out as `l` (`addr` is within the span's pages). Every
/// index is checked against `nelems`, so a torn layout never indexes past the bitmaps.
#[inline]
fn resolve(span: &'static Span, l: &Layout, addr: usize) -> Option<ObjRef> {
    if addr >= l.base + l.nelems as usize * l.elemsize {
        return None; // the span's tail waste
    }
    let index = if l.spc.class() == 0 { 0 } else { (((addr - l.base) as u64 * l.div_magic as u64) >> 32) as usize };
    if index >= l.nelems as usize {
        return None;
    }
    Some(ObjRef { span, index, slot: l.base + index * l.elemsize })
}
