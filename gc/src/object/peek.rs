//! `peek_word`: the conservative scan's load. A conservative scan reads words whose bytes may
//! be uninitialised as far as Rust is concerned — padding, the unused bytes of an enum
//! variant, a stack slot no frame wrote — and reading those as an integer through a Rust
//! pointer is undefined behaviour, even with `read_volatile`. The load is done in inline
//! assembly instead: the compiler sees only an opaque instruction, and the value is whatever
//! the memory holds.

/// The word at `addr` as the hardware sees it.
///
/// # Safety
/// `addr` is 8-aligned and the 8 bytes at it are readable (mapped) memory.
#[inline(always)]
pub unsafe fn peek_word(addr: usize) -> usize {
    let v: usize;
    // SAFETY: the caller vouches the address is aligned and mapped; the instruction only loads.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::asm!("mov {v}, qword ptr [{a}]", a = in(reg) addr, v = lateout(reg) v, options(nostack, preserves_flags, readonly))
    };
    // SAFETY: as above.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        std::arch::asm!("ldr {v}, [{a}]", a = in(reg) addr, v = lateout(reg) v, options(nostack, preserves_flags, readonly))
    };
    v
}
