//! Async-unsafe code: functions placed in the linker section `tricolor_np` are never points
//! where the preemption signal stops a goroutine (Go's compiler marks write-barrier sequences
//! as unsafe points the same way). The handler returns at once when the interrupted program
//! counter lies in the section, as inside a no-preempt section; the requester re-signals.
//!
//! It is for the shortest hot sequences, where a `NoPreempt` guard (a thread-local lookup and
//! two counter updates, ~3 ns) would cost more than the sequence: the write barrier's check
//! and its store (`tricolor-gc`'s `mark/barrier.rs`). A function placed there must not call
//! out on its fast path — the callee's instructions are outside the section — so its slow
//! path takes a `NoPreempt` before it calls anything.
//!
//! The linker defines `__start_tricolor_np` / `__stop_tricolor_np` around the section (a
//! section whose name is a C identifier); `anchor` keeps it non-empty in every program.

/// Keeps the section present (and its bounds defined) in every program linking the runtime:
/// `contains` takes its address.
#[inline(never)]
#[link_section = "tricolor_np"]
fn anchor() {}

extern "C" {
    static __start_tricolor_np: u8;
    static __stop_tricolor_np: u8;
}

/// Whether `pc` is inside the async-unsafe section.
#[inline]
pub(crate) fn contains(pc: usize) -> bool {
    std::hint::black_box(anchor as fn());
    let (lo, hi) = bounds();
    pc >= lo && pc < hi
}

/// The section's bounds `[start, stop)` (tests check that the barrier lies inside).
#[inline]
pub fn bounds() -> (usize, usize) {
    // Only the symbols' addresses are taken (`&raw const` of an extern static needs no
    // `unsafe`); the linker defines both.
    (&raw const __start_tricolor_np as usize, &raw const __stop_tricolor_np as usize)
}
