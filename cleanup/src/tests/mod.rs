//! Unit tests and loom models of the pool protocol.

#[cfg(loom)]
mod loom_pool;
#[cfg(not(loom))]
mod pool;
