//! Issue 10's bad input: a stop-the-world that cannot complete because a goroutine never
//! reaches a safepoint (seed 004) is diagnosed in `schedtrace` output — which P, which
//! goroutine, how long the stop has waited — instead of hanging silently. The child process
//! spins one goroutine on a flag without safepoints while another stops the world; a plain
//! thread releases the spinner after 400 ms, so the stop completes and the child exits. The
//! child runs with `asyncpreemptoff=1`: a stop the preemption signal can complete is never
//! held up (`tests/seed004_spin_collect.rs`).

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tricolor_runtime::{go, stop_the_world, Runtime};

static RELEASE: AtomicBool = AtomicBool::new(false);

#[test]
#[ignore = "run by the test below in a child process"]
fn child() {
    if std::env::var_os("STUCK_STOP_CHILD").is_none() {
        return;
    }
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let spinner = go(|| {
            let mut n = 0u64;
            while !RELEASE.load(Ordering::Relaxed) {
                n = std::hint::black_box(n + 1);
            }
            n
        });
        // Let the spinner take the other P.
        std::thread::sleep(Duration::from_millis(50));
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(400));
            RELEASE.store(true, Ordering::Relaxed);
        });
        let w = stop_the_world();
        drop(w);
        eprintln!("child: stopped after the spinner let go; spinner goroutine {:?}", spinner.id());
        spinner.join().unwrap();
    });
}

#[test]
fn a_stop_held_up_by_a_goroutine_names_it_in_schedtrace() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("STUCK_STOP_CHILD", "1")
        // Cooperative only: the preemption signal would stop the spinner at once.
        .env("TRICOLOR_DEBUG", "schedtrace=50,asyncpreemptoff=1")
        .output()
        .expect("run child");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{err}");
    let line = err.lines().find(|l| l.contains(" stopping=")).unwrap_or_else(|| panic!("no stuck-stop report in:\n{err}"));
    assert!(line.contains("runs goroutine"), "the report does not name the goroutine: {line}");
}
