//! Preemption: the no-preempt count (`nopreempt.rs`) and the cooperative safepoint
//! (`safepoint.rs`). Signal-based preemption and sysmon come later and slot into the same
//! request flags: a stop request is a bit in `Sched::safepoint_pending` or a G's `preempt`
//! flag, honoured wherever the G next polls.

mod nopreempt;
mod safepoint;

pub(crate) use nopreempt::preempt_disabled;
pub use nopreempt::NoPreempt;
pub(crate) use safepoint::honour_scan_request;
pub use safepoint::safepoint;
