//! The weak-to-strong protocol (reference §9.3, DESIGN decision 10, seed 002), separated from
//! the heap so the loom model (`tests/loom_weak.rs`) runs this very code.
//!
//! The collector keeps one state word: `cycle << 2 | MARKING | SWEPT`. It changes only while
//! the world is stopped (`begin_mark`, `end_mark`) or when sweeping completes (`sweep_complete`).
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

use crate::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};

const SWEPT: u64 = 1;
const MARKING: u64 = 2;

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
    word: AtomicU64,
    blocked: AtomicBool,
    active: AtomicUsize,
}

impl WeakState {
    pub(crate) fn new() -> WeakState {
        // Cycle 0 with nothing to sweep: swept.
        WeakState { word: AtomicU64::new(SWEPT), blocked: AtomicBool::new(false), active: AtomicUsize::new(0) }
    }

    /// F1-F3. `Some(v)` when the fast path applies.
    #[inline]
    pub(crate) fn upgrade_fast(&self, cell: &AtomicUsize) -> Option<usize> {
        // F1. Acquire pairs with the collector's Release updates of the word.
        let e1 = self.word.load(Ordering::Acquire);
        if e1 & (MARKING | SWEPT) != SWEPT {
            return None;
        }
        // F2. Acquire pairs with the sweeper's Release clear and the creator's publication.
        let v = cell.load(Ordering::Acquire);
        // F3. The fence keeps the cell load before the re-load (seqlock reader).
        fence(Ordering::Acquire);
        (self.word.load(Ordering::Relaxed) == e1).then_some(v)
    }

    /// S1-S6. The caller has disabled preemption (production) and retries on `Blocked` after
    /// re-enabling it.
    pub(crate) fn upgrade_slow(&self, cell: &AtomicUsize, env: &impl Env) -> Slow {
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
            // S5. Acquire: the phase flip happened before (world stopped); see `begin_mark`.
            if v != 0 && self.word.load(Ordering::Acquire) & MARKING != 0 {
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

    /// Whether marking is on.
    pub(crate) fn marking(&self) -> bool {
        self.word.load(Ordering::Acquire) & MARKING != 0
    }

    /// Marking begins (world stopped).
    pub(crate) fn begin_mark(&self) {
        self.word.fetch_or(MARKING, Ordering::Release);
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

    /// Marking of cycle `cycle` ended; its sweep begins (world stopped).
    pub(crate) fn end_mark(&self, cycle: u64) {
        // Release: the new epoch is published after everything the cycle did.
        self.word.store(cycle << 2, Ordering::Release);
        self.blocked.store(false, Ordering::Release);
    }

    /// Every span of cycle `cycle` is swept: every dead object's cell is clear.
    /// Returns whether this call made the transition (once per cycle).
    pub(crate) fn sweep_complete(&self, cycle: u64) -> bool {
        // Release: the sweeper's clears happen before a fast path can trust SWEPT. The CAS
        // fails harmlessly if a new cycle began meanwhile.
        self.word.compare_exchange(cycle << 2, cycle << 2 | SWEPT, Ordering::Release, Ordering::Relaxed).is_ok()
    }
}
