//! The context switch: one trait, one implementation per architecture, chosen by `cfg` (STYLE 3).
//!
//! A `Context` is what a switched-out goroutine (or an M's g0) leaves behind: its stack pointer
//! and the callee-saved registers of the System V / AAPCS64 ABI. Everything else is saved by
//! the compiler around the call to `switch`, on the goroutine's own stack, below nothing the
//! collector does not scan: a parked G's roots are exactly `[ctx.sp, stack top)` plus
//! `ctx.words()` (DESIGN decision 1, read by `scan.rs`).

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod x86_64;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
use x86_64 as imp;

#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
mod aarch64;
#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
use aarch64 as imp;

#[cfg(not(any(all(target_arch = "x86_64", target_os = "linux"), all(target_arch = "aarch64", target_os = "linux"))))]
compile_error!(
    "tricolor-runtime supports x86_64 Linux and aarch64 Linux only: its context switch is \
     hand-written assembly and its stacks, futexes and signals are Linux's"
);

pub(crate) use imp::Context;

/// What each architecture provides. Methods are unsafe where they jump to or read foreign
/// stacks.
pub(crate) trait Arch {
    /// Saves the current callee-saved state into `save` and resumes the context in `load`.
    /// Returns when some other thread or context switches back into `save`.
    ///
    /// # Safety
    /// 1. `load` holds a context produced by `switch` or `Context::new_entry` whose stack is
    ///    alive and used by no one else.
    /// 2. `save` stays valid until the context saved in it is resumed.
    unsafe fn switch(save: *mut Context, load: *const Context);

    /// Records the caller's stack pointer and callee-saved registers into `save` without
    /// switching, so a scanner can read the caller's frames while it runs on.
    ///
    /// # Safety
    /// 1. `save` is valid for writes.
    unsafe fn capture(save: *mut Context);

    /// Calls `f(arg)` with the stack pointer at `sp`, then returns on the caller's stack (Go's
    /// `systemstack`: `sched/system_stack.rs`).
    ///
    /// # Safety
    /// 1. `sp` is 16-byte aligned, and the memory below it (as deep as `f` goes) is a stack
    ///    nobody else uses until this returns.
    /// 2. `f` does not unwind (it catches panics itself) and does not switch contexts.
    unsafe fn call_on_stack(arg: usize, f: extern "C" fn(usize), sp: usize);

    /// A context that, when switched to, calls `entry(arg)` on a fresh stack whose top is `top`
    /// (16-byte aligned). `entry` must never return.
    fn new_entry(top: usize, entry: extern "C" fn(usize) -> !, arg: usize) -> Context;

    /// The saved stack pointer.
    fn sp(ctx: &Context) -> usize;

    /// The saved callee-saved integer registers, for conservative scanning.
    fn words(ctx: &Context) -> &[usize];
}

/// The architecture in use.
pub(crate) type Cpu = imp::Cpu;

/// The current stack pointer (one instruction; for stack-depth bookkeeping, not for
/// correctness of a switch).
#[inline(always)]
pub(crate) fn current_sp() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register into a general register; no memory access, no
    // flags, the stack is untouched.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    // SAFETY: as above.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    sp
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::os::mem::Mapping;
    use std::cell::Cell;

    thread_local! {
        static MAIN: Cell<*mut Context> = const { Cell::new(std::ptr::null_mut()) };
        static SIDE: Cell<*mut Context> = const { Cell::new(std::ptr::null_mut()) };
        static COUNT: Cell<usize> = const { Cell::new(0) };
    }

    extern "C" fn side(arg: usize) -> ! {
        loop {
            COUNT.with(|c| c.set(c.get() + arg));
            // SAFETY: both contexts point at live locals of `ping_pong_between_stacks`.
            unsafe { Cpu::switch(SIDE.with(|s| s.get()), MAIN.with(|m| m.get())) };
        }
    }

    #[test]
    fn ping_pong_between_stacks() {
        let stack = Mapping::reserve(64 * 1024, true).unwrap();
        let top = stack.base() + stack.len();
        let mut main = Context::default();
        let mut sidectx = Cpu::new_entry(top, side, 3);
        MAIN.with(|m| m.set(&mut main));
        SIDE.with(|s| s.set(&mut sidectx));
        for i in 1..=1000 {
            // SAFETY: `sidectx` runs on `stack`, alive for the whole test.
            unsafe { Cpu::switch(&mut main, &sidectx) };
            assert_eq!(COUNT.with(|c| c.get()), 3 * i);
            let sp = Cpu::sp(&sidectx);
            assert!(sp > stack.base() && sp < top, "saved sp {sp:#x} outside the side stack");
        }
        // Floating-point state survives the switches.
        let x = std::hint::black_box(1.5f64) * 2.0;
        assert_eq!(x, 3.0);
    }
}
