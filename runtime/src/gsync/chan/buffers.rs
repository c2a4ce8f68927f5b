//! Channel buffers as collector roots (issue 12 item 6, ARCHITECTURE decision 49). The runtime
//! knows no heap types, so a buffer is handed to the collector as address ranges to scan
//! conservatively, like a stack (Go reaches a buffer through its `hchan`, a heap object; ours
//! lives in Rust memory, so the live channels are a root set of their own).
//!
//! Protocol (reference §3.1, the hybrid barrier applied to root memory; invariants 2 — old and
//! new values shaded at every store while marking, 3 — no safe point between the phase check
//! and the store, 6 — stacks are never rescanned, so pointers moving between a stack and
//! memory scanned once must be shaded):
//! 1. A channel whose values could hold a heap pointer (`SCANNED::<T>`: a word wide and word
//!    aligned) registers in the sharded `BUFFERS` when it is made and unregisters when its
//!    last handle drops, before its memory is freed.
//! 2. The collector's root job walks `BUFFERS` (`for_each_buffer`) once per cycle, each buffer
//!    under its channel's lock; a value buffered before the walk is seen there.
//! 3. Every value that moves under the channel lock while marking — into the buffer or a
//!    receiver's waiter (a send), out of the buffer or a sender's waiter (a receive) — is
//!    shaded at the move (`hooks::shade_range`), in the lock's no-preempt section, so the phase
//!    cannot change between the check and the move: a value leaving a stack already scanned
//!    for a buffer not yet scanned, or leaving a buffer for a stack already scanned, is grey.
//!    Values in a parked sender's waiter are on its stack, which the stack scans see.

use super::core::Chan;
use crate::registry::{Registry, Ticket};
use std::sync::OnceLock;

/// Whether channels of `T` are scanned: only values that can hold an aligned pointer word.
pub(super) const fn scanned<T>() -> bool {
    std::mem::size_of::<T>() >= 8 && std::mem::align_of::<T>() >= 8
}

/// A registered channel: its address and the scan function of its element type.
#[derive(Clone, Copy)]
struct Entry {
    chan: *const (),
    scan: unsafe fn(*const (), &mut dyn FnMut(usize, usize)),
}

// SAFETY: an entry is a pointer to a `Chan<T>`, which is shared between threads by design
// (its state is under its lock); the walk reads it only under the registry's shard lock,
// before `unregister` returns for the channel's drop (step 1).
unsafe impl Send for Entry {}

static BUFFERS: OnceLock<Registry<Entry>> = OnceLock::new();

fn buffers() -> &'static Registry<Entry> {
    BUFFERS.get_or_init(Registry::new)
}

/// Step 1: registers `chan` (whose address must stay fixed until `unregister`).
pub(super) fn register<T>(chan: &Chan<T>) -> Ticket {
    buffers().register(&crate::preempt::NoPreempt::new(), Entry { chan: (chan as *const Chan<T>).cast(), scan: scan_chan::<T> })
}

/// Step 1's inverse: called by the channel's drop.
pub(super) fn unregister(t: Ticket) {
    buffers().unregister(&crate::preempt::NoPreempt::new(), t);
}

/// # Safety
/// `p` points at a live `Chan<T>` (registered, not yet unregistered).
unsafe fn scan_chan<T>(p: *const (), f: &mut dyn FnMut(usize, usize)) {
    // SAFETY: the caller's obligation; the walk holds the shard lock that `unregister` needs.
    let chan = unsafe { &*p.cast::<Chan<T>>() };
    chan.with_buffer(|a, b| {
        for s in [a, b] {
            let lo = s.as_ptr() as usize;
            f(lo, lo + std::mem::size_of_val(s));
        }
    });
}

/// Step 2: reports every registered channel's buffered values as address ranges `[lo, hi)`,
/// each while its channel's lock is held (so the memory is stable and readable for the call).
/// For the collector's root job. Thread: any; `f` must not park, allocate, or use a channel.
pub fn for_each_buffer(mut f: impl FnMut(usize, usize)) {
    buffers().for_each(|e| {
        // SAFETY: the entry is registered (the walk holds its shard's lock), so the channel
        // is alive (step 1).
        unsafe { (e.scan)(e.chan, &mut f) }
    });
}

/// Channels registered now (tests).
pub fn registered() -> usize {
    buffers().len()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::scanned;

    #[test]
    fn only_values_that_can_hold_an_aligned_word_are_scanned() {
        assert!(scanned::<usize>() && scanned::<(u64, u8)>() && scanned::<[usize; 3]>());
        assert!(!scanned::<u32>() && !scanned::<[u8; 16]>() && !scanned::<()>() && !scanned::<(u32, u32)>());
    }
}
