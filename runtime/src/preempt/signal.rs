//! Signal-based (asynchronous) preemption (reference §7.2, DESIGN decisions 5, 6 and 8).
#![allow(clippy::disallowed_methods)] // signal plumbing: the helpers the ban points to
//!
//! A request to a goroutine that has not reached a safepoint is a signal (SIGURG) to its M's
//! thread, coalesced to one pending signal per M (`M::signal_pending`, Go's issue 37741). The
//! handler runs on the M's alternate signal stack and first decides whether the interrupted
//! point is an *async safe point*: the thread runs a goroutine (not g0, not the system stack),
//! outside every no-preempt section (allocation, barrier, work buffers, timers, every runtime
//! lock: decision 5), holds a P, its stack pointer is on the goroutine's stack, and its program
//! counter is in this binary's own code but not in its async-unsafe section (`unsafe_points.rs`:
//! the write barrier's check and store) — never inside the C library, whose allocator and locks
//! the stopper may need (decision 6's rule: while a thread is suspended, nobody may wait on a
//! lock it could hold; no suspended thread is ever inside `malloc`). Anywhere else the handler
//! returns at once: the request stays in its flags, honoured at the next safepoint, and the
//! requester re-signals every 100 µs.
//!
//! At an async safe point the handler does what a safepoint would, without switching
//! goroutines (decision 6: Rust code cannot be resumed on another thread):
//! 1. a marker's request to scan this stack: scanned from the signal frame's general-purpose
//!    registers (`ASYNC_WORDS` says why not the vector ones) and from below the interrupted
//!    stack pointer's red zone (x86_64 keeps 128 live bytes below SP);
//! 2. a pending `for_each_p` function for its P;
//! 3. a stop-the-world: the goroutine is suspended in place — its registers and stack pointer
//!    published for scanners, its status `Syscall` so a scanner can take its scan bit, its P
//!    counted as stopped (still owned by this M: `P::async_m`) — and the thread sleeps on its
//!    note until `start_world` hands the P back, then resumes exactly where it was;
//! 4. the end of a time slice (sysmon set `G::preempt`): suspended the same way, but the P is
//!    given away (`suspend_for_slice`, ARCHITECTURE decision 46) and the thread waits on
//!    `Locked::pwait` until a P is handed to it — then 2-4 again for that P.
//!
//! Outside an async safe point, at a `syscall` instruction, a request that needs the P diverts
//! the thread into the system-call rescue (`rescue.rs`, x86_64): the call is re-run inside
//! `blocking(..)`.
//!
//! The handler may take the scheduler lock: every runtime and collector lock holds a no-preempt
//! section (`sync/np_mutex.rs`), so the interrupted code holds none, and no holder is ever
//! suspended (it finishes its section and releases).
//!
//! `TRICOLOR_DEBUG=asyncpreemptoff=1` sends no signals (cooperative preemption only).
//!
//! A suspension for a stop keeps its P: nothing runs until the restart, which hands it back
//! at once. One for a time slice gives it away at once.

use crate::g::status::GStatus;
use crate::g::G;
use crate::m::{current_m_raw, M};
use crate::p::{PStatus, P};
use crate::sched::{sched, Sched};
use crate::sync::atomic::Ordering;
use std::sync::OnceLock;

/// The preemption signal.
pub(crate) const SIGPREEMPT: libc::c_int = libc::SIGURG;

/// Bytes below the interrupted stack pointer the interrupted code may still use (the System V
/// x86_64 red zone; aarch64 has none).
#[cfg(target_arch = "x86_64")]
pub(crate) const RED_ZONE: usize = 128;
#[cfg(target_arch = "aarch64")]
pub(crate) const RED_ZONE: usize = 0;

/// Words of interrupted register state a scanner sees: the general-purpose registers (x86_64:
/// the 23 gregs of the signal frame; aarch64: x0-x30, sp, pc). Not the vector registers,
/// though Go scans them: LLVM moves pointers through XMM only inside copies whose source stays
/// in memory, while a vector register keeps stale contents indefinitely in integer code, and
/// scanning it kept a dead object alive through every cycle (cleanup's `add.rs`
/// `interior_pointers_and_large_objects`, 5 runs in 6, while a panicking test's backtrace
/// symbolisation was signalled over and over).
#[cfg(target_arch = "x86_64")]
pub(crate) const ASYNC_WORDS: usize = 23;
#[cfg(target_arch = "aarch64")]
pub(crate) const ASYNC_WORDS: usize = 33;

struct Installed {
    prev: libc::sigaction,
    /// This binary's executable mappings, `[lo, hi)`: where an interrupted PC is safe.
    text: Vec<(usize, usize)>,
}

// SAFETY: plain data written once before the handler is installed; read-only afterwards.
unsafe impl Sync for Installed {}
// SAFETY: as above.
unsafe impl Send for Installed {}

static INSTALLED: OnceLock<Installed> = OnceLock::new();
// Process-wide words the signal handler reads: std atomics (const-constructible), outside the
// loom façade like `debug/trace.rs`'s; the handler's protocol is exercised by the seed 004
// tests, not by a loom model (loom cannot deliver signals).
/// Whether signals are sent at all (set once at installation).
static ENABLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// Signals sent and goroutines suspended in place (statistics).
pub(crate) static SENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
pub(crate) static SUSPENDED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// System calls rescued into `blocking` (statistics; `rescue.rs`).
pub(crate) static RESCUED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Goroutines suspended for a time slice (statistics).
pub(crate) static SLICED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Installs the handler once per process (with the scheduler).
pub(crate) fn install() {
    INSTALLED.get_or_init(|| {
        let text = own_text();
        let off = crate::debug::debug_var("asyncpreemptoff").unwrap_or(0) > 0;
        // SAFETY: sigaction with a fully initialised struct; the handler is async-signal-safe
        // (no allocation, no locks but a try-lock, futex sleeps).
        let prev = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            let mut prev: libc::sigaction = std::mem::zeroed();
            libc::sigaction(SIGPREEMPT, &sa, &mut prev);
            prev
        };
        ENABLED.store(!off && !text.is_empty(), Ordering::Relaxed);
        Installed { prev, text }
    });
}

/// The executable mappings of the object holding this code (the binary, or the shared
/// library Tricolor is linked into), from `/proc/self/maps`.
fn own_text() -> Vec<(usize, usize)> {
    let me = on_signal as *const () as usize;
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else { return Vec::new() };
    let parse = |l: &str| -> Option<(usize, usize, String, String)> {
        let mut it = l.split_whitespace();
        let (lo, hi) = it.next()?.split_once('-')?;
        let perms = it.next()?.to_string();
        let path = it.nth(3).unwrap_or("").to_string();
        Some((usize::from_str_radix(lo, 16).ok()?, usize::from_str_radix(hi, 16).ok()?, perms, path))
    };
    let lines: Vec<_> = maps.lines().filter_map(parse).collect();
    let Some(path) = lines.iter().find(|(lo, hi, _, _)| (*lo..*hi).contains(&me)).map(|l| l.3.clone()) else { return Vec::new() };
    if path.is_empty() {
        return Vec::new();
    }
    lines.into_iter().filter(|(_, _, perms, p)| *p == path && perms.contains('x')).map(|(lo, hi, _, _)| (lo, hi)).collect()
}

fn in_own_text(pc: usize) -> bool {
    INSTALLED.get().is_some_and(|i| i.text.iter().any(|&(lo, hi)| pc >= lo && pc < hi))
}

/// Asks M `m`'s thread to stop at an async safe point (coalesced: at most one signal in
/// flight per M). Returns whether a signal was sent.
pub(crate) fn preempt_m(m: &M) -> bool {
    if !ENABLED.load(Ordering::Relaxed) {
        return false;
    }
    let tid = m.tid.load(Ordering::Relaxed);
    if tid == 0 {
        return false;
    }
    // Acquire/Release pair with the handler's clear: one signal per M until it is handled.
    if m.signal_pending.swap(true, Ordering::AcqRel) {
        return false;
    }
    SENT.fetch_add(1, Ordering::Relaxed);
    // SAFETY: tgkill to a thread of this process that never exits (Ms live forever).
    unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, SIGPREEMPT) };
    true
}

/// Signals the Ms of every P that runs a goroutine (the stopper's re-send every 100 µs).
pub(crate) fn preempt_running(s: &Sched, except: *const M) {
    preempt_where(s, except, |_| true);
}

/// Signals at once the Ms whose goroutine has not switched since the last stop or ragged
/// barrier began — one that stopped at a safepoint went through the scheduler and moved its P's
/// `schedtick` — so a goroutine that never polls does not cost every stop the grace period
/// polling goroutines get (`stw.rs`, `FIRST_SIGNAL`). Records every running P's tick for the
/// next stop. Caller holds `worldsema`.
pub(crate) fn preempt_unswitched(s: &Sched, except: *const M) {
    preempt_where(s, except, |p| {
        // Relaxed: racy snapshots; a wrong guess costs one early signal or one grace period.
        let tick = p.schedtick.load(Ordering::Relaxed);
        p.stop_tick.swap(tick, Ordering::Relaxed) == tick
    });
}

/// Signals the M of every running P for which `pick` says so, except `except`.
fn preempt_where(s: &Sched, except: *const M, pick: impl Fn(&P) -> bool) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    for p in s.allp.iter() {
        if p.status() != PStatus::Running || !pick(p) {
            continue;
        }
        // SAFETY: Ms are never freed.
        if let Some(m) = unsafe { p.m.load(Ordering::Acquire).as_ref() } {
            if !std::ptr::eq(m, except) && m.curg().is_some() {
                preempt_m(m);
            }
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    // SAFETY: errno is this thread's; the interrupted code must find it unchanged.
    let errno = unsafe { *libc::__errno_location() };
    let m = current_m_raw();
    if !m.is_null() {
        // SAFETY: Ms are never freed.
        let m = unsafe { &*m };
        m.signal_pending.store(false, Ordering::Release);
        if ENABLED.load(Ordering::Relaxed) {
            // SAFETY: the kernel passes a valid ucontext for SA_SIGINFO handlers, ours to
            // modify (the thread resumes from it).
            unsafe { at_async_point(m, &mut *(uctx as *mut libc::ucontext_t)) };
        }
    }
    chain(sig, info, uctx);
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// Passes the signal to the handler the program had installed, if any (SIGURG is also the
/// signal for out-of-band socket data).
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    let Some(i) = INSTALLED.get() else { return };
    let h = i.prev.sa_sigaction;
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        return;
    }
    if i.prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: installed with SA_SIGINFO, so it has this signature.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = unsafe { std::mem::transmute(h) };
        f(sig, info, uctx);
    } else {
        // SAFETY: a plain handler takes the signal number.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(h) };
        f(sig);
    }
}

/// The interrupted program counter, stack pointer and register words.
#[cfg(target_arch = "x86_64")]
fn frame(uc: &libc::ucontext_t, out: &mut [usize; ASYNC_WORDS]) -> (usize, usize) {
    let g = &uc.uc_mcontext.gregs;
    for (o, r) in out.iter_mut().zip(g.iter()) {
        *o = *r as usize;
    }
    (g[libc::REG_RIP as usize] as usize, g[libc::REG_RSP as usize] as usize)
}

#[cfg(target_arch = "aarch64")]
fn frame(uc: &libc::ucontext_t, out: &mut [usize; ASYNC_WORDS]) -> (usize, usize) {
    let mc = &uc.uc_mcontext;
    for (o, r) in out.iter_mut().zip(mc.regs.iter()) {
        *o = *r as usize;
    }
    out[31] = mc.sp as usize;
    out[32] = mc.pc as usize;
    (mc.pc as usize, mc.sp as usize)
}

/// Steps 1-4 of the module docs when the interrupted point is an async safe point; the
/// system-call rescue when it is a `syscall` instruction elsewhere (`rescue.rs`).
fn at_async_point(m: &'static M, uc: &mut libc::ucontext_t) {
    let Some(g) = m.curg() else { return };
    if m.locks.load(Ordering::Relaxed) > 0 || m.on_sys.load(Ordering::Relaxed) {
        return;
    }
    let Some(p) = m.p() else { return };
    let mut regs = [0usize; ASYNC_WORDS];
    let (pc, sp) = frame(uc, &mut regs);
    if sp < g.stack.lo() + RED_ZONE + 1024 || sp >= g.stack.hi() {
        return;
    }
    let s = sched();
    if std::ptr::eq(s.stw_owner.load(Ordering::Relaxed), m) {
        return;
    }
    if super::unsafe_points::contains(pc) {
        return; // a barrier and its store (`unsafe_points.rs`): the request is re-sent
    }
    if !in_own_text(pc) {
        // Relaxed: requests are re-sent; a stale read waits for the next signal.
        let wanted = s.gcwaiting.load(Ordering::Relaxed)
            || p.run_safe_point_fn.load(Ordering::Relaxed) != 0
            || g.preempt.load(Ordering::Relaxed)
            || g.scan_request.load(Ordering::Relaxed);
        #[cfg(target_arch = "x86_64")]
        if wanted {
            // SAFETY: the conditions checked above are `redirect`'s contract.
            unsafe { super::rescue::redirect(m, uc, g.stack.lo()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = wanted;
        return;
    }
    // The handler is a no-preempt section of its own: a nested signal returns at once. (Not
    // `NoPreempt`, which records the stack depth for exit clearing: this is the signal stack.)
    let n = m.locks.load(Ordering::Relaxed);
    m.locks.store(n + 1, Ordering::Relaxed);
    // The locks below raise no-preempt sections that record this (signal) stack's depth as the
    // goroutine's (`M::low_sp`, for its exit's stack clearing): restored on the way out, as
    // `on_system_stack` does. Own thread's word (Relaxed).
    let low_sp = m.low_sp.load(Ordering::Relaxed);
    let live_sp = sp - RED_ZONE;
    // 1. A marker asked for this stack.
    // Relaxed: the marker re-sends its request until the claim shows the scan.
    if g.scan_request.load(Ordering::Relaxed) && g.scan_request.swap(false, Ordering::Relaxed) {
        crate::hooks::scan_own_stack_at(&regs, live_sp, g.stack.hi());
    }
    // 2-4 take the scheduler lock (module docs: the interrupted code holds no lock). A
    // time-slice suspension may resume on another P, which may have requests of its own.
    let mut p = p;
    loop {
        if p.run_safe_point_fn.load(Ordering::Acquire) != 0 {
            crate::stw::run_safe_point_fn(s, p);
        }
        if s.gcwaiting.load(Ordering::Acquire) {
            suspend_for_stop(s, m, g, p, &regs, live_sp);
        }
        // Relaxed: set by sysmon for this goroutine; a stale read waits for the next signal.
        // Only where the system-call rescue exists: without it a goroutine that gave up its P
        // while holding a std lock could wait forever behind one blocked on that lock.
        if !cfg!(target_arch = "x86_64") || !g.preempt.load(Ordering::Relaxed) {
            break;
        }
        match suspend_for_slice(s, m, g, p, &regs, live_sp) {
            Some(next) => p = next,
            None => break,
        }
    }
    m.low_sp.store(low_sp, Ordering::Relaxed);
    m.locks.store(n, Ordering::Relaxed);
}

/// Publishes the interrupted context for scanners and makes the goroutine `Syscall` (a
/// scanner may then take its scan bit). Caller holds the scheduler lock.
fn publish_suspended(g: &'static G, regs: &[usize; ASYNC_WORDS], live_sp: usize) {
    // The context scanners read (`scan::SuspendedG`), published by the status CAS's Release.
    // SAFETY: the running G's own fields; no scanner reads them until the CAS.
    g.async_regs.with_mut(|r| unsafe { *r = *regs });
    g.async_sp.store(live_sp, Ordering::Relaxed);
    g.status.cas(GStatus::Running, GStatus::Syscall);
}

/// Back from a suspension: waits (yielding the CPU) while a scanner holds the scan bit.
fn resume_suspended(g: &'static G) {
    g.status.cas(GStatus::Syscall, GStatus::Running);
    g.async_sp.store(0, Ordering::Relaxed);
}

/// Step 4: sysmon asked this goroutine to give up its P (its time slice is over and others
/// wait), and it has not reached a safepoint. It gives the P up — to the oldest goroutine
/// suspended the same way if nothing else waits for the P, else to sysmon, which starts an M
/// on it (thread creation is not for a signal handler) — queues its own M on `pwait`, and sleeps
/// until a P is handed to it (`idle::hand_to_waiter`: any P that goes idle, or a P whose
/// scheduler looks at the global queue). Returns the P it resumes on; None if it kept its P.
fn suspend_for_slice(
    s: &Sched,
    m: &'static M,
    g: &'static G,
    p: &'static P,
    regs: &[usize; ASYNC_WORDS],
    live_sp: usize,
) -> Option<&'static P> {
    {
        let mut l = s.lock.lock();
        // Relaxed: see the caller.
        g.preempt.store(false, Ordering::Relaxed);
        if s.gcwaiting.load(Ordering::Acquire) || p.status() != PStatus::Running || p.run_safe_point_fn.load(Ordering::Acquire) != 0 {
            return None;
        }
        publish_suspended(g, regs, live_sp);
        crate::sched::idle::releasep(m);
        // Anything only a scheduling pass on the P serves — its queue, the global one, its
        // due timers, a mark worker — goes through sysmon's M; a P straight to the next
        // suspended goroutine would run none of it (a sleeper beside two compute loops on one
        // proc never woke).
        let pass_needed = !p.runq.is_empty()
            || s.runq_size.load(Ordering::Relaxed) > 0
            || p.timers.next_when().is_some_and(|w| w <= crate::time::nanotime())
            || s.gc_workers_on.load(Ordering::Relaxed);
        if pass_needed || !crate::sched::idle::hand_to_waiter(s, &mut l, p) {
            // Release: sysmon's Acquire of the flag, then its status CAS, take the P.
            p.slice_handoff.store(true, Ordering::Release);
            p.set_status(PStatus::Syscall);
        }
        crate::sched::idle::pwait_enqueue(s, &mut l, m);
    }
    crate::sysmon::kick(s);
    SLICED.fetch_add(1, Ordering::Relaxed);
    let next = crate::sched::idle::pwait_sleep(m);
    resume_suspended(g);
    Some(next)
}

/// Step 3: suspended in place until the world restarts.
fn suspend_for_stop(s: &Sched, m: &'static M, g: &'static G, p: &'static P, regs: &[usize; ASYNC_WORDS], live_sp: usize) {
    {
        let mut l = s.lock.lock();
        if !s.gcwaiting.load(Ordering::Acquire) || p.status() != PStatus::Running {
            return;
        }
        publish_suspended(g, regs, live_sp);
        m.async_note.clear();
        p.async_m.store(m as *const M as *mut M, Ordering::Relaxed);
        p.set_status(PStatus::GcStop);
        l.stopwait -= 1;
        if l.stopwait == 0 {
            s.stopnote.wakeup();
        }
    }
    SUSPENDED.fetch_add(1, Ordering::Relaxed);
    // `start_world` gives the P back and wakes us.
    m.async_note.sleep();
    resume_suspended(g);
}
