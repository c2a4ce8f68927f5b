//! The only callers of the raw OS primitives (mmap, futex, sigaction), each wrapped in a safe
//! type (STYLE 16, 18). Linux only: other targets fail at build time in `lib.rs`.

pub(crate) mod mem;
pub(crate) mod note;
pub(crate) mod signal;

/// Makes this thread's timed sleeps end on time: Linux lets a normal thread's timer expire up
/// to 50 µs late by default ("timer slack"), which turned the stopper's 30 µs wait before
/// signalling into ~80 µs and sysmon's 20 µs rounds into 70 µs. Called by every M and sysmon.
pub(crate) fn tight_timers() {
    // SAFETY: PR_SET_TIMERSLACK takes a value and touches only this thread's attribute.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
}
