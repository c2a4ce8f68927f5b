//! In-crate tests: loom models (need pub(crate) items).
#[cfg(loom)]
mod loom_assist;
#[cfg(loom)]
mod loom_lfstack;
#[cfg(loom)]
mod loom_sweep;
#[cfg(loom)]
mod loom_termination;
#[cfg(loom)]
mod loom_weak;
