//! `Timer`: a one-shot timer that delivers its firing time on a channel, like Go's
//! `time.Timer`, with Go 1.23 semantics: after `reset` or `stop` returns, no value from an
//! earlier schedule is ever received.

use super::{TimerCore, TimerFn};
use crate::gsync::chan::{bounded, Receiver};
use crate::sched::sched;
use crate::time::deadline_after;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A timer whose firing time arrives on `receiver()`.
///
/// ```
/// use std::time::Duration;
/// tricolor_runtime::block_on(|| {
///     let t = tricolor_runtime::Timer::new(Duration::from_millis(1));
///     let fired = t.recv();
///     assert!(fired.elapsed() < Duration::from_secs(60));
///     assert!(!t.stop()); // already fired
/// });
/// ```
#[derive(Debug)]
pub struct Timer {
    core: Arc<TimerCore>,
    rx: Receiver<Instant>,
}

impl Timer {
    /// Starts a timer that fires once after `d`.
    pub fn new(d: Duration) -> Timer {
        crate::preempt::safepoint();
        let (tx, rx) = bounded(1);
        let core = Arc::new(TimerCore::new(TimerFn::Chan(tx)));
        core.modify(sched(), deadline_after(d).max(1), 0);
        Timer { core, rx }
    }

    /// Re-arms the timer to fire after `d` from now. Returns whether it was still pending.
    /// A value from the previous schedule that was not received yet is discarded.
    pub fn reset(&self, d: Duration) -> bool {
        crate::preempt::safepoint();
        // The new deadline and the drain under one hold of `send_lock`: a firing of the *new*
        // deadline that comes between them waits for the lock and delivers after the drain.
        // Dropping the lock in between lost that value whenever the resetting goroutine was
        // held up there past a short deadline — suspended by the preemption signal while
        // another M ran this P's expired timers (runtime/tests/stop_the_world.rs, 1 run in
        // 7 under load: a receiver waited forever for a timer that had fired and been drained).
        let l = self.core.send_lock.lock();
        let pending = self.core.modify(sched(), deadline_after(d).max(1), 0);
        self.drain(l);
        pending
    }

    /// Stops the timer. Returns whether it was still pending (false if it fired or was
    /// stopped). A fired value not received yet is discarded.
    pub fn stop(&self) -> bool {
        let l = self.core.send_lock.lock();
        let pending = self.core.stop(sched());
        self.drain(l);
        pending
    }

    /// Waits for the timer to fire (parks the goroutine) and returns the firing time.
    pub fn recv(&self) -> Instant {
        self.rx.recv().unwrap_or_else(|_| crate::throw!("runtime: timer channel closed while its Timer is alive"))
    }

    /// The channel the firing time arrives on, for `try_recv` polling.
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.rx
    }

    /// Discards a delivered value, holding `send_lock` (taken before the seq changed): a send
    /// scheduled under an older seq either completed before the change (and is drained here)
    /// or runs after and sees the new seq (and is dropped); one under the new seq runs after.
    fn drain(&self, _send_lock: crate::lock::RtGuard<'_, ()>) {
        while self.rx.try_recv().is_ok() {}
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.core.stop(sched());
    }
}
