//! aarch64 AAPCS64 context switch. Callee-saved: sp, x19-x28, x29 (fp), x30 (lr), d8-d15.
//! Compiled on aarch64 Linux; not yet exercised by CI (x86_64 only).

use super::Arch;

/// Saved callee-saved state. Layout is used by the assembly below.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Context {
    sp: usize,
    /// x19..x28, x29, x30
    regs: [usize; 12],
    /// d8..d15
    fregs: [u64; 8],
}

std::arch::global_asm!(
    ".text",
    ".global tricolor_switch",
    ".type tricolor_switch,%function",
    ".p2align 4",
    "tricolor_switch:",
    ".cfi_startproc",
    "mov x9, sp",
    "str x9, [x0, #0]",
    "stp x19, x20, [x0, #8]",
    "stp x21, x22, [x0, #24]",
    "stp x23, x24, [x0, #40]",
    "stp x25, x26, [x0, #56]",
    "stp x27, x28, [x0, #72]",
    "stp x29, x30, [x0, #88]",
    "stp d8, d9, [x0, #104]",
    "stp d10, d11, [x0, #120]",
    "stp d12, d13, [x0, #136]",
    "stp d14, d15, [x0, #152]",
    "ldr x9, [x1, #0]",
    "mov sp, x9",
    "ldp x19, x20, [x1, #8]",
    "ldp x21, x22, [x1, #24]",
    "ldp x23, x24, [x1, #40]",
    "ldp x25, x26, [x1, #56]",
    "ldp x27, x28, [x1, #72]",
    "ldp x29, x30, [x1, #88]",
    "ldp d8, d9, [x1, #104]",
    "ldp d10, d11, [x1, #120]",
    "ldp d12, d13, [x1, #136]",
    "ldp d14, d15, [x1, #152]",
    "ret",
    ".cfi_endproc",
    ".size tricolor_switch, .-tricolor_switch",
    ".global tricolor_capture",
    ".type tricolor_capture,%function",
    ".p2align 4",
    "tricolor_capture:",
    ".cfi_startproc",
    "mov x9, sp",
    "str x9, [x0, #0]",
    "stp x19, x20, [x0, #8]",
    "stp x21, x22, [x0, #24]",
    "stp x23, x24, [x0, #40]",
    "stp x25, x26, [x0, #56]",
    "stp x27, x28, [x0, #72]",
    "stp x29, x30, [x0, #88]",
    "stp d8, d9, [x0, #104]",
    "stp d10, d11, [x0, #120]",
    "stp d12, d13, [x0, #136]",
    "stp d14, d15, [x0, #152]",
    "ret",
    ".cfi_endproc",
    ".size tricolor_capture, .-tricolor_capture",
    ".global tricolor_trampoline",
    ".type tricolor_trampoline,%function",
    ".p2align 4",
    "tricolor_trampoline:",
    ".cfi_startproc",
    ".cfi_undefined x30",
    "mov x0, x19",
    "blr x20",
    "brk #0",
    ".cfi_endproc",
    ".size tricolor_trampoline, .-tricolor_trampoline",
    // tricolor_call_on_stack(arg = x0, f = x1, sp = x2): calls f(arg) with sp = x2, then
    // returns on the caller's stack (frame-pointer based, so unwinders walk back across).
    ".global tricolor_call_on_stack",
    ".type tricolor_call_on_stack,%function",
    ".p2align 4",
    "tricolor_call_on_stack:",
    ".cfi_startproc",
    "stp x29, x30, [sp, #-16]!",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset x29, -16",
    ".cfi_offset x30, -8",
    "mov x29, sp",
    ".cfi_def_cfa_register x29",
    "mov sp, x2",
    "blr x1",
    "mov sp, x29",
    ".cfi_def_cfa sp, 16",
    "ldp x29, x30, [sp], #16",
    ".cfi_def_cfa_offset 0",
    "ret",
    ".cfi_endproc",
    ".size tricolor_call_on_stack, .-tricolor_call_on_stack",
);

extern "C" {
    fn tricolor_switch(save: *mut Context, load: *const Context);
    fn tricolor_trampoline();
    fn tricolor_capture(save: *mut Context);
    fn tricolor_call_on_stack(arg: usize, f: extern "C" fn(usize), sp: usize);
}

/// aarch64 Linux.
#[derive(Debug)]
pub(crate) struct Cpu;

impl Arch for Cpu {
    #[inline(always)]
    unsafe fn switch(save: *mut Context, load: *const Context) {
        // SAFETY: the caller upholds the trait's obligations; the assembly follows AAPCS64.
        unsafe { tricolor_switch(save, load) }
    }

    #[inline(always)]
    unsafe fn capture(save: *mut Context) {
        // SAFETY: writes only into `save`, which the caller guarantees valid.
        unsafe { tricolor_capture(save) }
    }

    #[inline(always)]
    unsafe fn call_on_stack(arg: usize, f: extern "C" fn(usize), sp: usize) {
        // SAFETY: the caller upholds the trait's obligations; the assembly restores sp, x29
        // and x30 and follows AAPCS64 for the call.
        unsafe { tricolor_call_on_stack(arg, f, sp) }
    }

    fn new_entry(top: usize, entry: extern "C" fn(usize) -> !, arg: usize) -> Context {
        if !(top % 16 == 0) {
            crate::throw!("runtime: stack top {top:#x} is not 16-byte aligned");
        }
        let mut regs = [0usize; 12];
        regs[0] = arg; // x19
        regs[1] = entry as *const () as usize; // x20
        regs[11] = tricolor_trampoline as *const () as usize; // x30: `ret` jumps here
        Context { sp: top, regs, fregs: [0; 8] }
    }

    fn sp(ctx: &Context) -> usize {
        ctx.sp
    }

    fn words(ctx: &Context) -> &[usize] {
        &ctx.regs
    }
}
