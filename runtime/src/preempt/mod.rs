//! Preemption: the no-preempt count (`nopreempt.rs`), the cooperative safepoint
//! (`safepoint.rs`) and the preemption signal (`signal.rs`), which serves the same request
//! flags at an async safe point: a stop request is a bit in `Sched::safepoint_pending` or a
//! G's `preempt` flag, honoured wherever the G next polls or is interrupted.

mod nopreempt;
#[cfg(target_arch = "x86_64")]
mod rescue;
mod safepoint;
pub(crate) mod signal;
pub(crate) mod unsafe_points;

pub(crate) use nopreempt::preempt_disabled;
pub use nopreempt::NoPreempt;
pub(crate) use safepoint::honour_scan_request;
pub use safepoint::safepoint;
pub(crate) use signal::ASYNC_WORDS;
