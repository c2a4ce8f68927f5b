//! Running runtime and collector work on the M's system stack (g0's native thread stack) instead
//! of the goroutine's own (Go's `systemstack`).
//!
//! Goroutine stacks are scanned conservatively, and a frame's padding and unused slots keep
//! whatever an earlier, deeper call left there. Mark work handles the address of every object
//! it scans: run on the goroutine's stack, those addresses stay below its stack pointer, the
//! next deep call's frames inherit them unwritten, and a scan of that goroutine then keeps dead
//! objects alive, cycle after cycle (the stale result test in `tests/stale_words.rs` caught an
//! object kept by an assist's frames 12 KiB deep). Go marks on the system stack for the same
//! reason (its assists and `markroot` run under `systemstack`); so do we.
//!
//! The work runs with preemption off and must not park, yield or switch goroutines (it would
//! save a context on a stack that is not the goroutine's): `mcall` aborts if it tries. The
//! goroutine cannot move to another M meanwhile, so the M's g0 stack below g0's saved stack
//! pointer is free for it (g0 is suspended in `execute` until the goroutine switches out).

use crate::arch::{Arch, Cpu};
use crate::preempt::NoPreempt;
use crate::sync::atomic::Ordering;

/// Room left below g0's saved stack pointer (its red zone and a margin).
const G0_MARGIN: usize = 256;

/// Runs `f` on the current M's system stack and returns its result; a panic in `f` resumes on
/// the goroutine's stack. Off a goroutine, or already on the system stack, runs `f` in place.
///
/// `f` runs with preemption disabled and must not park, yield, block in `blocking(..)` or
/// spawn-and-join: anything that switches goroutines aborts the process.
pub fn on_system_stack<F: FnOnce() -> R, R>(f: F) -> R {
    let Some((m, _g)) = crate::sched::park::current() else { return f() };
    // Relaxed: own thread.
    if m.on_sys.load(Ordering::Relaxed) {
        return f();
    }
    let np = NoPreempt::for_m(m);
    // SAFETY: this thread's M; `sys_ctx` is touched only by this thread. The capture records
    // this frame's stack pointer: every frame of the goroutine from here up stays live and
    // unchanged until we return.
    m.sys_ctx.with_mut(|c| unsafe { Cpu::capture(c) });
    // SAFETY: g0 saved its context in `execute` before switching to this goroutine and stays
    // suspended there while it runs (own thread).
    let g0_sp = m.g0.with(|c| Cpu::sp(unsafe { &*c }));
    let sp = (g0_sp - G0_MARGIN) & !15;
    // The deepest no-preempt section is about the goroutine's stack; g0's do not count.
    let low = m.low_sp.load(Ordering::Relaxed);
    m.on_sys.store(true, Ordering::Relaxed);
    let mut state: State<F, R> = State { f: Some(f), result: None };
    // SAFETY: `sp` is 16-byte aligned and below every live frame of g0, whose stack nothing
    // else uses while this goroutine runs on the M (obligation 1); `trampoline` catches
    // panics and `f` cannot switch contexts (`mcall` aborts on the system stack) (2).
    unsafe { Cpu::call_on_stack(&mut state as *mut State<F, R> as usize, trampoline::<F, R>, sp) };
    m.on_sys.store(false, Ordering::Relaxed);
    m.low_sp.store(low, Ordering::Relaxed);
    drop(np);
    match state.result {
        Some(Ok(r)) => r,
        Some(Err(p)) => std::panic::resume_unwind(p),
        None => crate::throw!("runtime: on_system_stack: the function did not run"),
    }
}

/// Whether the calling goroutine is running on its M's system stack.
pub(crate) fn on_system_stack_now(m: &crate::m::M) -> bool {
    // Relaxed: own thread.
    m.on_sys.load(Ordering::Relaxed)
}

struct State<F, R> {
    f: Option<F>,
    result: Option<std::thread::Result<R>>,
}

extern "C" fn trampoline<F: FnOnce() -> R, R>(arg: usize) {
    // SAFETY: `arg` is the `State` in `on_system_stack`'s frame, alive until the call returns
    // and used by nobody else meanwhile.
    let state = unsafe { &mut *(arg as *mut State<F, R>) };
    if let Some(f) = state.f.take() {
        state.result = Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    }
}
