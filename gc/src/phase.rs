//! The collector's phase: one word, one owner (reference §2.1, DESIGN decision 4).
//!
//! The word is `cycle << 3 | MARK_TERM | MARK | SWEPT`: the number of completed cycles, which
//! phase runs, and whether the last cycle's sweep is complete. Phase changes happen only in
//! `PhaseWord::set_*` with the world stopped (the `WorldStopped` token proves it in
//! production); `sweep_complete` is the one transition outside a stop, and it only adds the
//! SWEPT bit to an unchanged word (a CAS). Everything else reads it:
//!
//! | phase | barrier | fresh objects | weak upgrade | specials / roots added | assists |
//! |---|---|---|---|---|---|
//! | Off | one load, no shade | white | fast path once SWEPT | nothing to do | no |
//! | Mark | shades old and new | black (allocate-black) | slow path, shades the referent | shaded at once (invariant 25) | yes |
//! | MarkTermination | on (world stopped or stopping) | black | parks until Off (invariant 8) | shaded | no |
//!
//! Readers: the barrier (`mark/barrier.rs`), allocation (`heap`'s allocate-black check), the
//! weak protocol (`weak/protocol.rs`), specials and roots. The cycle number is also the
//! sweep's generation counter's partner: cycle n's sweep is complete when SWEPT is set with
//! cycle n.

use crate::sync::atomic::{AtomicU64, Ordering};

/// The last cycle's sweep is complete (every dead object's weak cell cleared).
pub(crate) const SWEPT: u64 = 1;
/// Concurrent marking: the barrier is on, allocation is black.
pub(crate) const MARK: u64 = 2;
/// Mark termination: still marking (barrier on) and weak upgrades wait.
pub(crate) const MARK_TERM: u64 = 4;
const SHIFT: u32 = 3;

/// The phase word.
#[derive(Debug)]
pub(crate) struct PhaseWord {
    word: AtomicU64,
}

impl Default for PhaseWord {
    fn default() -> Self {
        Self::new()
    }
}

impl PhaseWord {
    pub(crate) fn new() -> PhaseWord {
        // Cycle 0 with nothing to sweep: swept.
        PhaseWord { word: AtomicU64::new(SWEPT) }
    }

    /// The raw word (for seqlock-style readers: the weak fast path).
    #[inline(always)]
    pub(crate) fn raw(&self, o: Ordering) -> u64 {
        self.word.load(o)
    }

    /// Whether the write barrier must shade: marking or mark termination. Relaxed: the phase
    /// changes only with the world stopped, and stopping and restarting synchronise every P
    /// with the stopper (a mutator that runs after the change sees it).
    #[inline(always)]
    pub(crate) fn barrier_on(&self) -> bool {
        self.word.load(Ordering::Relaxed) & (MARK | MARK_TERM) != 0
    }

    /// Whether marking (concurrent or terminating) is on. Acquire: pairs with the Release of
    /// the transitions.
    pub(crate) fn marking(&self) -> bool {
        self.word.load(Ordering::Acquire) & (MARK | MARK_TERM) != 0
    }

    /// Off → Mark (stop #1). Release: everything the stop did is visible to whoever sees Mark.
    pub(crate) fn begin_mark(&self, _w: WorldToken<'_>) {
        let w = self.word.load(Ordering::Relaxed);
        if w & (MARK | MARK_TERM) != 0 {
            tricolor_runtime::throw!("gc: phase: begin_mark while marking (word {w:#x})");
        }
        self.word.store(w | MARK, Ordering::Release);
    }

    /// Mark → MarkTermination (stop #2).
    pub(crate) fn begin_mark_termination(&self, _w: WorldToken<'_>) {
        let w = self.word.load(Ordering::Relaxed);
        if w & MARK == 0 {
            tricolor_runtime::throw!("gc: phase: mark termination without marking (word {w:#x})");
        }
        self.word.store(w | MARK_TERM, Ordering::Release);
    }

    /// Marking of cycle `cycle` ended; its sweep begins (still inside stop #2). Release: the
    /// new epoch is published after everything the cycle did.
    pub(crate) fn end_mark(&self, _w: WorldToken<'_>, cycle: u64) {
        self.word.store(cycle << SHIFT, Ordering::Release);
    }

    /// Every span of cycle `cycle` is swept. Returns whether this call made the transition
    /// (once per cycle). Release: the sweeper's cell clears happen before a weak fast path can
    /// trust SWEPT; the CAS fails harmlessly if a new cycle began meanwhile.
    pub(crate) fn sweep_complete(&self, cycle: u64) -> bool {
        self.word.compare_exchange(cycle << SHIFT, cycle << SHIFT | SWEPT, Ordering::Release, Ordering::Relaxed).is_ok()
    }
}

/// Proof for a phase transition that the world is stopped. Production code builds it from a
/// `WorldStopped`; loom models, which have no scheduler, build it with `model()`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WorldToken<'a>(std::marker::PhantomData<&'a ()>);

impl<'a> WorldToken<'a> {
    pub(crate) fn stopped(_w: &'a tricolor_runtime::WorldStopped) -> WorldToken<'a> {
        WorldToken(std::marker::PhantomData)
    }

    /// For models of a protocol (no scheduler): the model itself plays the stopped world.
    #[cfg(all(loom, test))]
    pub(crate) fn model() -> WorldToken<'static> {
        WorldToken(std::marker::PhantomData)
    }
}
