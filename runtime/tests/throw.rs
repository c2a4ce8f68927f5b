//! Broken invariants end the process with their message, on any thread (Go's `throw`; issue 9:
//! a collector panic on a scheduler thread killed that thread, and the process then hung for
//! ten minutes). Each case runs in a child process, which must die by SIGABRT, promptly, with
//! `fatal error: ...` on stderr.

use std::process::Command;
use std::time::{Duration, Instant};
use tricolor_runtime::{block_on, for_each_p, go, Runtime};

fn run_case(case: &str) -> (Option<i32>, String, Duration) {
    let t = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("THROW_CASE", case)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run child");
    use std::os::unix::process::ExitStatusExt;
    (out.status.signal(), String::from_utf8_lossy(&out.stderr).into_owned(), t.elapsed())
}

#[test]
#[ignore = "run by the tests below in a child process"]
fn child() {
    let Ok(case) = std::env::var("THROW_CASE") else { return };
    let rt = Runtime::builder().procs(2).build().unwrap();
    match case.as_str() {
        "goroutine" => rt.block_on(|| go(|| tricolor_runtime::throw!("test: broken on a goroutine")).join().unwrap()),
        "thread" => {
            let _ = block_on(|| 1);
            std::thread::spawn(|| tricolor_runtime::throw!("test: broken on a plain thread")).join().unwrap();
        }
        "for_each_p" => rt.block_on(|| {
            // A busy goroutine on the other P: the function runs on its M's scheduler stack.
            let _busy = go(|| loop {
                tricolor_runtime::safepoint();
            });
            for_each_p(|p| {
                if p.0 == 1 {
                    panic!("callback failed on P1");
                }
            });
        }),
        "park_on_system_stack" => rt.block_on(|| tricolor_runtime::hooks::on_system_stack(tricolor_runtime::yield_now)),
        other => panic!("unknown case {other}"),
    }
    std::thread::sleep(Duration::from_secs(30));
}

#[test]
fn a_broken_invariant_aborts_with_its_message_on_any_thread() {
    for (case, want) in [
        ("goroutine", "fatal error: test: broken on a goroutine"),
        ("thread", "fatal error: test: broken on a plain thread"),
        ("for_each_p", "fatal error: runtime: the for_each_p function panicked on P1 (callback failed on P1)"),
        ("park_on_system_stack", "fatal error: runtime: goroutine tried to park, yield or switch on the system stack"),
    ] {
        let (sig, err, took) = run_case(case);
        assert_eq!(sig, Some(libc_sigabrt()), "{case}: not aborted; stderr:\n{err}");
        assert!(err.contains(want), "{case}: stderr lacks {want:?}:\n{err}");
        assert!(took < Duration::from_secs(20), "{case}: took {took:?}");
    }
}

fn libc_sigabrt() -> i32 {
    6
}
