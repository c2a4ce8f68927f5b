//! Helpers shared by the cleanup tests.
#![allow(dead_code)]

use std::time::Duration;
use tricolor_gc::collect;
use tricolor_runtime::go;

/// Runs `f` on a goroutine of its own and returns its result: objects it allocates and does
/// not return are unreachable afterwards (its stack is gone, so no stale stack word keeps them
/// alive under conservative stack scanning).
pub fn on_own_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    go(f).join().unwrap()
}

/// Collects and waits for the cleanup queue until `done()` holds (a few rounds: a stale word
/// in a register or the collector's own frames can keep an object alive for a cycle).
pub fn collect_until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..10 {
        collect();
        assert!(tricolor_cleanup::wait_idle(Duration::from_secs(20)), "{what}: cleanup queue did not drain in 20 s");
        if done() {
            return;
        }
    }
    panic!("{what}: not done after 10 collections");
}

#[allow(unused_imports)] // not every test binary arms one
pub use tricolor_runtime::debug::watchdog;

/// Serialises the tests of one binary that need objects dead with those that panic or run
/// long without safepoints: the preemption signal lets a collection scan a goroutine in the
/// middle of its panic's backtrace, and that goroutine's deep frames (on a reused stack) may
/// hold stale words naming another test's objects (`add.rs`'s interior test failed 5 runs in
/// 6 beside the misuse tests). A poisoned lock (a `should_panic` test) is taken anyway.
#[allow(dead_code)] // not every test binary needs it
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}
