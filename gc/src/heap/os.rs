//! The collector's only caller of mmap/mprotect/madvise (STYLE 18): one address-space
//! `Reservation` per region (the heap, the page map), committed and released by page ranges.
#![allow(clippy::disallowed_methods)] // this module is the helper the ban points to

use std::io;

/// A range of address space reserved with no access and no commit charge. Parts are made
/// usable with `commit` and given back with `release`. Never unmapped (the heap lives as long
/// as the process).
#[derive(Debug)]
pub(crate) struct Reservation {
    base: usize,
    len: usize,
}

impl Reservation {
    /// Reserves `len` bytes aligned to `align` (a power of two, ≥ the OS page).
    pub(crate) fn new(len: usize, align: usize) -> io::Result<Reservation> {
        let total = len + align;
        // SAFETY: an anonymous PROT_NONE mapping at a kernel-chosen address aliases nothing.
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), total, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE, -1, 0)
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let raw = p as usize;
        let base = (raw + align - 1) & !(align - 1);
        // Trim the unaligned head and tail.
        // SAFETY: both ranges are inside the mapping we just made and hold nothing.
        unsafe {
            if base > raw {
                libc::munmap(raw as *mut libc::c_void, base - raw);
            }
            let end = base + len;
            let raw_end = raw + total;
            if raw_end > end {
                libc::munmap(end as *mut libc::c_void, raw_end - end);
            }
        }
        Ok(Reservation { base, len })
    }

    pub(crate) fn base(&self) -> usize {
        self.base
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Makes `[addr, addr+len)` readable and writable; the kernel commits pages on first touch,
    /// zero-filled.
    pub(crate) fn commit(&self, addr: usize, len: usize) -> io::Result<()> {
        if !(addr >= self.base && addr + len <= self.base + self.len) {
            tricolor_runtime::throw!("gc: commit outside the reservation");
        }
        // SAFETY: inside our reservation (asserted); nothing references uncommitted memory.
        let r = unsafe { libc::mprotect(addr as *mut libc::c_void, len, libc::PROT_READ | libc::PROT_WRITE) };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Returns the physical pages of `[addr, addr+len)` to the OS; the range stays mapped and
    /// reads as zero afterwards. The caller guarantees nothing live is there.
    pub(crate) fn release(&self, addr: usize, len: usize) {
        if !(addr >= self.base && addr + len <= self.base + self.len) {
            tricolor_runtime::throw!("gc: release outside the reservation");
        }
        // SAFETY: inside our reservation; the caller promises the range holds no live data.
        unsafe {
            libc::madvise(addr as *mut libc::c_void, len, libc::MADV_DONTNEED);
        }
    }
}
