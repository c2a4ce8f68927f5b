//! The system-call rescue (x86_64): a goroutine the preemption signal finds at a system call
//! instruction — inside the C library, std's futex waits, anything outside the runtime's
//! async safe points — is made to run that system call inside `blocking(..)`, so its P can be
//! retaken while the thread sleeps in the kernel.
//!
//! Why: a thread that sleeps in the kernel holding a P keeps it from everyone, and nothing
//! the runtime can do at a safepoint reaches it. With time slices by signal this became a
//! hang: goroutine A, suspended for its time slice while holding std's stderr lock, gave its
//! P to B, which blocked in `futex` on that lock holding the only P (two goroutines writing to
//! stderr on one proc hung in 3 runs of 3). It also let a goroutine blocked in a read it did
//! not wrap in `blocking(..)` hold up every stop-the-world for as long as the read lasted.
//!
//! How: when a request needs the goroutine's P (a stop, a `for_each_p` function, a time
//! slice, a stack scan) and the interrupted instruction is `syscall` (the kernel points the
//! saved RIP back at it, with RAX restored, when it restarts an interrupted call under
//! SA_RESTART; a signal that lands just before the instruction looks the same), the handler
//! copies the interrupted general-purpose registers into a frame below the red zone of the
//! goroutine's stack and returns into `tricolor_rescue_trampoline` instead. The trampoline
//! saves the x87/SSE state in the M (`fxsave`), calls `rescue_syscall`, which performs the
//! same system call inside `blocking_rescued` — no allocation, no migration — restores
//! everything and resumes after the `syscall` instruction with RAX the result, RCX the return
//! address and R11 the flags, as the instruction itself leaves them. The frame is on the
//! goroutine's stack above the point `blocking` captures, so a scanner sees the interrupted
//! registers while the call sleeps.
//!
//! Only calls that wait and touch neither the stack nor the threads are re-run (`rescuable`:
//! never `clone`, `fork`, `vfork` or `exit`). Not rescued either: calls the kernel does not
//! restart after a handler (`nanosleep`, timed futex
//! waits, `epoll_wait`: they return EINTR and the caller retries, rarely with the signal
//! landing on the instruction itself) — such a caller belongs in `blocking(..)`. aarch64 has
//! no rescue yet (`signal.rs` then keeps time slices cooperative).

use crate::m::M;
use std::arch::global_asm;

// libc's gregs indices (x86_64).
const R8: usize = libc::REG_R8 as usize;
const R9: usize = libc::REG_R9 as usize;
const R10: usize = libc::REG_R10 as usize;
const RDI: usize = libc::REG_RDI as usize;
const RSI: usize = libc::REG_RSI as usize;
const RDX: usize = libc::REG_RDX as usize;
const RAX: usize = libc::REG_RAX as usize;
const RCX: usize = libc::REG_RCX as usize;
const RSP: usize = libc::REG_RSP as usize;
const RIP: usize = libc::REG_RIP as usize;

/// The rescue frame: the interrupted gregs (libc's order), padded to 16 bytes.
type Frame = [usize; 24];

/// Bytes of goroutine stack the rescue needs below the frame (`blocking_rescued` and the
/// scheduler calls it makes).
const STACK_NEEDED: usize = 16 * 1024;

// The offsets below are libc's REG_* indices × 8 (R8=0 … RAX=13, RCX=14, RSP=15, RIP=16,
// EFL=17); `frame_offsets_match_libc` checks them.
global_asm!(
    ".text",
    ".global tricolor_rescue_trampoline",
    ".type tricolor_rescue_trampoline,@function",
    ".p2align 4",
    "tricolor_rescue_trampoline:",
    ".cfi_startproc",
    ".cfi_undefined rip",
    // rdi = frame (= rsp, 16-aligned), rsi = this M's fxsave area.
    "mov rbx, rsi",
    "fxsave64 [rbx]",
    "call {rescue}",
    "fxrstor64 [rbx]",
    "mov r8,  [rsp + 0]",
    "mov r9,  [rsp + 8]",
    "mov r10, [rsp + 16]",
    "mov r12, [rsp + 32]",
    "mov r13, [rsp + 40]",
    "mov r14, [rsp + 48]",
    "mov r15, [rsp + 56]",
    "mov rdi, [rsp + 64]",
    "mov rsi, [rsp + 72]",
    "mov rbp, [rsp + 80]",
    "mov rbx, [rsp + 88]",
    "mov rdx, [rsp + 96]",
    "mov rax, [rsp + 104]",
    // The flags, then R11 = flags and RCX = return address (what `syscall` leaves), then the
    // interrupted stack pointer, and on after the instruction.
    "push qword ptr [rsp + 136]",
    "popfq",
    "mov r11, [rsp + 136]",
    "mov rcx, [rsp + 128]",
    "mov rsp, [rsp + 120]",
    "jmp rcx",
    ".cfi_endproc",
    ".size tricolor_rescue_trampoline, .-tricolor_rescue_trampoline",
    rescue = sym rescue_syscall,
);

extern "C" {
    fn tricolor_rescue_trampoline();
}

/// Whether system call `nr` may be re-run from the rescue: calls that wait for something
/// (I/O, a futex, a child, a timeout) and touch neither the caller's stack nor its threads.
/// Never `clone`/`fork`/`vfork` (the child would return into the rescue's frames, on another
/// stack or sharing ours), `exit`, `rt_sigreturn`, or anything that changes the signal mask.
fn rescuable(nr: usize) -> bool {
    const WAITS: [libc::c_long; 36] = [
        libc::SYS_read,
        libc::SYS_write,
        libc::SYS_readv,
        libc::SYS_writev,
        libc::SYS_pread64,
        libc::SYS_pwrite64,
        libc::SYS_preadv,
        libc::SYS_pwritev,
        libc::SYS_futex,
        libc::SYS_wait4,
        libc::SYS_waitid,
        libc::SYS_accept,
        libc::SYS_accept4,
        libc::SYS_connect,
        libc::SYS_recvfrom,
        libc::SYS_sendto,
        libc::SYS_recvmsg,
        libc::SYS_sendmsg,
        libc::SYS_poll,
        libc::SYS_ppoll,
        libc::SYS_select,
        libc::SYS_pselect6,
        libc::SYS_epoll_wait,
        libc::SYS_epoll_pwait,
        libc::SYS_nanosleep,
        libc::SYS_clock_nanosleep,
        libc::SYS_flock,
        libc::SYS_fsync,
        libc::SYS_fdatasync,
        libc::SYS_open,
        libc::SYS_openat,
        libc::SYS_msgrcv,
        libc::SYS_msgsnd,
        libc::SYS_semop,
        libc::SYS_semtimedop,
        libc::SYS_sendfile,
    ];
    WAITS.iter().any(|&w| w as usize == nr)
}

/// Whether the instruction at `pc` is `syscall` (0f 05).
fn at_syscall(pc: usize) -> bool {
    // SAFETY: `pc` is the interrupted thread's next instruction, so it is mapped and readable
    // (executable mappings of this process are readable; a execute-only page would have
    // faulted the kernel's own restart logic first). Read as bytes, unaligned.
    unsafe { std::ptr::read_unaligned(pc as *const [u8; 2]) == [0x0f, 0x05] }
}

/// Redirects the interrupted thread into the trampoline if it stopped at a `syscall`
/// instruction with room on its goroutine stack `[lo, _)`. Returns whether it did.
///
/// # Safety
/// `uc` is the handler's ucontext for this thread; the thread runs a goroutine on its own
/// stack, holds a P, and is outside every no-preempt section (`signal::at_async_point`).
pub(crate) unsafe fn redirect(m: &M, uc: &mut libc::ucontext_t, lo: usize) -> bool {
    let g = &mut uc.uc_mcontext.gregs;
    let (pc, sp) = (g[RIP] as usize, g[RSP] as usize);
    if !at_syscall(pc) || !rescuable(g[RAX] as usize) {
        return false;
    }
    let frame = (sp - super::signal::RED_ZONE - std::mem::size_of::<Frame>()) & !15;
    if frame < lo + STACK_NEEDED {
        return false;
    }
    let f = frame as *mut Frame;
    // SAFETY: `frame` is on the goroutine's stack below the interrupted code's red zone, in
    // memory nothing live uses (the stack grows down from `sp`); 16-aligned, in bounds.
    unsafe {
        for (i, r) in g.iter().enumerate() {
            (*f)[i] = *r as usize;
        }
    }
    g[RDI] = frame as i64;
    g[RSI] = m.fx.get() as i64;
    g[RSP] = frame as i64;
    g[RIP] = tricolor_rescue_trampoline as *const () as usize as i64;
    super::signal::RESCUED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    true
}

/// The trampoline's call: the interrupted system call, inside `blocking_rescued`.
extern "C" fn rescue_syscall(f: *mut Frame) {
    // SAFETY: the trampoline passes the frame `redirect` wrote, on this goroutine's stack.
    let f = unsafe { &mut *f };
    let (nr, a) = (f[RAX], [f[RDI], f[RSI], f[RDX], f[R10], f[R8], f[R9]]);
    // SAFETY: the very system call the interrupted code was making, with its registers.
    let r = crate::blocking::blocking_rescued(|| unsafe { syscall6(nr, a) });
    f[RAX] = r;
    f[RIP] += 2;
    f[RCX] = f[RIP];
}

/// A raw system call: the kernel's return value in RAX (negative errno on failure).
///
/// # Safety
/// Whatever system call `nr` with these arguments requires.
unsafe fn syscall6(nr: usize, a: [usize; 6]) -> usize {
    let r: usize;
    // SAFETY: per the function's contract; `syscall` clobbers RCX and R11 only.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr => r,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3], in("r8") a[4], in("r9") a[5],
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    r
}

#[cfg(all(test, not(loom)))]
mod tests {
    #[test]
    fn frame_offsets_match_libc() {
        // The trampoline's hard-coded offsets.
        let want = [
            (libc::REG_R8, 0),
            (libc::REG_R9, 8),
            (libc::REG_R10, 16),
            (libc::REG_R11, 24),
            (libc::REG_R12, 32),
            (libc::REG_R15, 56),
            (libc::REG_RDI, 64),
            (libc::REG_RSI, 72),
            (libc::REG_RBP, 80),
            (libc::REG_RBX, 88),
            (libc::REG_RDX, 96),
            (libc::REG_RAX, 104),
            (libc::REG_RCX, 112),
            (libc::REG_RSP, 120),
            (libc::REG_RIP, 128),
            (libc::REG_EFL, 136),
        ];
        for (reg, off) in want {
            assert_eq!(reg as usize * 8, off, "gregs index {reg}");
        }
        assert_eq!(std::mem::size_of::<super::Frame>() % 16, 0);
    }

    #[test]
    fn only_waiting_calls_are_rescued() {
        for nr in [libc::SYS_read, libc::SYS_futex, libc::SYS_wait4] {
            assert!(super::rescuable(nr as usize), "{nr}");
        }
        for nr in [
            libc::SYS_clone,
            libc::SYS_clone3,
            libc::SYS_fork,
            libc::SYS_vfork,
            libc::SYS_exit,
            libc::SYS_rt_sigreturn,
            libc::SYS_rt_sigprocmask,
        ] {
            assert!(!super::rescuable(nr as usize), "{nr}");
        }
    }

    #[test]
    fn a_raw_syscall_returns_the_kernels_value() {
        // SAFETY: getpid takes no arguments.
        let pid = unsafe { super::syscall6(libc::SYS_getpid as usize, [0; 6]) };
        assert_eq!(pid, std::process::id() as usize);
        // SAFETY: close(-1) fails with EBADF and touches nothing.
        let r = unsafe { super::syscall6(libc::SYS_close as usize, [usize::MAX, 0, 0, 0, 0, 0]) };
        assert_eq!(r as isize, -(libc::EBADF as isize));
    }
}
