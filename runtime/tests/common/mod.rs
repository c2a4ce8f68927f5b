//! Helpers shared by the integration tests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Aborts the process if the test does not set the returned flag within `limit`, printing the
/// scheduler state: a hang must fail loudly, not stall CI. `TRICOLOR_TEST_HANG_PAUSE` keeps the
/// process alive for two minutes first, for attaching a debugger.
pub fn watchdog(name: &'static str, limit: Duration) -> Arc<AtomicBool> {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    std::thread::spawn(move || {
        let t = Instant::now();
        while !d.load(Ordering::Relaxed) {
            if t.elapsed() > limit {
                eprintln!("watchdog: {name} did not finish in {limit:?}: hang\n{}", tricolor_runtime::debug::sched_dump());
                if std::env::var_os("TRICOLOR_TEST_HANG_PAUSE").is_some() {
                    std::thread::sleep(Duration::from_secs(120));
                }
                std::process::abort();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    done
}
