//! Timers, after Go 1.23's lock-based design (reference §8.1, seed 001):
//!
//! - Each P owns a `Timers` heap (`heap.rs`) with its own lock; each timer (`TimerCore`) has its
//!   own lock. Lock order: a P's heap lock before a timer's lock.
//! - Modifying or stopping a timer locks only the timer, records the new deadline and marks the
//!   heap entry stale (`modified`/`zombie`); the owning P fixes its heap lazily. Adding a timer
//!   that is in no heap happens after the timer lock is dropped (`maybe_add`), then the idle Ms
//!   are told (`wake_for_timer`) — no call is made while a timer is in a transitional state.
//! - Every lock is an `RtMutex`: holders cannot be preempted, so nobody ever spins or waits on a
//!   state owned by a descheduled goroutine (the Go 1.14.1 self-deadlock of seed 001).
//! - Firing runs with no lock held (`unlockAndRun`): waking a sleeper or sending on a timer's
//!   channel. Channel sends carry the sequence number they were scheduled under and are dropped
//!   if the timer was reset or stopped since, so no stale value is ever received.
//!
//! `sleep.rs` and `chan_timer.rs` hold the two users: `sleep` and the public `Timer`.

mod chan_timer;
mod heap;
mod sleep;

pub use chan_timer::Timer;
pub(crate) use heap::Timers;
pub use sleep::sleep;

use crate::g::G;
use crate::gsync::chan::Sender;
use crate::lock::RtMutex;
use crate::sched::idle::wake_for_timer;
use crate::sched::Sched;
use crate::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What a timer does when it fires.
pub(crate) enum TimerFn {
    /// Ready a sleeping goroutine.
    Wake(&'static G),
    /// Send the firing time on a channel (capacity 1), dropping it if full.
    Chan(Sender<Instant>),
    /// A socket's read or write deadline (`netpoll/pd.rs`): cancel a wait if it has passed.
    Deadline(&'static crate::netpoll::PollDesc, crate::netpoll::Mode),
}

/// Timer state under `TimerCore::mu`.
#[derive(Debug)]
pub(crate) struct TState {
    /// Deadline in nanotime, 0 when inactive.
    pub(crate) when: i64,
    /// Repeat period (0: one-shot).
    pub(crate) period: i64,
    /// The P whose heap holds an entry for this timer.
    pub(crate) heap: Option<usize>,
    /// `when` changed since the heap entry was written.
    pub(crate) modified: bool,
    /// Stopped while still in a heap; the owner removes it lazily.
    pub(crate) zombie: bool,
}

/// One timer.
pub(crate) struct TimerCore {
    pub(crate) mu: RtMutex<TState>,
    /// Bumped by every modify and stop; a firing carries the value it was scheduled under.
    /// Written under `mu`.
    pub(crate) seq: AtomicU64,
    /// Serialises channel sends with the drain in reset/stop (Go's `sendLock`).
    pub(crate) send_lock: RtMutex<()>,
    pub(crate) f: TimerFn,
}

impl std::fmt::Debug for TimerCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerCore").field("seq", &self.seq.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

impl TimerCore {
    pub(crate) fn new(f: TimerFn) -> TimerCore {
        TimerCore {
            mu: RtMutex::new(TState { when: 0, period: 0, heap: None, modified: false, zombie: false }),
            seq: AtomicU64::new(0),
            send_lock: RtMutex::new(()),
            f,
        }
    }

    /// Sets the deadline (`when` > 0, nanotime) and period. Returns whether the timer was
    /// pending. Callable from goroutines, g0 and foreign threads.
    pub(crate) fn modify(self: &Arc<Self>, s: &'static Sched, when: i64, period: i64) -> bool {
        debug_assert!(when > 0);
        // Wake idle Ms only if this can make some sleeper's deadline too late: a new heap entry,
        // or a deadline below the heap's earliest pending modification (Go's `modify`). A timer
        // reset in a loop thus wakes nobody after the first reset.
        let (pending, needs_add, wake) = {
            let mut st = self.mu.lock();
            let pending = st.when > 0;
            // Relaxed: read under `mu` or compared by `fire` after taking `send_lock`, which
            // reset/stop take after this store.
            self.seq.fetch_add(1, Ordering::Relaxed);
            st.when = when;
            st.period = period;
            match st.heap {
                Some(pid) => {
                    let ts = &s.allp[pid].timers;
                    if st.zombie {
                        st.zombie = false;
                        ts.zombies.fetch_sub(1, Ordering::Relaxed);
                    }
                    st.modified = true;
                    let lowered = ts.note_modified(when);
                    (pending, false, lowered)
                }
                None => (pending, true, true),
            }
        };
        if needs_add {
            self.maybe_add(s);
        }
        if wake {
            wake_for_timer(s, when);
        }
        pending
    }

    /// Puts the timer in the current P's heap (P0's from a thread without a P) if it is active
    /// and in no heap. Called with no timer lock held.
    fn maybe_add(self: &Arc<Self>, s: &'static Sched) {
        let _np = crate::preempt::NoPreempt::new(); // the P must not change under us
        let p = crate::m::current_m().and_then(|m| m.p()).unwrap_or(&s.allp[0]);
        p.timers.add(self);
    }

    /// Deactivates the timer. Returns whether it was pending.
    pub(crate) fn stop(&self, s: &'static Sched) -> bool {
        let mut st = self.mu.lock();
        let pending = st.when > 0;
        self.seq.fetch_add(1, Ordering::Relaxed);
        if pending {
            if let Some(pid) = st.heap {
                if !st.zombie {
                    st.zombie = true;
                    s.allp[pid].timers.zombies.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        st.when = 0;
        pending
    }

    /// Runs the timer's function for a firing scheduled under `seq`. No lock held.
    pub(crate) fn fire(&self, seq: u64) {
        match &self.f {
            TimerFn::Wake(g) => crate::sched::park::ready(g),
            TimerFn::Deadline(pd, mode) => pd.deadline_fired(*mode),
            TimerFn::Chan(tx) => {
                let _l = self.send_lock.lock();
                if self.seq.load(Ordering::Relaxed) == seq {
                    let _ = tx.try_send(Instant::now());
                }
            }
        }
    }
}
