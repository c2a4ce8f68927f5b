//! `safepoint()`: the cooperative preemption poll. Allocation calls it; VMs call it at loop
//! back-edges and function entries. The fast path is one load of a process-wide flag.

use super::nopreempt::preempt_disabled;
use crate::m::SwitchOut;
use crate::sched::park::{current, mcall};
use crate::sched::{try_sched, Sched};
use crate::sync::atomic::Ordering;

/// Stops the current goroutine here if a stop-the-world, a `for_each_p` or a preemption request
/// is pending; otherwise returns at once. A no-op on threads that are not goroutines and inside
/// `NoPreempt` sections.
#[inline]
pub fn safepoint() {
    if let Some(s) = try_sched() {
        // Relaxed: a request seen late is re-sent every 100 µs by its requester
        // (reference invariant 19).
        if s.safepoint_pending.load(Ordering::Relaxed) != 0 {
            safepoint_slow(s);
        }
    }
}

/// Scans `g`'s own stack if a marker asked it to (`G::scan_request`). `g` is the current
/// goroutine, holding its P, preemption enabled.
#[inline]
pub(crate) fn honour_scan_request(g: &crate::g::G) {
    // Relaxed: the marker re-sends the request until the scan is claimed.
    if g.scan_request.load(Ordering::Relaxed) && g.scan_request.swap(false, Ordering::Relaxed) {
        crate::hooks::scan_own_stack();
    }
}

#[cold]
#[inline(never)]
fn safepoint_slow(s: &'static Sched) {
    let Some((m, g)) = current() else { return };
    if preempt_disabled(m) || std::ptr::eq(s.stw_owner.load(Ordering::Relaxed), m) {
        return;
    }
    let Some(p) = m.p() else { return }; // inside `blocking`: the P is already given away
    honour_scan_request(g);
    let preempt = g.preempt.swap(false, Ordering::Relaxed);
    if preempt {
        s.safepoint_pending.fetch_and(!crate::sched::pending::PREEMPT, Ordering::Release);
    }
    if s.gcwaiting.load(Ordering::Acquire) || p.run_safe_point_fn.load(Ordering::Acquire) != 0 {
        mcall(SwitchOut::Preempted);
    } else if preempt {
        mcall(SwitchOut::TimeSlice);
    }
}
