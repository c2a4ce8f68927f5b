//! A goroutine that overflows its stack hits the guard page and the process dies with
//! `goroutine N stack overflow (stack size X)`, not a bare SIGSEGV (issue 2, DESIGN decision 9).
//! The overflow runs in a child process: this test binary re-executes itself.

use std::process::Command;

const CHILD: &str = "TRICOLOR_TEST_OVERFLOW_CHILD";

#[inline(never)]
#[allow(unconditional_recursion)] // the point: it overflows the stack
fn recurse(n: u64, buf: &mut [u8; 1024]) -> u64 {
    let mut local = [0u8; 1024];
    local[(n % 1024) as usize] = buf[0].wrapping_add(1);
    std::hint::black_box(&mut local);
    recurse(n + 1, &mut local) + local[0] as u64
}

#[test]
fn overflow_prints_the_goroutine_and_stack_size() {
    if std::env::var_os(CHILD).is_some() {
        let rt = tricolor_runtime::Runtime::builder().procs(1).stack_size(64 * 1024).build().unwrap();
        rt.block_on(|| {
            tricolor_runtime::go(|| recurse(0, &mut [0; 1024])).join().ok();
        });
        unreachable!("recursion returned");
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--exact", "overflow_prints_the_goroutine_and_stack_size", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "child survived a stack overflow: {stderr}");
    let line = stderr.lines().find(|l| l.contains("stack overflow")).unwrap_or_else(|| panic!("no message in: {stderr}"));
    assert!(line.starts_with("goroutine ") && line.ends_with("stack overflow (stack size 65536)"), "{line}");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc_sigabrt()), "{:?}", out.status);
}

fn libc_sigabrt() -> i32 {
    6
}
