//! Test knobs (hidden from the docs): random yields in the pool's sleep path, so stress tests
//! drive the window between a failed pop and sleeping (seed 003).

#[cfg(not(loom))]
use std::sync::atomic::AtomicU64;
use std::sync::atomic::{AtomicBool, Ordering};

static YIELDS: AtomicBool = AtomicBool::new(false);
#[cfg(not(loom))]
static RNG: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);

/// Switches the random yields on or off.
pub fn set_yields(on: bool) {
    // Relaxed: a test knob; no data is published through it.
    YIELDS.store(on, Ordering::Relaxed);
}

pub(crate) fn yields() -> bool {
    // Relaxed: see `set_yields`.
    YIELDS.load(Ordering::Relaxed)
}

/// Yields about half the time (a shared xorshift; races between threads only add noise).
#[cfg(not(loom))]
pub(crate) fn maybe_yield() {
    let mut x = RNG.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    RNG.store(x, Ordering::Relaxed);
    if x & 1 == 0 && tricolor_runtime::hooks::on_goroutine() {
        tricolor_runtime::yield_now();
    }
}

#[cfg(loom)]
pub(crate) fn maybe_yield() {}

/// Records queued per slot (one per P, then the slot of threads without a P).
pub fn queued_per_slot() -> Vec<u64> {
    crate::STATE.get().map(|s| s.queue.queued_per_slot()).unwrap_or_default()
}
