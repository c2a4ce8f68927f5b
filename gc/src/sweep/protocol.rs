//! The sweep ownership protocol (reference §2.5, invariants 11-12), separated from the heap so
//! the loom model (`tests/loom_sweep.rs`) runs this very code against a modelled heap.
//!
//! States of an in-use span, with h = the heap's sweepgen (+2 at every mark termination):
//!
//! | sweepgen | meaning | who may touch the span's bitmaps, cursor and specials |
//! |---|---|---|
//! | h − 2 | unswept | nobody (it is on exactly one unswept list, or just popped from it) |
//! | h − 1 | being swept | its one owner, who won the CAS h−2 → h−1 |
//! | h | swept | the cache that took it off a swept list; anyone for specials |
//!
//! Transitions, each by one party:
//! - h−2 → h−1: `try_acquire`, by whoever pops the span from its unswept list (an allocating
//!   P's `cache_span`, the background sweeper, sweep termination) or by anyone about to touch
//!   it in place (`ensure_swept`: specials, weak upgrades, `raw` lookups).
//! - h−1 → h: the owner's Release store of h after all bitmap and special work
//!   (`sweep_owned`), always before the span is freed or linked anywhere, so a waiter never
//!   waits on a span that has gone (the item-1 hang of issue 9: a freed span stayed at h−1).
//! - then, by the owner only: an empty span is freed; a live one goes to the popper's cache or,
//!   for an in-place sweep, onto its class's swept list (`Env::relink`).
//!
//! List entries: a span swept in place still has its entry on the unswept list. That entry is
//! stale: whoever pops an unswept entry must win `try_acquire` on it, and one that fails drops
//! the entry without touching the span (Go's `mcentral.cacheSpan` does the same) — the span
//! belongs to its sweeper, who frees or relinks it. So a span is never held by two parties (the
//! item-2 crash and the item-3 double hand-out of issue 9 both came from a popper using a span
//! it had not acquired). Unswept lists are empty before the sweepgen moves again
//! (`sweep::finish`), so a stale entry never outlives its cycle.
//!
//! Who waits on whom: only `ensure_swept` waits, and only for a span at h−1. Its owner holds
//! `NoPreempt` for the whole sweep and never parks, yields, polls a safepoint, takes a lock a
//! waiter holds, or waits for the world, so the wait ends once the owner's thread runs; the
//! waiter spins briefly, then yields its thread (`Env::wait`). A stop-the-world cannot begin
//! while an owner on a P sweeps (it is not preemptible); sweepers without a P (a plain thread
//! upgrading a weak pointer) are waited for by sweep termination before marking starts.

use crate::sync::atomic::{AtomicU32, Ordering};

/// What the protocol needs from the heap.
pub(crate) trait Env {
    /// A span handle.
    type Span: Copy;
    /// The span's sweep generation word.
    fn gen(&self, s: Self::Span) -> &AtomicU32;
    /// Sweeps the bitmaps and specials of `s`, which the caller owns (h−1). Returns whether
    /// any object survived.
    fn sweep_bits(&self, s: Self::Span) -> bool;
    /// Gives an empty span's pages back; its generation h is already published.
    fn free(&self, s: Self::Span);
    /// Puts a live span swept in place onto its class's swept list.
    fn relink(&self, s: Self::Span, h: u32);
    /// One round of waiting for another party's sweep of a span (`round` counts from 0).
    fn wait(&self, round: u32);
    /// A span in a sweep state the protocol does not allow: fatal.
    fn broken(&self, what: &str, state: u32, h: u32) -> !;
}

/// What sweeping did with a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Swept {
    /// No live objects: the span's pages were freed.
    Freed,
    /// The span holds live objects and is swept for the cycle.
    Live,
}

/// h−2 → h−1. Acquire: the owner sees everything the last cycle (mark, previous sweep) wrote
/// to the span, which was published before the sweepgen moved (world stopped).
#[inline]
pub(crate) fn try_acquire(gen: &AtomicU32, h: u32) -> bool {
    gen.compare_exchange(h.wrapping_sub(2), h.wrapping_sub(1), Ordering::Acquire, Ordering::Relaxed).is_ok()
}

/// Sweeps `s`, which the caller owns (it won `try_acquire`), and publishes h; an empty span is
/// then freed.
pub(crate) fn sweep_owned<E: Env>(env: &E, s: E::Span, h: u32) -> Swept {
    let live = env.sweep_bits(s);
    // Release: all bitmap and special work happens before anyone sees the span swept
    // (invariant 11), and before a waiter in `ensure_swept` stops waiting.
    env.gen(s).store(h, Ordering::Release);
    if live {
        Swept::Live
    } else {
        env.free(s);
        Swept::Freed
    }
}

/// A span just popped from an unswept list: sweeps it if the entry is ours. None: the entry was
/// stale (the span was acquired in place meanwhile); the caller drops it and never touches the
/// span. `Some(Live)`: the caller now holds the swept span (off every list).
pub(crate) fn sweep_popped<E: Env>(env: &E, s: E::Span, h: u32) -> Option<Swept> {
    try_acquire(env.gen(s), h).then(|| sweep_owned(env, s, h))
}

/// Returns once `s` is swept for generation h, sweeping it in place if nobody else is (Go's
/// `ensureSwept`). The span may have been freed by then (all its objects were dead): callers
/// re-validate what they looked up.
pub(crate) fn ensure_swept<E: Env>(env: &E, s: E::Span, h: u32) {
    let gen = env.gen(s);
    let mut round = 0;
    loop {
        // Acquire pairs with the owner's Release store of h.
        let v = gen.load(Ordering::Acquire);
        if v == h {
            return;
        }
        if v == h.wrapping_sub(2) {
            if try_acquire(gen, h) {
                if sweep_owned(env, s, h) == Swept::Live {
                    env.relink(s, h);
                }
                return;
            }
            continue; // someone else acquired it just now
        }
        if v != h.wrapping_sub(1) {
            env.broken("ensure_swept found a span", v, h);
        }
        env.wait(round);
        round = round.saturating_add(1);
    }
}
