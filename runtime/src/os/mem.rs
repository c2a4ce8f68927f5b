//! Anonymous memory mappings: reserve, protect, release, and the kernel's mapping-count limit.
#![allow(clippy::disallowed_methods)] // this module is the helper the ban points to
//!
//! `Mapping` owns one `mmap` region and unmaps it on drop. Goroutine stacks are built on it
//! (`g/stack.rs`); the GC's arenas will use the same helper.

use std::io;
use std::ptr::NonNull;

/// Bytes per OS page, read once.
pub(crate) fn page_size() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no memory-safety preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if n <= 0 {
            4096
        } else {
            n as usize
        }
    })
}

/// `/proc/sys/vm/max_map_count`: how many mappings the kernel allows this process (65530 by
/// default). Each guarded goroutine stack costs two (the guard page splits its mapping).
pub(crate) fn max_map_count() -> usize {
    std::fs::read_to_string("/proc/sys/vm/max_map_count").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(65530)
}

/// One anonymous private mapping, unmapped on drop.
#[derive(Debug)]
pub(crate) struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: a Mapping is plain memory owned by whoever holds it; nothing in it is thread-bound.
unsafe impl Send for Mapping {}
// SAFETY: shared references only expose the address range, never the bytes.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Reserves `len` bytes (a multiple of the page size) readable and writable, committed lazily
    /// by the kernel (`MAP_NORESERVE`): untouched pages cost nothing.
    pub(crate) fn reserve(len: usize, stack: bool) -> io::Result<Mapping> {
        debug_assert!(len > 0 && len.is_multiple_of(page_size()));
        let mut flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        if stack {
            flags |= libc::MAP_STACK;
        }
        // SAFETY: an anonymous mapping at an address the kernel chooses aliases nothing.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0) };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping { base: NonNull::new(p.cast()).expect("mmap returned null"), len })
    }

    pub(crate) fn base(&self) -> usize {
        self.base.as_ptr() as usize
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Makes `[base, base+len)` inaccessible (a guard region). Page aligned, inside the mapping.
    pub(crate) fn protect_none(&self, offset: usize, len: usize) -> io::Result<()> {
        assert!(offset + len <= self.len && offset.is_multiple_of(page_size()) && len.is_multiple_of(page_size()));
        // SAFETY: the range lies inside our own mapping (asserted above); nobody holds
        // references into a guard region.
        let r = unsafe { libc::mprotect(self.base.as_ptr().add(offset).cast(), len, libc::PROT_NONE) };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Gives the physical pages of `[offset, offset+len)` back to the OS; they read as zero
    /// afterwards. The caller guarantees nothing lives there any more.
    pub(crate) fn release(&self, offset: usize, len: usize) {
        assert!(offset + len <= self.len && offset.is_multiple_of(page_size()) && len.is_multiple_of(page_size()));
        // SAFETY: inside our mapping; MADV_DONTNEED on private anonymous memory only zeroes it,
        // and the caller promises no live data is in the range.
        unsafe {
            libc::madvise(self.base.as_ptr().add(offset).cast(), len, libc::MADV_DONTNEED);
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: we own the mapping and it is dropped exactly once.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}
