//! Access to stopped goroutines for the collector: every goroutine's stack bounds, saved stack
//! pointer and saved callee-saved registers (DESIGN decision 1).
//!
//! A goroutine is read only while its scan bit is held (`Goroutine::try_suspend`), which freezes
//! it in Runnable, Waiting or Syscall (reference §5, invariants 14-15): the bit is taken by a
//! CAS from the observed status and never waits for the goroutine, so a concurrent wake-up just
//! makes the attempt retry. A running goroutine must first be stopped at a safepoint; during a
//! stop-the-world every goroutine but the stopper is stopped.

use crate::arch::{Arch, Cpu};
use crate::g::status::{GStatus, ScanAttempt};
use crate::g::G;
use crate::sched::sched;

/// Bytes of parked goroutines' stacks returned to the OS by `SuspendedG::release_unused_stack`,
/// ever (statistics; std atomic like the other counters).
static STACK_RELEASED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Bytes of goroutine stacks released below parked goroutines' stack pointers, ever
/// (`SuspendedG::release_unused_stack`).
pub fn stack_released_bytes() -> u64 {
    // Relaxed: a statistic.
    STACK_RELEASED.load(std::sync::atomic::Ordering::Relaxed)
}

/// A goroutine record (live or dead), as seen by a scanner.
#[derive(Clone, Copy, Debug)]
pub struct Goroutine(&'static G);

/// What `try_suspend` found.
#[derive(Debug)]
pub enum Suspend {
    /// Frozen for scanning until the value is dropped.
    Stopped(SuspendedG),
    /// Running: stop it at a safepoint (or stop the world) first.
    Running,
    /// Dead or never started: nothing to scan.
    Dead,
    /// The status changed under us, or another scanner holds it: try again.
    Retry,
}

/// A goroutine frozen by its scan bit. Dropping it lets the goroutine run again.
#[derive(Debug)]
pub struct SuspendedG {
    g: &'static G,
    status: GStatus,
}

/// Every goroutine record ever created (dead ones included; they report `Dead`).
pub fn all_goroutines() -> Vec<Goroutine> {
    sched().allgs.lock().iter().map(|g| Goroutine(g)).collect()
}

/// Runs `f` with the current goroutine's live stack: its callee-saved registers (spilled here;
/// the compiler has already spilled the caller-saved ones around this call), the stack pointer
/// and the top of its stack. Everything the caller's frames reference is in `[sp, hi)` or in
/// `regs`. Used by the stop-the-world caller to scan itself.
///
/// # Panics
/// Off a goroutine.
#[inline(never)]
pub fn with_current_stack<R>(f: impl FnOnce(&[usize], usize, usize) -> R) -> R {
    let (m, g) = crate::sched::park::expect_goroutine("scan::with_current_stack");
    let mut ctx = crate::arch::Context::default();
    if crate::sched::system_stack::on_system_stack_now(m) {
        // On the system stack: the goroutine's frames are those above where it left its
        // stack. SAFETY: own thread's M, valid while `on_sys`.
        ctx = m.sys_ctx.with(|c| unsafe { *c });
    } else {
        // SAFETY: `ctx` is a local; capture only writes into it.
        unsafe { Cpu::capture(&mut ctx) };
    }
    let r = f(Cpu::words(&ctx), Cpu::sp(&ctx), g.stack.hi());
    std::hint::black_box(&ctx);
    r
}

/// Reports the address and size of every finished goroutine's result that has not been joined
/// yet (it may hold heap pointers; scan it conservatively). Call with the world stopped.
///
/// # Panics
/// If the world is not stopped by the caller.
pub fn for_each_unjoined_result(w: &crate::WorldStopped, mut f: impl FnMut(usize, usize)) {
    let _ = w;
    for p in crate::sched::sched().allp.iter() {
        // The world is stopped: every P is GcStop (or the caller's own), owned by the caller.
        p.with_owned(|o| o.results.scan(&mut f));
    }
}

/// Every live channel's buffered values as address ranges to scan conservatively, each while
/// its channel's lock is held (`gsync/chan/buffers.rs` step 2); `chan_buffers_registered`
/// counts the channels. For the collector's root job: any thread; `f` must not park,
/// allocate or use a channel.
pub use crate::gsync::chan::buffers::{for_each_buffer as for_each_chan_buffer, registered as chan_buffers_registered};

/// The current goroutine's record, or `None` off a goroutine.
pub fn current_goroutine() -> Option<Goroutine> {
    crate::sched::park::current().map(|(_, g)| Goroutine(g))
}

/// Turns the safepoint's self-scan check on (`on = true`, while a marker has requests out) or
/// off. While on, every `safepoint()` takes its slow path once to look at its goroutine's
/// request.
pub fn set_scan_requests(on: bool) {
    let s = sched();
    if on {
        s.safepoint_pending.fetch_or(crate::sched::pending::SCAN, std::sync::atomic::Ordering::Release);
    } else {
        s.safepoint_pending.fetch_and(!crate::sched::pending::SCAN, std::sync::atomic::Ordering::Release);
    }
}

impl Goroutine {
    /// Claims the scan of this goroutine's stack for collection cycle `gen` (increasing):
    /// true for exactly one caller per cycle — a marker holding the scan bit, or the goroutine
    /// itself at a safepoint. AcqRel: the winner's scan is ordered after the previous cycle's.
    pub fn claim_scan(&self, gen: u64) -> bool {
        let mut cur = self.0.scan_gen.load(std::sync::atomic::Ordering::Acquire);
        loop {
            if cur >= gen {
                return false;
            }
            match self.0.scan_gen.compare_exchange_weak(cur, gen, std::sync::atomic::Ordering::AcqRel, std::sync::atomic::Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(v) => cur = v,
            }
        }
    }

    /// Whether this goroutine's stack was scanned for cycle `gen` (or a later one).
    pub fn scanned(&self, gen: u64) -> bool {
        self.0.scan_gen.load(std::sync::atomic::Ordering::Acquire) >= gen
    }

    /// Asks the goroutine (running) to scan its own stack at its next safepoint
    /// (`hooks::Collector::scan_own_stack`). Needs `set_scan_requests(true)` to be seen.
    pub fn request_self_scan(&self) {
        self.0.scan_request.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Asks the goroutine's thread, if it is running one, to look at its requests now (the
    /// preemption signal): a running goroutine asked to scan its own stack does so at its
    /// next async safe point even if it never polls a safepoint. Returns whether a signal was
    /// sent. A no-op with `asyncpreemptoff=1`.
    pub fn nudge(&self) -> bool {
        // SAFETY: Ms are never freed.
        let Some(m) = (unsafe { self.0.m.load(std::sync::atomic::Ordering::Acquire).as_ref() }) else { return false };
        m.curg().is_some_and(|g| std::ptr::eq(g, self.0)) && crate::preempt::signal::preempt_m(m)
    }

    /// Whether this is the goroutine calling.
    pub fn is_current(&self) -> bool {
        crate::sched::park::current().is_some_and(|(_, g)| std::ptr::eq(g, self.0))
    }

    /// The goroutine's current id.
    pub fn id(&self) -> u64 {
        self.0.goid()
    }

    /// Tries to freeze the goroutine for scanning.
    pub fn try_suspend(&self) -> Suspend {
        match self.0.status.try_scan() {
            ScanAttempt::Locked(status) => Suspend::Stopped(SuspendedG { g: self.0, status }),
            ScanAttempt::Running => Suspend::Running,
            ScanAttempt::Dead => Suspend::Dead,
            ScanAttempt::Retry => Suspend::Retry,
        }
    }
}

impl SuspendedG {
    /// The state it is frozen in.
    pub fn status(&self) -> GStatus {
        self.status
    }

    /// Lowest usable stack address.
    pub fn stack_lo(&self) -> usize {
        self.g.stack.lo()
    }

    /// Top of the stack (exclusive).
    pub fn stack_hi(&self) -> usize {
        self.g.stack.hi()
    }

    /// Saved stack pointer: the live part of the stack is `[sp, stack_hi)`. For a goroutine
    /// suspended in place by the preemption signal, the interrupted one less its red zone.
    pub fn sp(&self) -> usize {
        // Relaxed: published with the status the scan bit was taken from (Acquire).
        let a = self.g.async_sp.load(std::sync::atomic::Ordering::Relaxed);
        if a != 0 {
            return a;
        }
        // SAFETY: the scan bit freezes the G, so its saved context is stable.
        self.g.ctx.with(|c| Cpu::sp(unsafe { &*c }))
    }

    /// Saved registers, to be scanned conservatively with the stack: the callee-saved ones of
    /// a switched-out goroutine, every interrupted register of one suspended by the signal.
    pub fn regs(&self) -> Vec<usize> {
        if self.g.async_sp.load(std::sync::atomic::Ordering::Relaxed) != 0 {
            // SAFETY: as in `sp`; written before the status CAS that published them.
            return self.g.async_regs.with(|r| unsafe { (*r).to_vec() });
        }
        // SAFETY: as in `sp`.
        self.g.ctx.with(|c| Cpu::words(unsafe { &*c }).to_vec())
    }

    /// The goroutine's id.
    pub fn id(&self) -> u64 {
        self.g.goid()
    }

    /// For a goroutine that has not started yet: the bytes of its spawn packet (its closure
    /// and captures, on the system heap), to scan conservatively like a stack. `None` once it
    /// runs (the closure has moved onto its stack).
    pub fn pending_body(&self) -> Option<(usize, usize)> {
        self.g.entry.with(|e| {
            // SAFETY: the scan bit freezes the G; only its owner takes `entry`, which it cannot
            // do while frozen.
            let body = unsafe { (*e).as_ref() };
            body.map(|a| (std::sync::Arc::as_ptr(a) as *const u8 as usize, std::mem::size_of_val(&**a)))
        })
    }
}

impl SuspendedG {
    /// Returns the pages of the stack below the saved stack pointer that the goroutine
    /// touched to the OS (DESIGN decision 9; Go shrinks the stack here instead, reference §5.3
    /// `isShrinkStackSafe`). Only for a goroutine switched out in Waiting or Runnable: never one
    /// inside `blocking(..)` (Syscall: C code may use memory anywhere on the stack) or suspended
    /// in place by the preemption signal (its handler frames run below the interrupted SP).
    /// The scan bit, which we hold, keeps the goroutine from running until we are done, and
    /// nothing of a switched-out goroutine lives below its saved SP (the context switch pushes
    /// above it; a margin covers the red zone). Returns the bytes released.
    pub fn release_unused_stack(&self) -> usize {
        /// Below the saved SP: the red zone and then some.
        const MARGIN: usize = 512;
        /// Below the lowest recorded SP: leaf frames nobody recorded (see `clear_dead_stack`).
        const UNRECORDED: usize = 64 << 10;
        if !matches!(self.status, GStatus::Waiting | GStatus::Runnable) || self.g.async_sp.load(std::sync::atomic::Ordering::Relaxed) != 0 {
            return 0;
        }
        let page = crate::os::mem::page_size();
        let (lo, hi) = (self.g.stack.lo(), self.g.stack.hi());
        let sp = self.sp();
        if sp < lo || sp > hi {
            return 0;
        }
        let top = sp.saturating_sub(MARGIN) & !(page - 1);
        // Relaxed: the scan bit makes us the G's owner (the field's rule); the G's last write
        // is ordered before the status we took the bit from (Acquire).
        let low = self.g.low_sp.load(std::sync::atomic::Ordering::Relaxed).min(sp);
        let from = (low.saturating_sub(UNRECORDED).max(lo) & !(page - 1)).max(lo);
        if top <= from {
            return 0;
        }
        self.g.stack.release_range(from, top);
        // The exit's stack clearing starts at the release boundary: what is below reads as zero.
        self.g.low_sp.store(top, std::sync::atomic::Ordering::Relaxed);
        let n = top - from;
        // Relaxed: a statistic.
        STACK_RELEASED.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        n
    }
}

impl Drop for SuspendedG {
    fn drop(&mut self) {
        self.g.status.clear_scan();
    }
}
