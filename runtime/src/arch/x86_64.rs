//! x86_64 System V context switch. Callee-saved: rsp, rbx, rbp, r12-r15, MXCSR and the x87
//! control word. The return address stays on the stack at `sp`, so `ret` resumes the context.

use super::Arch;

/// Saved callee-saved state. Layout is used by the assembly below.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Context {
    sp: usize,
    /// rbx, rbp, r12, r13, r14, r15
    regs: [usize; 6],
    /// MXCSR in the low 32 bits, x87 control word in bits 32..48.
    fpcsr: u64,
}

std::arch::global_asm!(
    ".text",
    ".global tricolor_switch",
    ".type tricolor_switch,@function",
    ".p2align 4",
    "tricolor_switch:",
    ".cfi_startproc",
    "mov [rdi + 0], rsp",
    "mov [rdi + 8], rbx",
    "mov [rdi + 16], rbp",
    "mov [rdi + 24], r12",
    "mov [rdi + 32], r13",
    "mov [rdi + 40], r14",
    "mov [rdi + 48], r15",
    "stmxcsr [rdi + 56]",
    "fnstcw [rdi + 60]",
    "mov rsp, [rsi + 0]",
    "mov rbx, [rsi + 8]",
    "mov rbp, [rsi + 16]",
    "mov r12, [rsi + 24]",
    "mov r13, [rsi + 32]",
    "mov r14, [rsi + 40]",
    "mov r15, [rsi + 48]",
    "ldmxcsr [rsi + 56]",
    "fldcw [rsi + 60]",
    "ret",
    ".cfi_endproc",
    ".size tricolor_switch, .-tricolor_switch",
    // Records the caller's stack pointer and callee-saved registers without switching (used
    // when a goroutine enters `blocking`: its caller's frames stay scannable).
    ".global tricolor_capture",
    ".type tricolor_capture,@function",
    ".p2align 4",
    "tricolor_capture:",
    ".cfi_startproc",
    "mov [rdi + 0], rsp",
    "mov [rdi + 8], rbx",
    "mov [rdi + 16], rbp",
    "mov [rdi + 24], r12",
    "mov [rdi + 32], r13",
    "mov [rdi + 40], r14",
    "mov [rdi + 48], r15",
    "stmxcsr [rdi + 56]",
    "fnstcw [rdi + 60]",
    "ret",
    ".cfi_endproc",
    ".size tricolor_capture, .-tricolor_capture",
    // First frame of every goroutine: rbx = argument, r12 = entry. The return-address column is
    // undefined, so unwinders and backtraces stop here instead of walking off the stack.
    ".global tricolor_trampoline",
    ".type tricolor_trampoline,@function",
    ".p2align 4",
    "tricolor_trampoline:",
    ".cfi_startproc",
    ".cfi_undefined rip",
    "mov rdi, rbx",
    "call r12",
    "ud2",
    ".cfi_endproc",
    ".size tricolor_trampoline, .-tricolor_trampoline",
    // tricolor_call_on_stack(arg = rdi, f = rsi, sp = rdx): calls f(arg) with rsp = sp, then
    // returns on the caller's stack. The frame is rbp-based so unwinders and backtraces walk
    // from f back onto the caller's stack.
    ".global tricolor_call_on_stack",
    ".type tricolor_call_on_stack,@function",
    ".p2align 4",
    "tricolor_call_on_stack:",
    ".cfi_startproc",
    "push rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset rbp, -16",
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    "mov rsp, rdx",
    "call rsi",
    "mov rsp, rbp",
    "pop rbp",
    ".cfi_def_cfa rsp, 8",
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

/// x86_64 Linux.
#[derive(Debug)]
pub(crate) struct Cpu;

impl Arch for Cpu {
    #[inline(always)]
    unsafe fn switch(save: *mut Context, load: *const Context) {
        // SAFETY: the caller upholds the trait's obligations 1-2; the assembly follows the C
        // ABI (saves what the callee must preserve, the compiler assumes the rest clobbered).
        unsafe { tricolor_switch(save, load) }
    }

    #[inline(always)]
    unsafe fn capture(save: *mut Context) {
        // SAFETY: writes only into `save`, which the caller guarantees valid.
        unsafe { tricolor_capture(save) }
    }

    #[inline(always)]
    unsafe fn call_on_stack(arg: usize, f: extern "C" fn(usize), sp: usize) {
        // SAFETY: the caller upholds the trait's obligations; the assembly restores rsp and
        // rbp and follows the C ABI for the call.
        unsafe { tricolor_call_on_stack(arg, f, sp) }
    }

    fn new_entry(top: usize, entry: extern "C" fn(usize) -> !, arg: usize) -> Context {
        if !(top.is_multiple_of(16)) {
            crate::throw!("runtime: stack top {top:#x} is not 16-byte aligned");
        }
        // Stack at `top`: [top-8] = 0, [top-16] = 0, [top-24] = trampoline. `ret` pops the
        // trampoline address leaving rsp = top-16 (16-aligned), so its `call` enters `entry`
        // with rsp = 8 mod 16, as the ABI requires.
        let sp = top - 24;
        // SAFETY: the three words below `top` belong to the fresh stack the caller owns.
        unsafe {
            *((top - 8) as *mut usize) = 0;
            *((top - 16) as *mut usize) = 0;
            *(sp as *mut usize) = tricolor_trampoline as *const () as usize;
        }
        Context {
            sp,
            regs: [arg, 0, entry as *const () as usize, 0, 0, 0],
            // MXCSR default 0x1F80 (all exceptions masked, round to nearest); x87 CW 0x037F.
            fpcsr: 0x1F80 | (0x037F << 32),
        }
    }

    fn sp(ctx: &Context) -> usize {
        ctx.sp
    }

    fn words(ctx: &Context) -> &[usize] {
        &ctx.regs
    }
}
