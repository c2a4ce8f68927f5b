//! `Runtime`: the handle to the process-wide runtime, configured once (builder or environment)
//! and entered from any thread with `block_on`.

use crate::config::{BuildError, Builder, Config};
use crate::sched::{init, sched, Sched};
use crate::spawn::block_on_in;

/// The process-wide runtime. Every `Runtime` value refers to the same one.
#[derive(Clone, Copy, Debug)]
pub struct Runtime {
    s: &'static Sched,
}

impl Runtime {
    /// A builder to configure the runtime before its first use.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The runtime, started from the environment (`TRICOLOR_PROCS`, `TRICOLOR_STACK_SIZE`,
    /// `TRICOLOR_MAX_GOROUTINES`) if it is not running yet.
    ///
    /// # Panics
    /// If an environment variable holds an invalid value.
    pub fn global() -> Runtime {
        Runtime { s: sched() }
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.s.cfg
    }

    /// Runs `f` as a goroutine and blocks the calling thread until it returns; see
    /// `crate::block_on`.
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        block_on_in(self.s, f)
    }
}

impl Builder {
    /// Starts the process-wide runtime with these settings, or returns it if it already runs
    /// with the same settings.
    ///
    /// # Errors
    /// A `BuildError` naming the invalid setting, or `AlreadyRunning` if the runtime was
    /// started with a different configuration.
    pub fn build(self) -> Result<Runtime, BuildError> {
        let cfg = self.config()?;
        Ok(Runtime { s: init(cfg)? })
    }
}

/// Runs `f` as a goroutine on the process-wide runtime (started from the environment if
/// needed) and blocks the calling thread until it returns, returning its value. A panic in `f`
/// resumes on the caller. Any number of threads may be inside `block_on` at once.
///
/// ```
/// let v = tricolor_runtime::block_on(|| {
///     let h = tricolor_runtime::go(|| 6 * 7);
///     h.join().unwrap()
/// });
/// assert_eq!(v, 42);
/// ```
///
/// # Panics
/// When called on a goroutine: a goroutine must not block its thread (use `go` and `join`).
pub fn block_on<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    Runtime::global().block_on(f)
}
