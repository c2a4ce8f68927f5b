//! Helpers shared by the gc integration tests: turning debug modes on before the collector
//! reads them, panic messages, and running one test of the current binary as a child process
//! (for settings read once per process, and for misuse that may hang or abort).

#![allow(dead_code)] // each test binary uses a different subset

use std::process::Command;
use std::sync::Once;
use std::time::{Duration, Instant};

/// Sets `TRICOLOR_DEBUG=modes` the first time it is called, and checks that it took effect.
/// `TRICOLOR_DEBUG` is read once per process, at the runtime's or the collector's first use,
/// so every test of a binary that wants the modes calls this before touching either (the
/// first caller wins; each binary uses one value).
pub fn debug_modes(modes: &'static str) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(v) = std::env::var("TRICOLOR_DEBUG") {
            eprintln!("note: replacing TRICOLOR_DEBUG={v:?} with {modes:?} for this test binary");
        }
        // Edition 2021: `set_var` is a safe fn. Nothing in the process reads the environment
        // concurrently: the runtime (whose threads would) starts at the first `block_on`,
        // after this.
        std::env::set_var("TRICOLOR_DEBUG", modes);
    });
    for kv in modes.split(',') {
        let (k, v) = kv.split_once('=').expect("modes are name=value pairs");
        assert_eq!(
            tricolor_runtime::debug::debug_var(k),
            Some(v.parse().expect("integer setting")),
            "TRICOLOR_DEBUG was read before this test binary set it"
        );
    }
}

/// The message of a caught panic.
pub fn panic_message(r: std::thread::Result<impl Sized>) -> String {
    let p = match r {
        Ok(_) => panic!("expected a panic"),
        Err(p) => p,
    };
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// Whether this process is a child started by `run_child`.
pub fn is_child() -> bool {
    std::env::var_os("TRICOLOR_TEST_CHILD").is_some()
}

/// Runs test `name` of the current test binary (an `#[ignore]`d test that returns at once
/// unless `is_child()`) in a child process with `env` added, killing it after `timeout`.
/// Returns its output, with `None` as the status if it had to be killed.
pub fn run_child(name: &str, env: &[(&str, &str)], timeout: Duration) -> (Option<std::process::ExitStatus>, String) {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"])
        .env("TRICOLOR_TEST_CHILD", "1")
        .env("RUST_BACKTRACE", "0")
        .env_remove("TRICOLOR_DEBUG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn child test");
    // Drain both pipes on threads, so a chatty child never blocks on a full pipe.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait child") {
            break Some(s);
        }
        if start.elapsed() > timeout {
            child.kill().expect("kill child");
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = child.wait();
    (status, out.join().expect("stdout reader") + &err.join().expect("stderr reader"))
}
