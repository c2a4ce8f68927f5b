//! Signals: the SIGSEGV/SIGBUS handler that turns a goroutine guard-page hit into
#![allow(clippy::disallowed_methods)] // this module is the helper the ban points to
//! `goroutine N stack overflow (stack size X)` instead of a bare segfault, the per-M alternate
//! signal stack it runs on, and `fatal` for unrecoverable runtime errors.
//!
//! The handler is async-signal-safe: it reads the current M through a const-initialised
//! thread-local, formats into a stack buffer, and writes with `write(2)`. Faults that are not a
//! goroutine guard hit go to the previously installed handler (std's, which reports main-thread
//! overflows), or to the default action.

use crate::m::current_m_raw;
use crate::os::mem::{page_size, Mapping};
use crate::sync::atomic::Ordering;
use std::sync::OnceLock;

struct Prev {
    segv: libc::sigaction,
    bus: libc::sigaction,
}

// SAFETY: plain data copied out of the kernel; read-only after installation.
unsafe impl Sync for Prev {}
// SAFETY: as above.
unsafe impl Send for Prev {}

static PREV: OnceLock<Prev> = OnceLock::new();

/// Installs the stack-overflow handler once per process.
pub(crate) fn install_overflow_handler() {
    PREV.get_or_init(|| {
        // SAFETY: sigaction with a fully initialised struct; the handler is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_fault as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut sa.sa_mask);
            let mut segv: libc::sigaction = std::mem::zeroed();
            let mut bus: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGSEGV, &sa, &mut segv);
            libc::sigaction(libc::SIGBUS, &sa, &mut bus);
            Prev { segv, bus }
        }
    });
    ensure_altstack();
}

/// Size of an M's alternate signal stack: the preemption handler scans the interrupted stack
/// and runs `for_each_p` functions there (debug builds' frames are large). Reserved, committed
/// by use.
const ALTSTACK: usize = 256 * 1024;

/// Gives the calling thread an alternate signal stack of `ALTSTACK` bytes unless it has one
/// at least that large (Ms run the fault handler on it, since the faulting goroutine stack has
/// no room left, and the preemption handler). std gives its threads a small one: replaced.
pub(crate) fn ensure_altstack() {
    // SAFETY: querying the current alternate stack into a zeroed struct.
    let mut old: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::sigaltstack(std::ptr::null(), &mut old) };
    if old.ss_flags & libc::SS_DISABLE == 0 && old.ss_size >= ALTSTACK {
        return;
    }
    let size = ALTSTACK;
    let Ok(map) = Mapping::reserve(size + page_size(), false) else { return };
    if map.protect_none(0, page_size()).is_err() {
        return;
    }
    let st = libc::stack_t { ss_sp: (map.base() + page_size()) as *mut libc::c_void, ss_flags: 0, ss_size: size };
    // SAFETY: the stack memory is leaked below, so it outlives the thread.
    unsafe { libc::sigaltstack(&st, std::ptr::null_mut()) };
    std::mem::forget(map);
}

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    let m = current_m_raw();
    if !m.is_null() {
        // SAFETY: Ms and Gs are never freed; the fields read are atomics or immutable.
        let g = unsafe { (*m).curg.load(Ordering::Relaxed) };
        if !g.is_null() {
            // SAFETY: as above.
            let g = unsafe { &*g };
            let (glo, ghi) = g.stack.guard_range();
            if addr >= glo && addr < ghi {
                let mut buf = Buf::new();
                buf.push(b"goroutine ");
                buf.num(g.goid() as usize);
                buf.push(b" stack overflow (stack size ");
                buf.num(g.stack.size());
                buf.push(b")\n");
                write_stderr(buf.as_bytes());
                // SAFETY: abort has no preconditions.
                unsafe { libc::abort() };
            }
        }
    }
    chain(sig, info, uctx);
}

fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    let prev = PREV.get().map(|p| if sig == libc::SIGBUS { p.bus } else { p.segv });
    if let Some(prev) = prev {
        let h = prev.sa_sigaction;
        if h != libc::SIG_DFL && h != libc::SIG_IGN {
            if prev.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: the previous handler was installed with SA_SIGINFO, so it has this
                // signature; we pass the kernel's arguments through.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = unsafe { std::mem::transmute(h) };
                f(sig, info, uctx);
            } else {
                // SAFETY: a plain handler takes the signal number.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(h) };
                f(sig);
            }
            return;
        }
    }
    // Default action: restore it and return; the faulting instruction re-executes and the
    // kernel terminates the process with the original signal.
    // SAFETY: resetting a signal's disposition to its default.
    unsafe { libc::signal(sig, libc::SIG_DFL) };
}

/// Prints `fatal error: msg` and aborts. Safe in signal handlers and on any stack.
pub(crate) fn fatal(msg: &str) -> ! {
    write_stderr(b"fatal error: ");
    write_stderr(msg.as_bytes());
    write_stderr(b"\n");
    // SAFETY: abort has no preconditions.
    unsafe { libc::abort() }
}

/// Writes to fd 2 directly: no std lock (a goroutine suspended in place may hold stderr's),
/// and no test-harness output capture.
pub(crate) fn write_stderr(mut b: &[u8]) {
    while !b.is_empty() {
        // SAFETY: write(2) from a valid buffer; async-signal-safe.
        let n = unsafe { libc::write(2, b.as_ptr().cast(), b.len()) };
        if n > 0 {
            b = &b[n as usize..];
        // SAFETY: this thread's errno.
        } else if n < 0 && unsafe { *libc::__errno_location() } == libc::EINTR {
            continue;
        } else {
            return; // diagnostics: give up on a broken stderr
        }
    }
}

/// A fixed buffer for formatting without allocation.
struct Buf {
    b: [u8; 160],
    n: usize,
}

impl Buf {
    fn new() -> Buf {
        Buf { b: [0; 160], n: 0 }
    }
    fn push(&mut self, s: &[u8]) {
        let k = s.len().min(self.b.len() - self.n);
        self.b[self.n..self.n + k].copy_from_slice(&s[..k]);
        self.n += k;
    }
    fn num(&mut self, mut v: usize) {
        let mut d = [0u8; 20];
        let mut i = d.len();
        loop {
            i -= 1;
            d[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push(&d[i..]);
    }
    fn as_bytes(&self) -> &[u8] {
        &self.b[..self.n]
    }
}
