//! `Span`: a run of pages holding objects of one size class (or one large object), with its
//! allocation and mark bitmaps and its sweep generation (reference §1.2, §2.5).
//!
//! Ownership of the fields (STYLE 11):
//! - Layout (`base`, `npages`, `spc`, `elemsize`, `nelems`, `div_magic`): written only while the
//!   span is Free, under the heap lock; published by the Release store of `state` = InUse and
//!   read after an Acquire load of `state` (invariant 10: state published last, read first).
//!   The words are atomics (Relaxed) and `init` brackets its writes with `seq` (a seqlock: odd
//!   while a record is re-initialised), because a mutator may look up a stale address whose
//!   span is being freed and reused right then (`Arena::find_object_seq`); such a reader
//!   sees a torn layout only as a changed `seq`, never as undefined behaviour.
//! - Allocation cursor (`freeindex`, `alloc_cache`, `alloc_count`, `alloc_bits` updates): the
//!   holder of the span — the P cache that took it from its central list, or the sweeper that
//!   owns it by sweepgen CAS. Never two at once.
//! - `mark_bits`, `check_bits`: atomically OR'ed by markers while the world is stopped;
//!   cleared by the sweeper.
//! - `sweepgen`: the sweep protocol (below); atomic.
//!
//! Sweep generations, with h = the heap's sweepgen (+2 per cycle): `sweepgen == h - 2` needs
//! sweeping; `h - 1` is being swept; `h` is swept. The protocol — ownership by the CAS
//! h-2 → h-1, release by the store of h after all bitmap and special work (invariant 11), who
//! may wait on whom — is `sweep/protocol.rs`.

use super::class::{SizeClass, CLASSES, MAX_NELEMS, PAGE_SIZE};
use crate::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use crate::sync::cell::UnsafeCell;

/// Words of a span bitmap.
pub(crate) const BITMAP_WORDS: usize = MAX_NELEMS / 64;

/// Size class and scan-ness packed as Go's `spanClass`: class << 1 | noscan. Class 0 = large.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub(crate) struct SpanClass(pub(crate) u8);

impl SpanClass {
    pub(crate) fn new(class: usize, noscan: bool) -> SpanClass {
        SpanClass(((class as u8) << 1) | noscan as u8)
    }
    pub(crate) fn class(self) -> usize {
        (self.0 >> 1) as usize
    }
    pub(crate) fn noscan(self) -> bool {
        self.0 & 1 == 1
    }
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// Span lifecycle.
#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SpanState {
    /// On the page allocator's free set (or never used): nothing may be looked up in it.
    Free = 0,
    /// Holds objects.
    InUse = 1,
}

/// Immutable-while-in-use layout; see the module docs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    pub(crate) base: usize,
    pub(crate) npages: usize,
    pub(crate) spc: SpanClass,
    pub(crate) elemsize: usize,
    pub(crate) nelems: u32,
    pub(crate) div_magic: u32,
}

/// The allocation cursor; owned by the span's holder.
#[derive(Clone, Copy, Debug, Default)]
struct Cursor {
    /// Inverted alloc bits: bit 0 is slot `freeindex`, up to `word_end`.
    alloc_cache: u64,
    /// End (exclusive slot index) of the bitmap word `alloc_cache` was loaded from.
    word_end: usize,
}

/// The layout words (see the module docs): `class_word` packs the span class (bits 0-7), the
/// object count (bits 8-31) and the division magic (bits 32-63).
struct LayoutWords {
    base: AtomicUsize,
    npages: AtomicUsize,
    elemsize: AtomicUsize,
    class_word: AtomicU64,
}

/// One span's metadata. Lives in the span pool (`pool.rs`), never freed, recycled when Free.
///
/// `repr(C)` with the fields marking reads for every pointer first — state, layout, mark bits —
/// so greying an object touches as few cache lines of metadata as possible.
#[repr(C)]
pub(crate) struct Span {
    pub(crate) state: AtomicU8,
    layout: LayoutWords,
    /// Layout seqlock: incremented to odd before `init` rewrites the layout, to even after.
    seq: AtomicU32,
    pub(crate) mark_bits: [AtomicU64; BITMAP_WORDS],
    pub(crate) sweepgen: AtomicU32,
    /// Slots below this index are allocated (this cycle). Written by the holder; read by
    /// conservative scanners (Relaxed is enough while the world is stopped).
    pub(crate) freeindex: AtomicU32,
    /// Allocated slots. Holder-owned; read by the pacer and central lists under their locks.
    pub(crate) alloc_count: AtomicU32,
    /// Free slots may hold old data (or poison): allocation must zero them.
    pub(crate) needzero: AtomicBool,
    cursor: UnsafeCell<Cursor>,
    pub(crate) alloc_bits: [AtomicU64; BITMAP_WORDS],
    /// Checkmark mode's bits (`debug/checkmark.rs`).
    pub(crate) check_bits: [AtomicU64; BITMAP_WORDS],
    /// Special records (`specials.rs`); `has_specials` mirrors non-emptiness for the sweeper.
    pub(crate) specials: crate::sync::Mutex<Vec<crate::specials::Special>>,
    pub(crate) has_specials: AtomicBool,
}

// SAFETY: the UnsafeCell fields follow the ownership rules in the module docs.
unsafe impl Sync for Span {}
// SAFETY: as above.
unsafe impl Send for Span {}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let l = self.layout();
        f.debug_struct("Span")
            .field("base", &format_args!("{:#x}", l.base))
            .field("npages", &l.npages)
            .field("class", &l.spc.class())
            .field("noscan", &l.spc.noscan())
            .field("elemsize", &l.elemsize)
            .field("alloc_count", &self.alloc_count.load(Ordering::Relaxed))
            .field("sweepgen", &self.sweepgen.load(Ordering::Relaxed))
            .finish()
    }
}

fn zero_bits() -> [AtomicU64; BITMAP_WORDS] {
    std::array::from_fn(|_| AtomicU64::new(0))
}

impl Span {
    pub(crate) fn new() -> Span {
        Span {
            layout: LayoutWords {
                base: AtomicUsize::new(0),
                npages: AtomicUsize::new(0),
                elemsize: AtomicUsize::new(0),
                class_word: AtomicU64::new(0),
            },
            seq: AtomicU32::new(0),
            state: AtomicU8::new(SpanState::Free as u8),
            sweepgen: AtomicU32::new(0),
            freeindex: AtomicU32::new(0),
            alloc_count: AtomicU32::new(0),
            needzero: AtomicBool::new(false),
            cursor: UnsafeCell::new(Cursor::default()),
            alloc_bits: zero_bits(),
            mark_bits: zero_bits(),
            check_bits: zero_bits(),
            specials: crate::sync::Mutex::new(Vec::new()),
            has_specials: AtomicBool::new(false),
        }
    }

    /// Sets up a Free span for `npages` pages at `base` holding objects of class `spc` (class
    /// 0: one large object filling the span), then publishes it InUse. Caller holds the heap
    /// lock and owns the span.
    pub(crate) fn init(&self, base: usize, npages: usize, spc: SpanClass, sweepgen: u32, needzero: bool) {
        if self.state() != SpanState::Free {
            tricolor_runtime::throw!("gc: init of a span in use");
        }
        let (elemsize, nelems, div_magic) = match spc.class() {
            0 => (npages * PAGE_SIZE, 1, 0),
            c => {
                let sc: &SizeClass = &CLASSES[c];
                debug_assert_eq!(sc.npages as usize, npages);
                (sc.size as usize, sc.nelems, sc.div_magic)
            }
        };
        debug_assert!((nelems as usize) <= MAX_NELEMS && nelems < 1 << 24);
        // Seqlock writer (one at a time: the heap lock). Relaxed increment, then a Release
        // fence: a reader that sees any of the new layout words sees the odd `seq` too.
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        // Relaxed: published by the Release stores of `seq` and `state` below.
        self.layout.base.store(base, Ordering::Relaxed);
        self.layout.npages.store(npages, Ordering::Relaxed);
        self.layout.elemsize.store(elemsize, Ordering::Relaxed);
        let word = spc.0 as u64 | (nelems as u64) << 8 | (div_magic as u64) << 32;
        self.layout.class_word.store(word, Ordering::Relaxed);
        for w in 0..BITMAP_WORDS {
            self.alloc_bits[w].store(0, Ordering::Relaxed);
            self.mark_bits[w].store(0, Ordering::Relaxed);
            self.check_bits[w].store(0, Ordering::Relaxed);
        }
        self.freeindex.store(0, Ordering::Relaxed);
        self.alloc_count.store(0, Ordering::Relaxed);
        self.needzero.store(needzero, Ordering::Relaxed);
        // SAFETY: as above.
        self.cursor.with_mut(|c| unsafe { *c = Cursor { alloc_cache: !0, word_end: 64 } });
        self.sweepgen.store(sweepgen, Ordering::Relaxed);
        // Release: the seqlock reader that sees the even value sees the whole new layout.
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
        // Release: publishes everything above to lock-free readers (find_object).
        self.state.store(SpanState::InUse as u8, Ordering::Release);
    }

    /// Marks the span Free. Caller holds the heap lock; the page map entries are cleared by the
    /// caller before the pages are reused.
    pub(crate) fn retire(&self) {
        self.state.store(SpanState::Free as u8, Ordering::Release);
        self.specials.lock().clear();
        self.has_specials.store(false, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn state(&self) -> SpanState {
        // Acquire pairs with the Release in `init`.
        if self.state.load(Ordering::Acquire) == SpanState::InUse as u8 {
            SpanState::InUse
        } else {
            SpanState::Free
        }
    }

    /// The layout. Valid while the span is InUse (checked by the caller); a reader racing a
    /// re-initialisation may see a mix of two layouts (`seq` tells, `seq_begin`/`seq_valid`).
    #[inline]
    pub(crate) fn layout(&self) -> Layout {
        // Relaxed: written only while Free under the heap lock and published by the Release
        // store of `state` (or `seq`), which callers Acquire-load first, or they hold the span.
        let word = self.layout.class_word.load(Ordering::Relaxed);
        Layout {
            base: self.layout.base.load(Ordering::Relaxed),
            npages: self.layout.npages.load(Ordering::Relaxed),
            spc: SpanClass(word as u8),
            elemsize: self.layout.elemsize.load(Ordering::Relaxed),
            nelems: (word >> 8) as u32 & 0xff_ffff,
            div_magic: (word >> 32) as u32,
        }
    }

    /// Seqlock read side: the layout version before reading it, or None while it is being
    /// rewritten. Acquire pairs with the Release store that ended the last `init`.
    #[inline]
    pub(crate) fn seq_begin(&self) -> Option<u32> {
        let s = self.seq.load(Ordering::Acquire);
        s.is_multiple_of(2).then_some(s)
    }

    /// Seqlock read side: whether everything read since `seq_begin` returned `s` belongs to
    /// one layout (no `init` started meanwhile).
    #[inline]
    pub(crate) fn seq_valid(&self, s: u32) -> bool {
        // The Acquire fence keeps the reads before it from moving below the re-load (the
        // seqlock reader's pattern; pairs with the Release fence in `init`).
        fence(Ordering::Acquire);
        self.seq.load(Ordering::Relaxed) == s
    }

    #[inline]
    pub(crate) fn base(&self) -> usize {
        self.layout().base
    }

    /// Slot index of an address inside the span (exact division by the class's magic).
    #[inline]
    pub(crate) fn object_index(&self, addr: usize) -> usize {
        let l = self.layout();
        let off = addr - l.base;
        if l.spc.class() == 0 {
            0
        } else {
            ((off as u64 * l.div_magic as u64) >> 32) as usize
        }
    }

    /// Whether slot `i` holds an allocated object: below `freeindex` everything is; at or above
    /// it, the alloc bits from the last sweep say.
    #[inline]
    pub(crate) fn is_allocated(&self, i: usize) -> bool {
        i < self.freeindex.load(Ordering::Relaxed) as usize || self.alloc_bits[i / 64].load(Ordering::Relaxed) >> (i % 64) & 1 == 1
    }

    /// Sets slot `i`'s mark bit; returns whether it was clear before.
    #[inline]
    pub(crate) fn try_mark(&self, i: usize) -> bool {
        let bit = 1u64 << (i % 64);
        let w = &self.mark_bits[i / 64];
        // Relaxed load first: most marks in a dense graph hit marked objects. The fetch_or is
        // Relaxed too: the mark bit orders nothing; the object's contents were published before
        // the world stopped, and termination is established by the workers' counter (AcqRel).
        if w.load(Ordering::Relaxed) & bit != 0 {
            return false;
        }
        w.fetch_or(bit, Ordering::Relaxed) & bit == 0
    }

    #[inline]
    pub(crate) fn is_marked(&self, i: usize) -> bool {
        self.mark_bits[i / 64].load(Ordering::Relaxed) >> (i % 64) & 1 == 1
    }

    /// Sets slot `i`'s checkmark bit; returns whether it was clear before.
    pub(crate) fn try_checkmark(&self, i: usize) -> bool {
        let bit = 1u64 << (i % 64);
        self.check_bits[i / 64].fetch_or(bit, Ordering::Relaxed) & bit == 0
    }

    /// Holder: the next free slot, or None if the span is full.
    #[inline]
    pub(crate) fn next_free(&self) -> Option<usize> {
        let l = self.layout();
        let nelems = l.nelems as usize;
        // Relaxed: holder-owned; the store is only read by stopped-world scanners.
        let mut fi = self.freeindex.load(Ordering::Relaxed) as usize;
        // SAFETY: holder-owned cursor.
        let found = self.cursor.with_mut(|c| unsafe {
            let c = &mut *c;
            loop {
                if fi >= nelems {
                    return None;
                }
                if c.alloc_cache == 0 {
                    // The cached word is used up: load the next one.
                    fi = c.word_end;
                    if fi >= nelems {
                        return None;
                    }
                    c.alloc_cache = !self.alloc_bits[fi / 64].load(Ordering::Relaxed);
                    c.word_end = fi + 64;
                    continue;
                }
                let tz = c.alloc_cache.trailing_zeros() as usize;
                let idx = fi + tz;
                if idx >= nelems {
                    return None;
                }
                c.alloc_cache = (c.alloc_cache >> tz) >> 1;
                fi = idx + 1;
                return Some(idx);
            }
        });
        if found.is_some() {
            self.freeindex.store(fi as u32, Ordering::Relaxed);
            // Load + store: holder-owned, no RMW needed (readers only race benignly, under the
            // central lock or with the world stopped).
            let n = self.alloc_count.load(Ordering::Relaxed);
            self.alloc_count.store(n + 1, Ordering::Relaxed);
        } else {
            self.freeindex.store(nelems as u32, Ordering::Relaxed);
        }
        found
    }

    /// Sweeper: installs the new allocation state after a sweep (alloc bits = mark bits).
    /// Returns the number of live objects.
    pub(crate) fn reset_after_sweep(&self) -> u32 {
        let mut live = 0;
        for w in 0..BITMAP_WORDS {
            let m = self.mark_bits[w].swap(0, Ordering::Relaxed);
            self.alloc_bits[w].store(m, Ordering::Relaxed);
            live += m.count_ones();
        }
        self.freeindex.store(0, Ordering::Relaxed);
        self.alloc_count.store(live, Ordering::Relaxed);
        // SAFETY: the sweeper owns the span.
        self.cursor.with_mut(|c| unsafe { *c = Cursor { alloc_cache: !self.alloc_bits[0].load(Ordering::Relaxed), word_end: 64 } });
        live
    }

    /// Allocated slots: everything below `freeindex`, plus the alloc bits above it (one popcount
    /// per bitmap word, for the sweeper).
    pub(crate) fn allocated_count(&self) -> u32 {
        let nelems = self.layout().nelems as usize;
        let fi = (self.freeindex.load(Ordering::Relaxed) as usize).min(nelems);
        let mut n = fi as u32;
        for w in 0..nelems.div_ceil(64) {
            let mut bits = self.alloc_bits[w].load(Ordering::Relaxed);
            let lo = w * 64;
            if fi > lo {
                // Slots below freeindex are counted already.
                bits &= if fi - lo >= 64 { 0 } else { !0u64 << (fi - lo) };
            }
            if nelems - lo < 64 {
                bits &= (1u64 << (nelems - lo)) - 1;
            }
            n += bits.count_ones();
        }
        n
    }

    /// Whether a free slot remains.
    pub(crate) fn has_free(&self) -> bool {
        self.alloc_count.load(Ordering::Relaxed) < self.layout().nelems
    }

    /// Whether the span is swept for generation `h`.
    pub(crate) fn is_swept(&self, h: u32) -> bool {
        self.sweepgen.load(Ordering::Acquire) == h
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The cursor hands out exactly the free slots, in order, across word boundaries, for a
    /// fresh span and after a sweep that left a pattern of live objects.
    #[test]
    fn next_free_visits_every_free_slot_once() {
        for class in [1usize, 4, 9] {
            let s = Span::new();
            let npages = CLASSES[class].npages as usize;
            s.init(0x10000, npages, SpanClass::new(class, true), 2, false);
            let n = CLASSES[class].nelems as usize;
            let all: Vec<usize> = std::iter::from_fn(|| s.next_free()).collect();
            assert_eq!(all, (0..n).collect::<Vec<_>>(), "class {class}");
            assert!(!s.has_free());
            // Keep every third object and every slot of the second word.
            for i in 0..n {
                if i % 3 == 0 || (64..128).contains(&i) {
                    assert!(s.try_mark(i));
                }
            }
            assert_eq!(s.allocated_count() as usize, n);
            let live = s.reset_after_sweep() as usize;
            let free: Vec<usize> = std::iter::from_fn(|| s.next_free()).collect();
            let want: Vec<usize> = (0..n).filter(|i| !(i % 3 == 0 || (64..128).contains(i))).collect();
            assert_eq!(free, want, "class {class} after sweep");
            assert_eq!(live + free.len(), n);
            assert_eq!(s.allocated_count() as usize, n);
            for i in 0..n {
                assert!(s.is_allocated(i));
            }
        }
    }
}
