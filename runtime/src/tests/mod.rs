//! In-crate tests: loom models of the lock-free protocols (they need `pub(crate)` items).
//! Models run only under `RUSTFLAGS="--cfg loom"` (see scripts/loom.sh).

#[cfg(loom)]
mod loom_gstatus;
#[cfg(loom)]
mod loom_netpoll;
#[cfg(loom)]
mod loom_runq;
#[cfg(loom)]
mod loom_stw;
#[cfg(loom)]
mod loom_syscall;
