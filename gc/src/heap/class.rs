//! Size classes: the table mapping small object sizes (≤ [`MAX_SMALL`]) to classes, each with a
//! span shape (pages per span, objects per span) and an exact object-index division (reference
//! §1.2). Only the table and its lookups live here; spans that use a class are `span.rs`'s, and
//! the page runs that back them come from `pages.rs`.
//!
//! # Contract (used by the rest of the heap)
//!
//! - [`PAGE_SIZE`] = 8192, [`MAX_SMALL`] = 32768, [`MAX_NELEMS`] = 1024 (span bitmaps are 16
//!   `u64` words).
//! - [`NUM_CLASSES`] counts the classes including class 0, which means "large" (an object in
//!   its own span, sized by the caller); `CLASSES[0]` is an all-zero placeholder.
//! - [`CLASSES`]`[c]` for `c` in `1..NUM_CLASSES`: `size` (bytes, a multiple of 8; class 1 = 8,
//!   strictly increasing, the last = `MAX_SMALL`), `npages` (span length in pages), `nelems`
//!   (= `npages * PAGE_SIZE / size`, always in `1..=MAX_NELEMS`), `div_magic`.
//! - [`class_for`]`(size)`: the smallest class whose size ≥ `size`, for `1 ≤ size ≤ MAX_SMALL`,
//!   in O(1) (two lookup tables). Size 0 is the caller's problem (it maps to class 1).
//! - [`SizeClass::object_index`]`(offset)` = `offset / size`, computed as
//!   `(offset as u64 * div_magic as u64) >> 32`, exact for every `offset < npages * PAGE_SIZE`
//!   (proved per class at compile time, and exhaustively by a test).
//! - Waste: the tail of every span (span bytes − `nelems * size`) is at most 1/16 of the span
//!   (stronger than the 1/8 the heap asks for); for classes above 128 bytes, rounding a request
//!   up to its class plus the tail together waste at most 1/6 of the span (measured worst:
//!   16.66 %, class 9216). The classes ≤ 128 bytes are coarser (8 → 16 wastes up to 44 %).
//!
//! # How the table is generated (our rule, not Go's table)
//!
//! The whole table is computed by `const fn`s at compile time ([`CLASSES`] is a plain `static`);
//! nothing is initialised at run time.
//!
//! 1. Candidate sizes: 8, 16, 24, 32 (step 8; 24 is the size of a `Vec`/`String` header), then
//!    step 16 up to 128, then step = (largest power of two ≤ size) / 8, so eight classes per
//!    doubling and rounding up costs at most 1/8 of the request. Every size above 1024 is
//!    therefore a multiple of 128, which is what the second lookup table needs.
//! 2. Span shape: the fewest pages (`1..=MAX_NPAGES`) whose tail is at most 1/16 of the span,
//!    keeping `nelems ≤ MAX_NELEMS`.
//! 3. Merge: a candidate with the same `npages` and `nelems` as the previous class replaces it
//!    (the larger size holds the same objects in the same span, so no memory is lost; only the
//!    tail moves inside the objects).
//!
//! The result is 68 classes plus class 0 (Go has 67 plus class 0), spans of 1 to 11 pages.
//! `cargo test -p tricolor-gc print_table -- --nocapture` prints the table.

/// Bytes per page; pages are the unit of `pages.rs` and of span lengths.
pub const PAGE_SIZE: usize = 8192;
/// The largest size served by a class; larger objects are "large" (class 0, own span).
pub const MAX_SMALL: usize = 32768;
/// The most objects a span may hold (span bitmaps are 16 `u64` words).
pub const MAX_NELEMS: usize = 1024;
/// The longest span the generator may choose (the table uses at most 11).
const MAX_NPAGES: usize = 16;
/// Tail bound used by the generator: tail ≤ span / `TAIL_DIVISOR`.
const TAIL_DIVISOR: usize = 16;
/// `class_for` uses the 8-byte-granular table up to here, the 128-byte-granular one above.
const SMALL_LOOKUP_MAX: usize = 1024;

/// One size class: object size, span shape and the reciprocal for object indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeClass {
    /// Object size in bytes (a multiple of 8); 0 for class 0.
    pub size: u32,
    /// Span length in pages.
    pub npages: u32,
    /// Objects per span: `npages * PAGE_SIZE / size`.
    pub nelems: u32,
    /// `ceil(2^32 / size)`: `object_index` multiplies by it instead of dividing.
    pub div_magic: u32,
}

impl SizeClass {
    /// Class 0: "large"; every field is 0, so `object_index` returns 0 for any offset — the
    /// right answer for a large span, whose one object starts at the span base.
    const LARGE: SizeClass = SizeClass { size: 0, npages: 0, nelems: 0, div_magic: 0 };

    const fn new(size: usize, npages: usize) -> SizeClass {
        let nelems = npages * PAGE_SIZE / size;
        let div_magic = (1u64 << 32).div_ceil(size as u64) as u32;
        // Fits: size ≤ MAX_SMALL, npages ≤ MAX_NPAGES, nelems ≤ MAX_NELEMS, magic < 2^32 (size > 1).
        SizeClass { size: size as u32, npages: npages as u32, nelems: nelems as u32, div_magic }
    }

    /// Bytes of one span of this class (`npages * PAGE_SIZE`); 0 for class 0.
    #[inline]
    pub const fn span_bytes(&self) -> usize {
        self.npages as usize * PAGE_SIZE
    }

    /// Index of the object containing byte `offset` of a span: exactly `offset / size` for
    /// every `offset < span_bytes()` (see `magic_is_exact`). Larger offsets give unspecified
    /// (but non-panicking) results; the caller bounds-checks against the span limit first.
    #[inline]
    #[allow(dead_code)] // the span caches div_magic; this is the reference the tests check
    pub const fn object_index(&self, offset: usize) -> usize {
        ((offset as u64 * self.div_magic as u64) >> 32) as usize
    }
}

/// Number of classes, class 0 included.
pub const NUM_CLASSES: usize = GENERATED.len;

/// The size-class table; index 0 is the "large" placeholder. Built at compile time.
pub static CLASSES: [SizeClass; NUM_CLASSES] = TABLE;

/// Returns the smallest class whose size is ≥ `size` (for `1 ≤ size ≤ MAX_SMALL`), in O(1).
///
/// Size 0 maps to class 1. A size above `MAX_SMALL` panics (debug: with this message; release:
/// through the lookup's bounds check), so callers route large objects before calling.
#[inline]
pub fn class_for(size: usize) -> usize {
    debug_assert!(size <= MAX_SMALL, "class: class_for({size}) above MAX_SMALL; use a large span");
    if size <= SMALL_LOOKUP_MAX {
        SIZE_TO_CLASS_8[size.div_ceil(8)] as usize
    } else {
        SIZE_TO_CLASS_128[size.div_ceil(128)] as usize
    }
}

// ---- compile-time generation -------------------------------------------------------------

/// Upper bound on candidates (step 1 of the rule yields 74); checked in `generate`.
const MAX_CANDIDATES: usize = 96;

struct Generated {
    classes: [SizeClass; MAX_CANDIDATES],
    len: usize,
}

/// Step 1 of the rule: the candidate after `size`.
const fn next_candidate(size: usize) -> usize {
    if size < 32 {
        size + 8
    } else if size < 128 {
        size + 16
    } else {
        let pow2 = 1usize << (usize::BITS - 1 - size.leading_zeros());
        size + pow2 / 8
    }
}

/// Step 2 of the rule: the fewest pages with a tail ≤ span / `TAIL_DIVISOR`.
const fn npages_for(size: usize) -> usize {
    let mut npages = 1;
    while npages <= MAX_NPAGES {
        let span = npages * PAGE_SIZE;
        let nelems = span / size;
        if nelems >= 1 && nelems <= MAX_NELEMS && (span - nelems * size) * TAIL_DIVISOR <= span {
            return npages;
        }
        npages += 1;
    }
    panic!("class: no span of at most MAX_NPAGES pages keeps the tail within bounds");
}

/// Steps 1-3 of the rule.
const fn generate() -> Generated {
    let mut classes = [SizeClass::LARGE; MAX_CANDIDATES];
    let mut len = 1; // class 0
    let mut size = 8;
    loop {
        let class = SizeClass::new(size, npages_for(size));
        let prev = classes[len - 1];
        if len > 1 && prev.npages == class.npages && prev.nelems == class.nelems {
            classes[len - 1] = class; // step 3: merge, keeping the larger size
        } else {
            assert!(len < MAX_CANDIDATES, "class: raise MAX_CANDIDATES");
            classes[len] = class;
            len += 1;
        }
        if size == MAX_SMALL {
            return Generated { classes, len };
        }
        size = next_candidate(size);
        assert!(size <= MAX_SMALL, "class: candidate steps skip MAX_SMALL");
    }
}

const GENERATED: Generated = generate();

const TABLE: [SizeClass; NUM_CLASSES] = {
    let mut out = [SizeClass::LARGE; NUM_CLASSES];
    let mut c = 0;
    while c < NUM_CLASSES {
        out[c] = GENERATED.classes[c];
        c += 1;
    }
    out
};

/// Smallest class with size ≥ `size`, by linear scan (compile time only).
const fn smallest_class(size: usize) -> u8 {
    let mut c = 1;
    while (TABLE[c].size as usize) < size {
        c += 1;
    }
    c as u8
}

/// `SIZE_TO_CLASS_8[ceil(size / 8)]` for sizes ≤ `SMALL_LOOKUP_MAX` (entry 0: class 1).
static SIZE_TO_CLASS_8: [u8; SMALL_LOOKUP_MAX / 8 + 1] = {
    let mut t = [0u8; SMALL_LOOKUP_MAX / 8 + 1];
    let mut i = 0;
    while i < t.len() {
        t[i] = smallest_class(if i == 0 { 1 } else { i * 8 });
        i += 1;
    }
    t
};

/// `SIZE_TO_CLASS_128[ceil(size / 128)]` for `SMALL_LOOKUP_MAX < size ≤ MAX_SMALL` (entries at
/// or below `SMALL_LOOKUP_MAX / 128` are never read).
static SIZE_TO_CLASS_128: [u8; MAX_SMALL / 128 + 1] = {
    let mut t = [0u8; MAX_SMALL / 128 + 1];
    let mut i = SMALL_LOOKUP_MAX / 128 + 1;
    while i < t.len() {
        t[i] = smallest_class(i * 128);
        i += 1;
    }
    t
};

// Always-on checks of the contract, at compile time. Invariant: every size is a multiple of 8
// (of 128 above SMALL_LOOKUP_MAX, so the coarse table is exact), sizes increase, the last is
// MAX_SMALL, nelems is in 1..=MAX_NELEMS, the tail is within bounds, and the magic is exact.
//
// Exactness of `object_index`: let d = size, m = div_magic = ceil(2^32 / d), e = m·d − 2^32
// (0 ≤ e < d). For x = q·d + r (0 ≤ r < d), x·m / 2^32 = q + (r + x·e / 2^32) / d, whose floor
// is q whenever x·e < 2^32 (then r + x·e/2^32 < d). So span_bytes · e ≤ 2^32 suffices for all
// x < span_bytes.
const _: () = {
    assert!(NUM_CLASSES <= u8::MAX as usize + 1, "class: lookup tables store classes as u8");
    assert!(TABLE[0].size == 0 && TABLE[1].size == 8 && TABLE[NUM_CLASSES - 1].size as usize == MAX_SMALL);
    let mut c = 1;
    while c < NUM_CLASSES {
        let k = TABLE[c];
        assert!(k.size.is_multiple_of(8) && k.size > TABLE[c - 1].size);
        let (size, nelems) = (k.size as usize, k.nelems as usize);
        assert!(size <= SMALL_LOOKUP_MAX || size.is_multiple_of(128));
        assert!(nelems >= 1 && nelems <= MAX_NELEMS && k.npages as usize <= MAX_NPAGES);
        assert!(nelems == k.span_bytes() / size);
        assert!((k.span_bytes() - nelems * size) * TAIL_DIVISOR <= k.span_bytes());
        let e = k.div_magic as u64 * k.size as u64 - (1u64 << 32);
        assert!(k.span_bytes() as u64 * e <= 1u64 << 32, "class: div_magic not exact");
        c += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Fraction of a span wasted when every object holds the smallest request of its class
    /// (previous class size + 1): rounding plus tail together.
    fn max_waste(c: usize) -> f64 {
        let k = CLASSES[c];
        let smallest = CLASSES[c - 1].size + 1;
        1.0 - (k.nelems * smallest) as f64 / k.span_bytes() as f64
    }

    #[test]
    fn table_shape() {
        assert_eq!(CLASSES.len(), NUM_CLASSES);
        assert!((60..=70).contains(&NUM_CLASSES), "{NUM_CLASSES} classes");
        assert_eq!(CLASSES[0], SizeClass::LARGE);
        assert_eq!(CLASSES[1].size, 8);
        assert_eq!(CLASSES[NUM_CLASSES - 1].size as usize, MAX_SMALL);
        for c in 1..NUM_CLASSES {
            let k = CLASSES[c];
            let (size, nelems) = (k.size as usize, k.nelems as usize);
            assert_eq!(size % 8, 0, "class {c}");
            assert!(k.size > CLASSES[c - 1].size, "class {c} not increasing");
            assert!((1..=MAX_NELEMS).contains(&nelems), "class {c}: nelems {nelems}");
            assert_eq!(nelems, k.span_bytes() / size);
            let tail = k.span_bytes() - nelems * size;
            assert!(tail * 8 <= k.span_bytes(), "class {c}: tail {tail} over 1/8");
            assert!(tail * TAIL_DIVISOR <= k.span_bytes(), "class {c}: tail {tail} over 1/16");
            // Step 3: no two neighbours with the same shape survive.
            let p = CLASSES[c - 1];
            assert!(c == 1 || (p.npages, p.nelems) != (k.npages, k.nelems), "class {c} unmerged");
            if size > 128 {
                assert!(max_waste(c) <= 1.0 / 6.0, "class {c}: waste {}", max_waste(c));
            }
        }
    }

    #[test]
    fn class_for_is_smallest_adequate() {
        for size in 1..=MAX_SMALL {
            let c = class_for(size);
            assert!((1..NUM_CLASSES).contains(&c), "size {size} -> {c}");
            assert!(CLASSES[c].size as usize >= size, "size {size} -> class {c} too small");
            assert!(c == 1 || (CLASSES[c - 1].size as usize) < size, "size {size} -> class {c} not smallest");
        }
        assert_eq!(class_for(0), 1);
    }

    #[test]
    fn magic_is_exact() {
        for (c, k) in CLASSES.iter().enumerate().skip(1) {
            for offset in 0..k.span_bytes() {
                assert_eq!(k.object_index(offset), offset / k.size as usize, "class {c} offset {offset}");
            }
        }
        assert_eq!(CLASSES[0].object_index(123_456), 0);
    }

    #[test]
    fn print_table() {
        let (mut worst, mut worst_c) = (0.0, 0);
        println!("class  size npages nelems  tail%  maxwaste%");
        for (c, k) in CLASSES.iter().enumerate().skip(1) {
            let tail = (k.span_bytes() - (k.nelems * k.size) as usize) as f64 / k.span_bytes() as f64;
            let w = max_waste(c);
            if k.size > 128 && w > worst {
                (worst, worst_c) = (w, c);
            }
            let (size, npages, nelems) = (k.size, k.npages, k.nelems);
            println!("{c:5} {size:5} {npages:6} {nelems:6} {:6.2} {:9.2}", tail * 100.0, w * 100.0);
        }
        let n = NUM_CLASSES - 1;
        println!("{n} classes + class 0; worst waste above 128 B: {:.2}% (class {worst_c})", worst * 100.0);
    }
}
