//! `Watchdog`: turns a hang into a loud failure. A stress test or a soak run arms one; if it is
//! still armed after its limit, a plain thread (not a goroutine: it must run when the
//! scheduler is wedged) prints the scheduler state (`sched_dump`) and aborts the process.
//! `TRICOLOR_TEST_HANG_PAUSE` set: the thread waits two minutes before aborting, for attaching
//! a debugger.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An armed watchdog; dropping it (or `disarm`) stands it down.
#[derive(Debug)]
pub struct Watchdog {
    done: Arc<AtomicBool>,
}

/// Arms a watchdog named `name` that aborts the process unless disarmed within `limit`.
pub fn watchdog(name: &str, limit: Duration) -> Watchdog {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let name = name.to_string();
    std::thread::Builder::new()
        .name("tricolor-watchdog".into())
        .spawn(move || {
            let t = Instant::now();
            // Relaxed: a flag; the disarming thread publishes nothing else through it.
            while !d.load(Ordering::Relaxed) {
                if t.elapsed() > limit {
                    let dump = if crate::sched::try_sched().is_some() { super::sched_dump() } else { String::new() };
                    // Straight to fd 2: a test harness captures `eprintln!` from threads a test
                    // spawned (the dump died with the process), and a goroutine suspended in
                    // place may hold std's stderr lock.
                    crate::os::signal::write_stderr(format!("watchdog: {name} did not finish in {limit:?}: hang\n{dump}\n").as_bytes());
                    if std::env::var_os("TRICOLOR_TEST_HANG_PAUSE").is_some() {
                        std::thread::sleep(Duration::from_secs(120));
                    }
                    std::process::abort();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
        .unwrap_or_else(|e| crate::throw!("runtime: cannot start the watchdog thread: {e}"));
    Watchdog { done }
}

impl Watchdog {
    /// Stands the watchdog down.
    pub fn disarm(&self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.disarm();
    }
}
