//! Runtime configuration: the builder, its validation, and the environment variables read when
//! the process-wide runtime starts without one (`TRICOLOR_PROCS`, `TRICOLOR_STACK_SIZE`,
//! `TRICOLOR_MAX_GOROUTINES`).

use crate::os::mem::{max_map_count, page_size};
use std::fmt;

/// Default usable stack size of a goroutine.
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;
/// Smallest stack accepted: room for the runtime's entry frames, a panic and its unwinding.
pub const MIN_STACK_SIZE: usize = 16 * 1024;
/// Largest stack accepted (reserved address space per goroutine).
pub const MAX_STACK_SIZE: usize = 1 << 30;
/// Largest `procs` accepted.
pub const MAX_PROCS: usize = 4096;
/// Kernel mappings left for everything but goroutine stacks (heap arenas, libraries, threads).
const MAPPINGS_RESERVED: usize = 8192;

/// The settings of the process-wide runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Number of Ps (GOMAXPROCS).
    pub procs: usize,
    /// Usable bytes of each goroutine stack (a guard page sits below).
    pub stack_size: usize,
    /// Most goroutines alive at once; `go` past it fails with `SpawnError::TooManyGoroutines`.
    pub max_goroutines: usize,
}

/// Why a configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// `procs(0)`.
    ZeroProcs,
    /// More Ps than `MAX_PROCS`.
    TooManyProcs {
        /// The value passed.
        requested: usize,
    },
    /// A stack below `MIN_STACK_SIZE` (zero included).
    StackTooSmall {
        /// The value passed.
        requested: usize,
    },
    /// A stack above `MAX_STACK_SIZE`.
    StackTooLarge {
        /// The value passed.
        requested: usize,
    },
    /// `max_goroutines(0)` or more than the kernel's mapping limit allows.
    BadGoroutineLimit {
        /// The value passed.
        requested: usize,
        /// The largest limit this kernel's `vm.max_map_count` allows.
        kernel_max: usize,
    },
    /// An environment variable could not be parsed.
    BadEnv {
        /// The variable's name.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// An environment variable parsed, but its value is out of range (`reason` says why).
    EnvOutOfRange {
        /// The variable's name.
        var: &'static str,
        /// Its value.
        value: String,
        /// What the setting allows.
        reason: String,
    },
    /// The process-wide runtime is already running with another configuration.
    AlreadyRunning {
        /// The configuration it runs with.
        running: Config,
        /// The configuration asked for.
        requested: Config,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::ZeroProcs => {
                write!(f, "Runtime::builder().procs(0): a runtime needs at least one P")
            }
            BuildError::TooManyProcs { requested } => {
                write!(f, "Runtime::builder().procs({requested}): at most {MAX_PROCS} Ps are supported")
            }
            BuildError::StackTooSmall { requested } => write!(
                f,
                "Runtime::builder().stack_size({requested}): goroutine stacks must be at least \
                 {MIN_STACK_SIZE} bytes"
            ),
            BuildError::StackTooLarge { requested } => write!(
                f,
                "Runtime::builder().stack_size({requested}): goroutine stacks may be at most \
                 {MAX_STACK_SIZE} bytes (they are reserved up front for every goroutine)"
            ),
            BuildError::BadGoroutineLimit { requested, kernel_max } => write!(
                f,
                "Runtime::builder().max_goroutines({requested}): must be between 1 and \
                 {kernel_max} (each goroutine stack costs two of the kernel's \
                 vm.max_map_count mappings)"
            ),
            BuildError::BadEnv { var, value } => {
                write!(f, "environment variable {var}={value:?} is not a valid value")
            }
            BuildError::EnvOutOfRange { var, value, reason } => {
                write!(f, "environment variable {var}={value:?}: {reason}")
            }
            BuildError::AlreadyRunning { running, requested } => write!(
                f,
                "the process-wide Tricolor runtime is already running with {running:?}; it cannot \
                 be rebuilt with {requested:?} (configure it before its first use)"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

/// Largest goroutine limit this kernel allows.
pub(crate) fn kernel_goroutine_max() -> usize {
    (max_map_count().saturating_sub(MAPPINGS_RESERVED) / 2).max(64)
}

/// Configures the process-wide runtime. See `Runtime::builder`.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    procs: Option<usize>,
    stack_size: Option<usize>,
    max_goroutines: Option<usize>,
}

impl Builder {
    /// Number of Ps (default: `TRICOLOR_PROCS`, else the available cores).
    pub fn procs(mut self, n: usize) -> Self {
        self.procs = Some(n);
        self
    }

    /// Usable stack bytes per goroutine, rounded up to pages (default: `TRICOLOR_STACK_SIZE`,
    /// else 256 KiB).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Most goroutines alive at once (default: `TRICOLOR_MAX_GOROUTINES`, else what
    /// `vm.max_map_count` allows: (max_map_count − 8192) / 2, 28,669 on a default kernel).
    pub fn max_goroutines(mut self, n: usize) -> Self {
        self.max_goroutines = Some(n);
        self
    }

    /// Validates the settings, filling the unset ones from the environment and defaults.
    pub fn config(&self) -> Result<Config, BuildError> {
        // A value out of range names where it came from: the builder call, or the variable.
        let (procs, procs_env) = match self.procs {
            Some(n) => (n, None),
            None => match env_usize("TRICOLOR_PROCS")? {
                Some(n) => (n, Some("TRICOLOR_PROCS")),
                None => (std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1), None),
            },
        };
        if procs == 0 {
            return Err(from_env(procs_env, BuildError::ZeroProcs, "a runtime needs at least one P"));
        }
        if procs > MAX_PROCS {
            return Err(from_env(
                procs_env,
                BuildError::TooManyProcs { requested: procs },
                &format!("at most {MAX_PROCS} Ps are supported"),
            ));
        }
        let (stack, stack_env) = match self.stack_size {
            Some(n) => (n, None),
            None => match env_usize("TRICOLOR_STACK_SIZE")? {
                Some(n) => (n, Some("TRICOLOR_STACK_SIZE")),
                None => (DEFAULT_STACK_SIZE, None),
            },
        };
        if stack < MIN_STACK_SIZE {
            return Err(from_env(
                stack_env,
                BuildError::StackTooSmall { requested: stack },
                &format!("goroutine stacks must be at least {MIN_STACK_SIZE} bytes"),
            ));
        }
        if stack > MAX_STACK_SIZE {
            return Err(from_env(
                stack_env,
                BuildError::StackTooLarge { requested: stack },
                &format!("goroutine stacks may be at most {MAX_STACK_SIZE} bytes"),
            ));
        }
        let stack_size = stack.div_ceil(page_size()) * page_size();
        let kernel_max = kernel_goroutine_max();
        let (max_goroutines, max_env) = match self.max_goroutines {
            Some(n) => (n, None),
            None => match env_usize("TRICOLOR_MAX_GOROUTINES")? {
                Some(n) => (n, Some("TRICOLOR_MAX_GOROUTINES")),
                None => (kernel_max, None),
            },
        };
        if max_goroutines == 0 || max_goroutines > kernel_max {
            return Err(from_env(
                max_env,
                BuildError::BadGoroutineLimit { requested: max_goroutines, kernel_max },
                &format!("must be between 1 and {kernel_max} (each goroutine stack costs two of the kernel's vm.max_map_count mappings)"),
            ));
        }
        Ok(Config { procs, stack_size, max_goroutines })
    }
}

/// `e` as it applies to a builder call, or, when the value came from the environment variable
/// `var`, an error naming the variable and its value.
fn from_env(var: Option<&'static str>, e: BuildError, reason: &str) -> BuildError {
    match var {
        None => e,
        Some(var) => BuildError::EnvOutOfRange { var, value: std::env::var(var).unwrap_or_default(), reason: reason.to_string() },
    }
}

/// Parses a byte count or count with an optional k/m/g suffix.
fn env_usize(var: &'static str) -> Result<Option<usize>, BuildError> {
    let Ok(value) = std::env::var(var) else { return Ok(None) };
    let t = value.trim().to_ascii_lowercase();
    let (num, mul) = match t.strip_suffix(['k', 'm', 'g']) {
        Some(n) if t.ends_with('k') => (n, 1usize << 10),
        Some(n) if t.ends_with('m') => (n, 1 << 20),
        Some(n) => (n, 1 << 30),
        None => (t.as_str(), 1),
    };
    num.parse::<usize>().ok().and_then(|n| n.checked_mul(mul)).map(Some).ok_or(BuildError::BadEnv { var, value })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_named() {
        let e = Builder::default().procs(0).config().unwrap_err();
        assert_eq!(e, BuildError::ZeroProcs);
        assert!(e.to_string().contains("procs(0)"));
        let e = Builder::default().procs(1).stack_size(0).config().unwrap_err();
        assert!(e.to_string().contains("stack_size(0)"), "{e}");
        let e = Builder::default().procs(1).stack_size(1 << 40).config().unwrap_err();
        assert!(matches!(e, BuildError::StackTooLarge { .. }));
        let e = Builder::default().procs(1).max_goroutines(0).config().unwrap_err();
        assert!(e.to_string().contains("vm.max_map_count"), "{e}");
        let c = Builder::default().procs(3).stack_size(20_000).config().unwrap();
        assert_eq!(c.procs, 3);
        assert_eq!(c.stack_size % page_size(), 0);
        assert!(c.stack_size >= 20_000);
    }
}
