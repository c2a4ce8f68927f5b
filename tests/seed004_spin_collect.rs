//! Seed 004 through the public API (issue 11): a goroutine spins on a flag with no safepoint
//! poll while another forces collections with `gc::collect()` and then sets the flag; the
//! program ends. The spinner keeps a node only in its registers and stack: the collector must
//! scan it where the preemption signal interrupted it (from the signal frame while marking
//! concurrently; suspended in place inside stop-the-world collections), and `gccheckmark=1`
//! verifies nothing it held was missed. Run with the concurrent collector and with
//! `gcstoptheworld=1`, each in a child process (the collector's mode is process-wide).

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor::gc::{collect, stats, Gc, GcCell, Trace};
use tricolor::runtime::{go, Runtime};

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    v: u64,
}

#[test]
#[ignore = "run by the tests below in a child process"]
fn child() {
    if std::env::var_os("SEED004_CHILD").is_none() {
        return;
    }
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let spins = Arc::new(AtomicU64::new(0));
        let spinner = {
            let (flag, spins) = (flag.clone(), spins.clone());
            go(move || {
                let mine = Gc::new(Node { next: GcCell::new(Some(Gc::new(Node { next: GcCell::new(None), v: 2 }))), v: 1 });
                let mut n = 0u64;
                while !flag.load(Ordering::Relaxed) {
                    n = std::hint::black_box(n.wrapping_add(1));
                    if n.is_multiple_of(1 << 20) {
                        spins.store(n, Ordering::Relaxed);
                    }
                }
                let kid = mine.next.get().expect("the spinner's node lost its child");
                assert_eq!((std::hint::black_box(mine).v, kid.v), (1, 2), "the spinner's nodes were freed");
                n
            })
        };
        while spins.load(Ordering::Relaxed) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let t = Instant::now();
        let before = stats().num_gc;
        for i in 0..20u64 {
            // Garbage, so each cycle frees something.
            for k in 0..2_000u64 {
                std::hint::black_box(Gc::new(Node { next: GcCell::new(None), v: i * k }));
            }
            collect();
        }
        flag.store(true, Ordering::Relaxed);
        assert!(spinner.join().unwrap() > 0);
        eprintln!("child: {} collections beside a spinner in {:?}", stats().num_gc - before, t.elapsed());
    });
}

fn run(debug: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("SEED004_CHILD", "1")
        .env("TRICOLOR_DEBUG", debug)
        .output()
        .expect("run child");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child ({debug}) failed:\n{err}");
    assert!(err.contains("collections beside a spinner"), "child ({debug}) did not finish:\n{err}");
}

#[test]
fn collections_complete_beside_a_spinning_goroutine_concurrent() {
    run("gccheckmark=1,poisonfree=1");
}

#[test]
fn collections_complete_beside_a_spinning_goroutine_stop_the_world() {
    run("gcstoptheworld=1,gccheckmark=1,poisonfree=1");
}
