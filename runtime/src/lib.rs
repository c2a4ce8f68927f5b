//! Tricolor's scheduler: goroutines (G) multiplexed onto OS threads (M) that hold logical
//! processors (P), after Go's runtime (`proc.go`).
//!
//! # The model
//!
//! - A **G** runs a Rust closure on its own mmap'd stack with a guard page (`g/`). Switching
//!   between a G and its M's native stack (g0) is a hand-written context switch (`arch/`) that
//!   saves only callee-saved registers, so a switched-out G's roots are its stack from the saved
//!   stack pointer up plus those registers (`scan.rs`).
//! - An **M** is an OS thread running `schedule_loop` on g0 (`sched/schedule.rs`). A G never
//!   runs scheduler code on its own stack: to block, it `mcall`s to g0, which finishes the
//!   transition (status change, queueing, releasing the lock it waited under) with the G fully
//!   switched out (`sched/park.rs`).
//! - A **P** is the right to run Gs; there are `procs` of them. Each has a local run queue
//!   (ring + `runnext`, lock-free stealing, `runq/`), a timer heap (`timer/`), and a free list of
//!   dead Gs. A global run queue (checked every 61 schedules for fairness) takes overflow and
//!   Gs readied without a P.
//! - Idle Ps and Ms: an M without work releases its P and parks; a newly runnable G never waits
//!   for a sleeping thread while a P is idle, by the spinning protocol in `sched/idle.rs`.
//! - Sockets (`net`) park their goroutine until the descriptor is ready (`netpoll/`): a P
//!   that runs dry polls epoll, one idle M at a time blocks in it instead of sleeping, sysmon
//!   polls when nobody has for 10 ms and the restart after a stop polls before waking Ms.
//!
//! # Stopping
//!
//! `stop_the_world` and `for_each_p` (`stw.rs`) follow Go's handshake: idle Ps are taken
//! directly, running Ps stop at their next safepoint (`safepoint()`, every scheduler entry,
//! every park), and the request is re-sent every 100 µs. `blocking(|| ..)` leaves the P in
//! Syscall for the duration of a call that may block in the kernel, where a stop takes it, so
//! no stop waits for such a thread; sysmon retakes it for other work after ~20 µs.
//! Runtime critical sections run with the M's no-preempt count raised (`NoPreempt`, `lock.rs`),
//! so a goroutine never stops at a safepoint while holding something another thread waits for
//! (seed 001). A goroutine that does not poll gets the preemption signal (seed 004,
//! `preempt/signal.rs`), served from the same request flags: stops, ragged barriers, stack
//! scans and sysmon's 10 ms time slices.
//!
//! # Invariants kept here (numbers from `shared/reference/go-runtime-notes.md`)
//!
//! - 14/15: a G's scan bit is taken by a CAS from the observed status, and its holder never
//!   waits for the G (`g/status.rs`).
//! - 16 (adapted): the stop-the-world caller keeps running on its own stack; its G stays
//!   Running and scanners treat it as the stopper (`stw.rs`, `scan.rs`).
//! - 18: anything others wait on is held only with preemption disabled (`lock.rs`).
//! - 19: stop requests are re-sent (`stw.rs`).
//! - 33: `for_each_p` runs its function exactly once per P; a CAS arbitrates (`stw.rs`).
//!
//! # Rejected alternatives
//!
//! - Running the scheduler on the G's stack (no g0): then a parked G's stack would be in use
//!   while it waits, and "release the lock after the G is switched out" would be impossible.
//! - A lock-free timer state machine (Go 1.14–1.22): its transient states are what wedged Go
//!   1.14.1 (seed 001); we use Go 1.23's locks.
//! - Handing the P to sysmon for retake on long calls: without sysmon yet, `blocking` hands the
//!   P off eagerly (Go's `entersyscallblock`); the cost is a lock round trip per call.
//!
//! # Goroutines and thread-locals
//!
//! A goroutine may resume on another thread after any blocking operation, `yield_now` or
//! `safepoint()`. Rust `thread_local!` values are per thread: do not keep a reference to one
//! across those points, and do not park or yield while unwinding a panic (the runtime aborts
//! with a message, since unwinding state is per thread).

#![warn(missing_docs)]

#[cfg(not(target_os = "linux"))]
compile_error!("tricolor-runtime supports Linux only (x86_64 first, aarch64 next)");

mod arch;
mod blocking;
mod config;
/// A broken runtime or collector invariant: prints `fatal error: ...` and aborts, on any
/// thread (Go's `throw`; `debug::throw`). Takes `format!` arguments. For the runtime's own
/// crates; user misuse panics instead.
#[doc(hidden)]
#[macro_export]
macro_rules! throw {
    ($($arg:tt)*) => {
        $crate::debug::throw(format_args!($($arg)*))
    };
}

pub mod debug;
mod g;
pub mod gsync;
pub mod hooks;
mod lock;
mod m;
pub mod net;
mod netpoll;
mod os;
mod p;
mod preempt;
pub mod registry;
mod runq;
mod runtime;
pub mod scan;
mod sched;
mod spawn;
mod stw;
mod sync;
mod sysmon;
mod time;
mod timer;

#[cfg(test)]
mod tests;

pub use blocking::blocking;
pub use config::{BuildError, Builder, Config, DEFAULT_STACK_SIZE, MAX_STACK_SIZE, MIN_STACK_SIZE};
pub use g::status::GStatus;
pub use p::PStatus;
pub use preempt::{safepoint, NoPreempt};
pub use runtime::{block_on, Runtime};
pub use sched::park::yield_now;
pub use spawn::{current_id, go, try_go, JoinError, JoinHandle, SpawnError};
pub use stw::{for_each_p, stop_the_world, stw_histogram, stw_stats, stw_stopping_histogram, ProcId, StwSnapshot, WorldStopped};
pub use timer::{sleep, Timer};
