//! Issue 12 item 8, as the user met it: files whose descriptors are closed by cleanups, opened
//! in a loop under a low descriptor limit. Without pressure the process runs out of
//! descriptors before any collection runs; with a `Resource` every open succeeds.
//! One test per binary: it lowers this process's `RLIMIT_NOFILE`.

use std::fs::File;
use std::time::Duration;
use tricolor_cleanup::{wait_idle, Owned, Resource};
use tricolor_gc::collect;
use tricolor_runtime::block_on;

const NOFILE: u64 = 256;

fn set_nofile(n: u64) {
    let mut cur = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain system calls on valid pointers.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut cur), 0);
        let lim = libc::rlimit { rlim_cur: n, rlim_max: cur.rlim_max.max(n) };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0, "setrlimit");
    }
}

/// Opens a file owned by a collected object that becomes garbage at once.
#[inline(never)]
fn open_unpressured() -> std::io::Result<()> {
    let f = File::open("/dev/null")?;
    let _o = Owned::new(f);
    Ok(())
}

static FILES: Resource = Resource::new("test files", 200);

#[inline(never)]
fn open_pressured() {
    let token = FILES.acquire().unwrap_or_else(|e| panic!("{e}"));
    let f = File::open("/dev/null").unwrap_or_else(|e| panic!("open with {} tokens in use: {e}", FILES.in_use()));
    let _o = Owned::new((f, token));
}

#[test]
fn files_closed_by_cleanups_do_not_run_the_process_out_of_descriptors() {
    set_nofile(NOFILE);
    block_on(|| {
        // The control: the heap is tiny, so no collection runs and the opens fail.
        let mut failed_at = None;
        for i in 0..2 * NOFILE {
            if let Err(e) = open_unpressured() {
                assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                failed_at = Some(i);
                break;
            }
        }
        assert!(failed_at.is_some(), "the control opened {} files under a limit of {NOFILE}: it shows nothing", 2 * NOFILE);
        // Give the control's descriptors back.
        for _ in 0..10 {
            collect();
            wait_idle(Duration::from_secs(5));
            if File::open("/dev/null").is_ok() {
                break;
            }
        }

        // With the resource: 5,000 opens, never more than its 200 at once.
        for _ in 0..5_000 {
            open_pressured();
            assert!(FILES.in_use() <= FILES.limit());
        }
        assert!(tricolor_gc::stats().num_forced_gc > 0);
    });
}
