//! Mark termination detection (reference §2.3, Go's `gcMarkDone`), separated from the heap and
//! the scheduler so the loom model (`tests/loom_termination.rs`) runs this very code.
//!
//! Called by a marker that found no work, with every root job done:
//! T1. The ragged barrier: every P flushes its write-barrier buffer into its mark work and
//!     publishes that work on the global list (`Env::ragged_flush`, true if any P had some).
//! T2. Then the global list is checked. Work found in T1 or T2: back to marking. The order
//!     matters: a P's flush publishes onto the global list, so checking the list *before* the
//!     barrier misses what the barrier itself published (the model's broken variant).
//! T3. Stop #2, upgrades blocked (`Env::stop`), and the same flush and check again with every P
//!     stopped (`Env::flush_stopped`). Mutators keep shading between T1 and T3 (a barrier on a P
//!     that flushed already); if anything turned up, the world restarts and marking goes on
//!     (`Env::restart`, Go's restart). Otherwise no grey object exists anywhere and, with the
//!     world stopped, none can appear: `Env::finish` ends the mark.

/// What termination needs from the collector and the scheduler.
pub(crate) trait Env {
    /// Proof that the world is stopped (stop #2).
    type Stopped;
    /// T1. Returns whether any P had work to publish.
    fn ragged_flush(&self) -> bool;
    /// T2. Whether the global work list holds work.
    fn global_work(&self) -> bool;
    /// T3. Stops the world and blocks weak upgrades.
    fn stop(&self) -> Self::Stopped;
    /// T3. With the world stopped: flush and publish every P; whether any had work.
    fn flush_stopped(&self, w: &mut Self::Stopped) -> bool;
    /// Late work: unblock upgrades and restart the world.
    fn restart(&self, w: Self::Stopped);
    /// Marking is complete: mark termination proper (world still stopped).
    fn finish(&self, w: Self::Stopped);
}

/// The result of one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The mark is complete and `finish` ran.
    Done,
    /// Work remains (found by the barrier, or late inside stop #2): go on marking.
    MoreWork,
    /// Stop #2 found late work and restarted the world.
    Restarted,
}

/// T1-T3. The caller serialises attempts (one terminator at a time).
pub(crate) fn attempt(env: &impl Env) -> Outcome {
    // T1 before T2 (see the module docs).
    let flushed = env.ragged_flush();
    if flushed || env.global_work() {
        return Outcome::MoreWork;
    }
    // T3.
    let mut w = env.stop();
    let late = env.flush_stopped(&mut w);
    if late || env.global_work() {
        env.restart(w);
        return Outcome::Restarted;
    }
    env.finish(w);
    Outcome::Done
}
