//! Helpers shared by the integration tests.

pub use tricolor_runtime::debug::watchdog;
