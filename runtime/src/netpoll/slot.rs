//! One direction's waiter slot of a poll descriptor (Go's `pollDesc.rg`/`wg`): the protocol
//! between a goroutine waiting for readiness, the poller reporting it, and the deadline timer or
//! `close` cancelling the wait. Only the slot lives here; the descriptor around it is in
//! `pd.rs`, the loom model in `tests/loom_netpoll.rs`.
//!
//! | value  | meaning                                    | who may leave it                    |
//! |--------|--------------------------------------------|-------------------------------------|
//! | `NIL`  | no waiter, no readiness noted              | a waiter (→ `WAIT`), the poller (→ `READY`) |
//! | `READY`| readiness arrived with nobody waiting      | the next waiter consumes it (→ `NIL`) |
//! | `WAIT` | a goroutine is about to park               | its commit (→ G), the poller (→ `READY`), a canceller (→ `NIL`) |
//! | G      | that goroutine is parked on the slot       | the poller (→ `READY`) or a canceller (→ `NIL`), who readies G |
//!
//! Protocol, cited as "step N" in `pd.rs` and the model:
//! 1. The waiter `prepare`s: `READY` → `NIL` (readiness consumed: retry the I/O at once), or
//!    `NIL` → `WAIT`.
//! 2. It issues `fence(SeqCst)` and re-checks the error state (closed, deadline passed); a
//!    canceller stores the error state, issues `fence(SeqCst)`, then reads the slot (`unblock`).
//!    Store-buffering pair: either the waiter sees the error, or the canceller sees `WAIT`/G.
//! 3. Without an error the waiter parks; the park commit, run on g0 once the goroutine is
//!    switched out and Waiting, CASes `WAIT` → G. If the CAS fails, someone moved the slot to
//!    `READY` or `NIL` in between and the goroutine resumes at once (the commit declines).
//! 4. `unblock(ioready)` moves any state but `READY` to `READY` (readiness) or to `NIL`
//!    (cancel; only when someone waits) and returns the parked G, if there was one, for the
//!    caller to ready. Nobody ever waits for the slot to change: every transition is one CAS
//!    from the observed value, so a wake-up that arrives while the world is stopped or while a
//!    scanner holds the goroutine's scan bit just lands (seed 000).
//! 5. After resuming (or skipping the park) the waiter swaps the slot to `NIL`; it saw
//!    readiness iff the old value was `READY`.
//!
//! Invariant: at most one waiter per slot (the socket's per-direction lock, `net/fd.rs`); a
//! second one is a runtime bug (`throw!`).

use crate::sync::atomic::{AtomicUsize, Ordering};

/// No waiter, nothing noted.
pub(crate) const NIL: usize = 0;
/// Readiness noted with nobody waiting.
pub(crate) const READY: usize = 1;
/// A waiter is between step 1 and its commit.
pub(crate) const WAIT: usize = 2;

/// What step 1 found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Prepare {
    /// Readiness was noted and is now consumed: retry the I/O without parking.
    Ready,
    /// The slot is ours (`WAIT`): go on with step 2.
    Wait,
}

/// One direction's slot.
#[derive(Debug)]
pub(crate) struct Slot(AtomicUsize);

impl Slot {
    pub(crate) fn new() -> Slot {
        Slot(AtomicUsize::new(NIL))
    }

    /// Step 1.
    pub(crate) fn prepare(&self) -> Prepare {
        loop {
            // Acquire: pairs with the poller's Release in `unblock`, so what it observed before
            // noting readiness is visible (nothing today; kept for symmetry with step 5).
            let cur = self.0.load(Ordering::Acquire);
            let (new, out) = match cur {
                READY => (NIL, Prepare::Ready),
                NIL => (WAIT, Prepare::Wait),
                other => crate::throw!("netpoll: two goroutines wait on one poll slot (found {other:#x})"),
            };
            // Acquire on success: as above. Relaxed on failure: we re-read in the loop.
            if self.0.compare_exchange(cur, new, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return out;
            }
        }
    }

    /// Step 3, run by the park commit on g0: publish the parked goroutine's token. False: the
    /// slot moved (readiness or a cancel came in), resume the goroutine at once.
    pub(crate) fn commit(&self, token: usize) -> bool {
        debug_assert!(token > WAIT, "netpoll: a goroutine token must not collide with the slot states");
        // Release: the goroutine is fully switched out (its status Waiting, context saved)
        // before a waker that reads the token (Acquire in `unblock`) readies it.
        self.0.compare_exchange(WAIT, token, Ordering::Release, Ordering::Relaxed).is_ok()
    }

    /// Step 5: clear the slot after waking (or after skipping the park); true when readiness
    /// woke us.
    pub(crate) fn finish(&self) -> bool {
        // Acquire: pairs with `unblock`'s Release.
        let old = self.0.swap(NIL, Ordering::Acquire);
        if old > WAIT {
            crate::throw!("netpoll: a waiter woke with its own token still in the slot ({old:#x})");
        }
        old == READY
    }

    /// Step 4: note readiness (`ioready`) or cancel a wait. Returns the token of the goroutine
    /// parked on the slot, which the caller must ready.
    pub(crate) fn unblock(&self, ioready: bool) -> Option<usize> {
        loop {
            // Acquire: a token read here was published by `commit`'s Release.
            let old = self.0.load(Ordering::Acquire);
            if old == READY || (old == NIL && !ioready) {
                return None;
            }
            let new = if ioready { READY } else { NIL };
            // AcqRel: Acquire as above; Release publishes the new state to the waiter's
            // step 5 (and its failed commit).
            if self.0.compare_exchange(old, new, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                return (old > WAIT).then_some(old);
            }
        }
    }

    /// The raw value, for diagnostics (`debug::sched_dump`-style output and tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn peek(&self) -> usize {
        // Relaxed: diagnostics only.
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn states() {
        let s = Slot::new();
        assert_eq!(s.unblock(false), None, "a cancel with nobody waiting leaves nothing");
        assert_eq!(s.peek(), NIL);
        assert_eq!(s.unblock(true), None);
        assert_eq!(s.peek(), READY);
        assert_eq!(s.prepare(), Prepare::Ready);
        assert_eq!(s.peek(), NIL);
        assert_eq!(s.prepare(), Prepare::Wait);
        assert!(s.commit(0x1000));
        assert_eq!(s.unblock(true), Some(0x1000));
        assert!(s.finish());
        assert_eq!(s.prepare(), Prepare::Wait);
        assert_eq!(s.unblock(false), None, "a cancel before the commit makes the commit fail");
        assert!(!s.commit(0x1000));
        assert!(!s.finish());
    }
}
