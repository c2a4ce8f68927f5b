//! A fixed ring of scheduler events for post-mortem debugging of lost wake-ups and hangs.
//! Recording is off unless `TRICOLOR_DEBUG` contains `schedtrace_ring=1` (checked once);
//! `sched_dump` prints the ring's tail. Lock-free: one atomic index, racy slots.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

const N: usize = 4096;

static ON: OnceLock<bool> = OnceLock::new();
static NEXT: AtomicUsize = AtomicUsize::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const Z: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ROW: [AtomicU64; 4] = [Z, Z, Z, Z];
static RING: [[AtomicU64; 4]; N] = [ROW; N];
static CHECKED: AtomicBool = AtomicBool::new(false);

#[inline]
pub(crate) fn enabled() -> bool {
    if !CHECKED.load(Ordering::Relaxed) {
        let on = *ON.get_or_init(|| super::env::debug_var("schedtrace_ring").unwrap_or(0) != 0);
        CHECKED.store(true, Ordering::Relaxed);
        return on;
    }
    *ON.get().unwrap_or(&false)
}

/// Records `(event, a, b)` from the current M.
#[inline]
pub(crate) fn ev(event: &'static str, a: u64, b: u64) {
    if !enabled() {
        return;
    }
    let m = crate::m::current_m_raw();
    // SAFETY: Ms are never freed.
    let mid = unsafe { m.as_ref() }.map_or(0, |m| m.id);
    let i = NEXT.fetch_add(1, Ordering::Relaxed) % N;
    RING[i][0].store(event.as_ptr() as u64, Ordering::Relaxed);
    RING[i][1].store((event.len() as u64) << 32 | mid, Ordering::Relaxed);
    RING[i][2].store(a, Ordering::Relaxed);
    RING[i][3].store(b, Ordering::Relaxed);
}

/// The last `n` events, oldest first.
pub(crate) fn tail(n: usize) -> String {
    let end = NEXT.load(Ordering::Relaxed);
    let start = end.saturating_sub(n.min(N));
    let mut out = String::new();
    for k in start..end {
        let i = k % N;
        let p = RING[i][0].load(Ordering::Relaxed) as *const u8;
        let w = RING[i][1].load(Ordering::Relaxed);
        let (len, mid) = ((w >> 32) as usize, w & 0xffff_ffff);
        if p.is_null() {
            continue;
        }
        // SAFETY: `p`/`len` come from a `&'static str` recorded above.
        let name = unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(p, len)) };
        out.push_str(&format!("  #{k} m{mid} {name} {} {}\n", RING[i][2].load(Ordering::Relaxed), RING[i][3].load(Ordering::Relaxed)));
    }
    out
}
