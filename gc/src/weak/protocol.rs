//! The weak-to-strong protocol (reference §9.3, DESIGN decision 10, seed 002), separated from
//! the heap so the loom model (`tests/loom_weak.rs`) runs this very code.
//!
//! The protocol reads the collector's phase word (`phase.rs`: `cycle << 3 | MARK_TERM | MARK |
//! SWEPT`), which it does not own; it owns only the termination block and the count of
//! upgraders inside the slow path.
//!
//! Fast path (steps cited in the code):
//! F1. Load the word (Acquire). If not marking and the last cycle's sweep is complete, every
//!     dead object's handle cell has been cleared (the sweeper clears cells before it frees or
//!     reuses anything, invariant 23), so:
//! F2. load the cell, and
//! F3. re-load the word (after an Acquire fence, a seqlock read): unchanged means no cycle began
//!     between F1 and F2, so the value is a live object (or 0). A cycle that begins right after
//!     finds the value on the caller's stack or in its registers and keeps the object alive.
//!     No lock, no read-modify-write, no thread-local lookup: the cost of three loads.
//! Otherwise the slow path, Go's `makeStrongFromWeak`, with preemption disabled by the caller:
//! S1. Announce ourselves (`active`), full fence, and check the termination block: while mark
//!     termination runs, no new grey object may appear (invariant 8), so back out and wait.
//! S2. Load the cell; 0 → none.
//! S3. Make sure the referent's span is swept (this may clear the cell: it died last cycle).
//! S4. Re-load the cell; 0 → none.
//! S5. If marking, shade the referent: the result may become the only reference, on an
//!     already-scanned stack (the Yuasa case, invariant 24; issue 69210).
//! S6. Leave (`active`).
//! The collector's `block` sets the block, full fence, then waits for `active == 0`: S1/`block`
//! are the two halves of a store-buffering pattern, so either the upgrader sees the block or
//! the collector waits for the upgrader to finish.

use crate::phase::{PhaseWord, MARK, MARK_TERM, SWEPT};
use crate::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

/// What the slow path needs from the heap.
pub(crate) trait Env {
    /// S3: sweep the span holding `referent` if it is not swept for the current cycle.
    fn ensure_swept(&self, referent: usize);
    /// S5: grey `referent`.
    fn shade(&self, referent: usize);
}

/// Outcome of one slow-path attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Slow {
    /// The referent (payload address), or 0.
    Done(usize),
    /// Mark termination is running: wait (with preemption enabled) and retry.
    Blocked,
}

/// The collector's weak-pointer state.
#[derive(Debug)]
pub(crate) struct WeakState {
    blocked: AtomicBool,
    active: AtomicUsize,
}

impl Default for WeakState {
    fn default() -> Self {
        Self::new()
    }
}

impl WeakState {
    pub(crate) fn new() -> WeakState {
        WeakState { blocked: AtomicBool::new(false), active: AtomicUsize::new(0) }
    }

    /// F1-F3. `Some(v)` when the fast path applies.
    #[inline]
    pub(crate) fn upgrade_fast(&self, phase: &PhaseWord, cell: &AtomicUsize) -> Option<usize> {
        // F1. Acquire pairs with the collector's Release updates of the word.
        let e1 = phase.raw(Ordering::Acquire);
        if e1 & (MARK | MARK_TERM | SWEPT) != SWEPT {
            return None;
        }
        // F2. Acquire pairs with the sweeper's Release clear and the creator's publication.
        let v = cell.load(Ordering::Acquire);
        // F3. The fence keeps the cell load before the re-load (seqlock reader).
        fence(Ordering::Acquire);
        (phase.raw(Ordering::Relaxed) == e1).then_some(v)
    }

    /// S1-S6. The caller has disabled preemption (production) and retries on `Blocked` after
    /// re-enabling it.
    pub(crate) fn upgrade_slow(&self, phase: &PhaseWord, cell: &AtomicUsize, env: &impl Env) -> Slow {
        // S1. SeqCst fence: our announcement is visible before we read the block (pairs with
        // the fence in `block`).
        self.active.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        // Acquire pairs with `end_mark`'s Release clear of the block: an upgrader that sees the
        // block lifted also sees the new state word (marking off), so it cannot shade after
        // termination with a stale MARKING bit (found by `tests/loom_weak.rs`).
        if self.blocked.load(Ordering::Acquire) {
            self.active.fetch_sub(1, Ordering::Release);
            return Slow::Blocked;
        }
        // S2.
        let mut v = cell.load(Ordering::Acquire);
        if v != 0 {
            // S3-S4.
            env.ensure_swept(v);
            v = cell.load(Ordering::Acquire);
            // S5. Acquire: the phase flip happened before (world stopped).
            if v != 0 && phase.marking() {
                env.shade(v);
            }
        }
        // S6. Release: our shade happens before the collector, waiting in `block`, proceeds.
        self.active.fetch_sub(1, Ordering::Release);
        Slow::Done(v)
    }

    /// Whether mark termination blocks upgrades (wait for this to clear before retrying, so a
    /// blocked upgrader does not keep re-announcing itself while the collector waits).
    pub(crate) fn is_blocked(&self) -> bool {
        self.blocked.load(Ordering::Acquire)
    }

    /// Mark termination begins: no upgrade may shade from now on (invariant 8).
    pub(crate) fn block(&self) {
        self.blocked.store(true, Ordering::Relaxed);
        // Pairs with the fence in S1.
        fence(Ordering::SeqCst);
        while self.active.load(Ordering::Acquire) != 0 {
            crate::sync::spin_loop();
        }
    }

    /// Mark termination ended (the phase word already says Off, `PhaseWord::end_mark`):
    /// upgraders may go on. Release pairs with S1's Acquire.
    pub(crate) fn unblock(&self) {
        self.blocked.store(false, Ordering::Release);
    }
}
