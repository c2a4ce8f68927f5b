//! Time slices by signal (issue 11, reference §7.3): a goroutine that computes without ever
//! reaching a safepoint gives up its P after 10 ms when others wait. sysmon asks at the next
//! safepoint first, then signals; the handler suspends the goroutine where it was, hands its P
//! on, and the goroutine resumes when a P is handed back (`Locked::pwait`).
//!
//! The user's view, on one P (where such a loop used to own the process):
//! - a sleeping goroutine wakes within 20 ms of its deadline while a pure compute loop runs;
//! - two such loops both advance (round robin through the suspension list).
//!
//! With `asyncpreemptoff=1` (child process) the sleeper waits for the loop to end: the test
//! that shows the bound is the mechanism's, not luck's.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_runtime::debug::watchdog;
use tricolor_runtime::{go, sleep, Runtime};

/// The tests share the process's one proc: run them one at a time, so that a sleeper waits
/// behind its own test's loops only (beside another test's loops and two CPU hogs it woke
/// 22-26 ms late at p90 in 2 runs of 4). A poisoned lock is taken anyway.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A loop with no call, no allocation and no safepoint, until `stop`; publishes progress.
fn spin(stop: &AtomicBool, progress: &AtomicU64) -> u64 {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n = std::hint::black_box(n.wrapping_add(1));
        if n.is_multiple_of(1 << 16) {
            progress.store(n, Ordering::Relaxed);
        }
    }
    n
}

/// One proc: `spinners` compute loops beside a goroutine sleeping 10 ms `sleeps` times.
/// Returns the sleeper's lateness per sleep, and each spinner's progress at the sleeper's end.
fn scenario(spinners: usize, sleeps: usize, spin_for: Option<Duration>) -> (Vec<Duration>, Vec<u64>) {
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let progress: Vec<Arc<AtomicU64>> = (0..spinners).map(|_| Arc::new(AtomicU64::new(0))).collect();
        let loops: Vec<_> = progress
            .iter()
            .map(|p| {
                let (stop, p) = (stop.clone(), p.clone());
                go(move || spin(&stop, &p))
            })
            .collect();
        if let Some(d) = spin_for {
            // Ends the loops from outside the runtime (the runtime's only P may be theirs).
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(d);
                stop.store(true, Ordering::Relaxed);
            });
        }
        let sleeper = go(move || {
            let mut late = Vec::new();
            for _ in 0..sleeps {
                let t = Instant::now();
                sleep(Duration::from_millis(10));
                late.push(t.elapsed().saturating_sub(Duration::from_millis(10)));
            }
            late
        });
        let late = sleeper.join().unwrap();
        let seen: Vec<u64> = progress.iter().map(|p| p.load(Ordering::Relaxed)).collect();
        stop.store(true, Ordering::Relaxed);
        for l in loops {
            l.join().unwrap();
        }
        (late, seen)
    })
}

fn quantile(mut v: Vec<Duration>, q: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * q) as usize]
}

#[test]
fn a_sleeper_wakes_on_time_beside_a_compute_loop() {
    let _one = serial();
    let _hang = watchdog("time slice: sleeper beside a loop", Duration::from_secs(60));
    let (late, _) = scenario(1, 30, None);
    let (p50, p90, max) = (quantile(late.clone(), 0.5), quantile(late.clone(), 0.9), quantile(late, 1.0));
    let st = tricolor_runtime::stw_stats();
    eprintln!(
        "sleeper beside a compute loop on 1 proc: lateness p50 {p50:?} p90 {p90:?} max {max:?}; {} time-slice suspensions",
        st.slice_suspensions
    );
    assert!(st.slice_suspensions > 0, "the loop was never suspended for its time slice");
    // The bound of the issue, on the 90th percentile: this machine is shared and a single
    // sleep can be late for reasons of the OS's own.
    assert!(p90 <= Duration::from_millis(20), "the sleeper woke {p90:?} late (p90) beside a compute loop");
}

#[test]
fn two_compute_loops_share_one_proc() {
    let _one = serial();
    let _hang = watchdog("time slice: two loops", Duration::from_secs(60));
    let (_, seen) = scenario(2, 20, None);
    eprintln!("two compute loops on 1 proc, progress after 20 sleeps: {seen:?}");
    assert!(seen.iter().all(|&n| n > 0), "a compute loop never ran: {seen:?}");
}

#[test]
#[ignore = "run by the test below in a child process"]
fn child() {
    if std::env::var_os("TIME_SLICE_CHILD").is_none() {
        return;
    }
    let (late, _) = scenario(1, 3, Some(Duration::from_millis(600)));
    println!("LATEST {}", quantile(late, 1.0).as_millis());
}

#[test]
fn without_signals_the_loop_keeps_the_proc() {
    let _hang = watchdog("time slice: asyncpreemptoff", Duration::from_secs(60));
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child", "--nocapture", "--test-threads=1"])
        .env("TIME_SLICE_CHILD", "1")
        .env("TRICOLOR_DEBUG", "asyncpreemptoff=1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let latest: u64 = stdout
        .lines()
        .find_map(|l| l.split_once("LATEST ").map(|(_, v)| v))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no LATEST line in {stdout}"));
    // The loop ran 600 ms and only ended from outside: a sleeper on its P waited for that.
    assert!(latest >= 300, "with asyncpreemptoff=1 the sleeper was only {latest} ms late: what woke it?");
}

/// Two goroutines taking turns on a std `Mutex` (a lock the runtime knows nothing about) on
/// one proc. A goroutine suspended for its time slice while holding the lock gives its P to
/// the other, which blocks in `futex` on the lock holding the only P: the signal's
/// system-call rescue turns that wait into a blocking call so the P comes back to the holder.
/// Before the rescue, the same program writing to stderr hung in 3 runs of 3.
#[test]
fn goroutines_contending_on_a_std_lock_share_one_proc() {
    let _one = serial();
    let _hang = watchdog("time slice: std lock on one proc", Duration::from_secs(60));
    let rt = Runtime::builder().procs(1).build().unwrap();
    let counts = rt.block_on(|| {
        let lock = Arc::new(std::sync::Mutex::new(0u64));
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let lock = lock.clone();
                go(move || {
                    let t = Instant::now();
                    let mut mine = 0u64;
                    while t.elapsed() < Duration::from_millis(400) {
                        let mut g = lock.lock().unwrap();
                        // Work inside the lock, so time slices end there.
                        let until = Instant::now() + Duration::from_micros(50);
                        while Instant::now() < until {
                            *g = std::hint::black_box(*g + 1);
                        }
                        drop(g);
                        mine += 1;
                    }
                    mine
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
    });
    let st = tricolor_runtime::stw_stats();
    eprintln!(
        "std-lock turns on 1 proc: {counts:?}; {} time-slice suspensions, {} system calls rescued",
        st.slice_suspensions, st.syscall_rescues
    );
    assert!(counts.iter().all(|&n| n > 0), "a goroutine never got the lock: {counts:?}");
}
