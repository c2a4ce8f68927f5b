//! Goroutine stacks: one mapping each, a guard page at the low end, reserved at a fixed size and
//! committed lazily by the kernel (DESIGN decision 9). A parked goroutine costs only the pages
//! its stack touched. Each stack costs two kernel mappings (the guard splits the region), which
//! is what bounds the number of live goroutines (`Config::max_goroutines`).

use crate::os::mem::{page_size, Mapping};
use std::io;

/// Guard region below every stack.
pub(crate) const GUARD_PAGES: usize = 1;

/// A goroutine stack: `[lo, hi)` usable, `[lo - guard, lo)` inaccessible.
#[derive(Debug)]
pub(crate) struct Stack {
    map: Mapping,
    guard: usize,
}

impl Stack {
    /// Maps a stack with `size` usable bytes (a multiple of the page size).
    pub(crate) fn new(size: usize) -> io::Result<Stack> {
        let guard = GUARD_PAGES * page_size();
        let map = Mapping::reserve(size + guard, true)?;
        map.protect_none(0, guard)?;
        Ok(Stack { map, guard })
    }

    /// Lowest usable address.
    pub(crate) fn lo(&self) -> usize {
        self.map.base() + self.guard
    }

    /// One past the highest usable address (the stack grows down from here).
    pub(crate) fn hi(&self) -> usize {
        self.map.base() + self.map.len()
    }

    /// Usable size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.hi() - self.lo()
    }

    /// The guard region `[start, end)`.
    pub(crate) fn guard_range(&self) -> (usize, usize) {
        (self.map.base(), self.lo())
    }

    /// Returns the pages of `[from, to)` (page-aligned, inside the usable stack) to the OS; they
    /// read as zero afterwards. The caller guarantees nothing lives there (`scan.rs`).
    pub(crate) fn release_range(&self, from: usize, to: usize) {
        debug_assert!(self.lo() <= from && from <= to && to <= self.hi());
        self.map.release(from - self.map.base(), to - from);
    }

    /// Returns the touched pages of an unused stack to the OS.
    pub(crate) fn release_pages(&self) {
        self.map.release(self.guard, self.size());
    }
}
