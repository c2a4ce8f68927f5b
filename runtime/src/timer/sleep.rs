//! `sleep`: park the current goroutine on its own timer.

use super::{TimerCore, TimerFn};
use crate::sched::park::{expect_goroutine, park, WaitReason};
use crate::sched::sched;
use crate::time::deadline_after;
use std::sync::Arc;
use std::time::Duration;

/// Parks the current goroutine for at least `d`. Other goroutines run meanwhile. A zero
/// duration returns at once.
pub fn sleep(d: Duration) {
    let (_, g) = expect_goroutine("sleep");
    if d.is_zero() {
        return;
    }
    // SAFETY: only the running G touches its own `sleep_timer`.
    let t = g.sleep_timer.with_mut(|slot| unsafe { (*slot).get_or_insert_with(|| Arc::new(TimerCore::new(TimerFn::Wake(g)))).clone() });
    let when = deadline_after(d);
    let s = sched();
    // The timer is armed on g0 after we are Waiting, so its firing can only find us parked.
    park(WaitReason::Sleep, move |_| {
        t.modify(s, when, 0);
        true
    });
}
