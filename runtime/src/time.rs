//! The runtime clock: monotonic nanoseconds (vDSO `clock_gettime`), as Go's `nanotime`.

/// Monotonic time in nanoseconds since an arbitrary origin.
#[inline]
pub(crate) fn nanotime() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// `now + d` in nanotime units, saturating.
pub(crate) fn deadline_after(d: std::time::Duration) -> i64 {
    nanotime().saturating_add(d.as_nanos().min(i64::MAX as u128) as i64)
}
