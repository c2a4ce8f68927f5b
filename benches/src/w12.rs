//! W12 "stress under load": the scenarios that found issue 9's races, each run as its own
//! process by the `w12` driver (`src/bin/w12.rs`) with more procs than cores, CPU hogs beside
//! it and `gccheckmark=1,poisonfree=1`. A scenario returns its figures, or `Err` naming the
//! broken promise; a hang is caught by the driver's timeout (and the in-process watchdog,
//! which prints the scheduler's state first).
//!
//! - `w5`: W5's concurrent phase (2 readers upgrading a rotating set, a `collect()` loop, a
//!   replacer): bad upgrades must be 0.
//! - `seed001`: two goroutines reset timers every 1-2 µs beside a `collect()` loop: all three
//!   progress in every window.
//! - `weak`: Go's TestIssue69210 shape: every P's goroutine makes weak pointers to fresh
//!   objects and upgrades them beside a `collect()` loop: each upgrade of a live object returns
//!   it, and rounds keep completing.
//! - `cleanup`: seed 003's demand: cleanups registered on dropped objects each run exactly once.
//! - `raw`: a VM on the raw API: conses built with `raw::alloc`/`write_ptr`/`read_ptr`, weak
//!   pointers and cleanups (added, half stopped) on objects of the conses' size class, beside a
//!   `collect()` loop: no lookup of a live object fails.
//! - `sleep`: 10 ms sleeps beside a `collect()` loop: the worst lateness is reported (and must
//!   stay under a second even with hogs).
//!
//! Every scenario must run on a goroutine (inside `block_on`).

use crate::w5;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_gc::{collect, raw, Gc, TypeInfo};
use tricolor_runtime::{go, safepoint, sleep, yield_now, JoinHandle, Timer};
use tricolor_weak::Pointer;

/// The scenarios, by name.
pub const SCENARIOS: &[&str] = &["w5", "seed001", "weak", "cleanup", "raw", "sleep"];

/// What a scenario reports: `name value` pairs for the driver's table.
pub type Figures = Vec<(&'static str, f64)>;

/// Runs scenario `name` for about `secs`.
pub fn run(name: &str, secs: f64) -> Result<Figures, String> {
    let d = Duration::from_secs_f64(secs);
    match name {
        "w5" => scenario_w5(d),
        "seed001" => scenario_seed001(d),
        "weak" => scenario_weak(d),
        "cleanup" => scenario_cleanup(d),
        "raw" => scenario_raw(d),
        "sleep" => scenario_sleep(d),
        other => Err(format!("w12: unknown scenario {other:?} (known: {SCENARIOS:?})")),
    }
}

/// Starts a goroutine that runs `collect()` back to back until `stop`; returns the count.
fn collect_loop(stop: &Arc<AtomicBool>) -> JoinHandle<u64> {
    let stop = stop.clone();
    go(move || {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            collect();
            n += 1;
        }
        n
    })
}

/// Calls `check` every `window` until `d` has passed; stops at its first error.
fn windows(d: Duration, window: Duration, mut check: impl FnMut(u32) -> Result<(), String>) -> Result<(), String> {
    let t = Instant::now();
    let mut w = 0;
    while t.elapsed() < d {
        sleep(window);
        check(w)?;
        w += 1;
    }
    Ok(())
}

fn scenario_w5(d: Duration) -> Result<Figures, String> {
    let c = w5::concurrent(d);
    let r = c.readers;
    if r.bad != 0 {
        return Err(format!("{} bad upgrades of {} (a freed or reused object came back)", r.bad, r.upgrades));
    }
    if r.upgrades == 0 || c.collections == 0 {
        return Err(format!("no progress: {} upgrades, {} collections", r.upgrades, c.collections));
    }
    Ok(vec![("upgrades", r.upgrades as f64), ("bad", 0.0), ("collections", c.collections as f64)])
}

fn scenario_seed001(d: Duration) -> Result<Figures, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let resets: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let resetters: Vec<_> = (0..2)
        .map(|i| {
            let (stop, resets) = (stop.clone(), resets.clone());
            go(move || {
                let t = Timer::new(Duration::from_micros(1));
                while !stop.load(Ordering::Relaxed) {
                    t.reset(Duration::from_micros(1 + i as u64));
                    resets[i].fetch_add(1, Ordering::Relaxed);
                    safepoint();
                }
            })
        })
        .collect();
    let gc = collect_loop(&stop);
    let cycles0 = tricolor_gc::stats().num_gc;
    let mut last = ([0u64; 2], cycles0);
    let r = windows(d, Duration::from_millis(500), |w| {
        let now = ([resets[0].load(Ordering::Relaxed), resets[1].load(Ordering::Relaxed)], tricolor_gc::stats().num_gc);
        if now.0[0] == last.0[0] || now.0[1] == last.0[1] || now.1 == last.1 {
            return Err(format!("no progress in window {w}: resets {:?} -> {:?}, cycles {} -> {}", last.0, now.0, last.1, now.1));
        }
        last = now;
        Ok(())
    });
    stop.store(true, Ordering::Relaxed);
    for h in resetters {
        h.join().map_err(|e| format!("a resetter panicked: {e}"))?;
    }
    let n = gc.join().map_err(|e| format!("the collector panicked: {e}"))?;
    r?;
    Ok(vec![("resets", (last.0[0] + last.0[1]) as f64), ("collections", n as f64)])
}

fn scenario_weak(d: Duration) -> Result<Figures, String> {
    const PER_ROUND: u64 = 1000;
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let procs = tricolor_runtime::hooks::procs();
    let makers: Vec<JoinHandle<Result<(), String>>> = (0..procs)
        .map(|k| {
            let (stop, rounds) = (stop.clone(), rounds.clone());
            go(move || {
                let mut id = (k as u64) << 40;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..PER_ROUND {
                        id += 1;
                        let o = w5::new_obj(id);
                        let p = Pointer::new(&o);
                        match p.upgrade() {
                            Some(u) if Gc::ptr_eq(u, o) && u.id == id && u.canary == w5::canary(id) => {}
                            Some(u) => return Err(format!("object {id} upgraded to another object (id {})", u.id)),
                            None => return Err(format!("a weak pointer to live object {id} read empty")),
                        }
                        std::hint::black_box(o);
                    }
                    rounds.fetch_add(1, Ordering::Relaxed);
                    yield_now();
                }
                Ok(())
            })
        })
        .collect();
    let gc = collect_loop(&stop);
    let mut last = 0;
    let r = windows(d, Duration::from_millis(500), |w| {
        let now = rounds.load(Ordering::Relaxed);
        if now == last {
            return Err(format!("no round of {PER_ROUND} weak pointers completed in window {w} ({now} so far)"));
        }
        last = now;
        Ok(())
    });
    stop.store(true, Ordering::Relaxed);
    for h in makers {
        h.join().map_err(|e| format!("a maker panicked: {e}"))??;
    }
    let n = gc.join().map_err(|e| format!("the collector panicked: {e}"))?;
    r?;
    Ok(vec![("rounds", rounds.load(Ordering::Relaxed) as f64), ("collections", n as f64)])
}

fn scenario_cleanup(d: Duration) -> Result<Figures, String> {
    const PER_P: u64 = 5000;
    let procs = tricolor_runtime::hooks::procs() as u64;
    let t = Instant::now();
    let (mut total, mut rounds) = (0u64, 0u64);
    while t.elapsed() < d {
        let ran: Arc<Vec<std::sync::atomic::AtomicU8>> = Arc::new((0..procs * PER_P).map(|_| Default::default()).collect());
        let twice = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..procs)
            .map(|p| {
                let (ran, twice) = (ran.clone(), twice.clone());
                go(move || {
                    for i in p * PER_P..(p + 1) * PER_P {
                        let (ran, twice) = (ran.clone(), twice.clone());
                        tricolor_cleanup::add(
                            &Gc::new([i; 2]),
                            move |i: u64| {
                                if ran[i as usize].fetch_add(1, Ordering::SeqCst) != 0 {
                                    twice.store(true, Ordering::SeqCst);
                                }
                            },
                            i,
                        );
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|e| format!("a registering goroutine panicked: {e}"))?;
        }
        // Until every cleanup ran: the objects died on their goroutines' stacks, which are gone.
        let mut waited = 0;
        while ran.iter().any(|r| r.load(Ordering::SeqCst) == 0) {
            collect();
            if !tricolor_cleanup::wait_idle(Duration::from_secs(30)) {
                return Err(format!("the cleanup queue did not drain in 30 s: {:?}", tricolor_cleanup::stats()));
            }
            waited += 1;
            if waited > 20 {
                let missing = ran.iter().filter(|r| r.load(Ordering::SeqCst) == 0).count();
                return Err(format!("{missing} of {} cleanups never ran after 20 collections", ran.len()));
            }
        }
        if twice.load(Ordering::SeqCst) {
            return Err("a cleanup ran twice".into());
        }
        total += ran.len() as u64;
        rounds += 1;
    }
    Ok(vec![("cleanups", total as f64), ("rounds", rounds as f64)])
}

/// The VM's cons cell: car and cdr pointer words, a tag word.
fn cons_type() -> &'static TypeInfo {
    static T: std::sync::OnceLock<&'static TypeInfo> = std::sync::OnceLock::new();
    T.get_or_init(|| TypeInfo::from_bitmap("w12::Cons", 24, &[0b011]).expect("w12: cons bitmap"))
}

fn scenario_raw(d: Duration) -> Result<Figures, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let gc = collect_loop(&stop);
    let procs = tricolor_runtime::hooks::procs();
    let workers: Vec<JoinHandle<Result<u64, String>>> = (0..procs)
        .map(|w| {
            let stop = stop.clone();
            go(move || {
                let ty = cons_type();
                let mut list = 0usize;
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let c = raw::alloc(ty).map_err(|e| e.to_string())?.as_ptr() as usize;
                    raw::write_ptr(c, 8, list).map_err(|e| format!("worker {w}: write_ptr to a fresh cons: {e}"))?;
                    if raw::read_ptr(c, 8).map_err(|e| format!("worker {w}: read_ptr: {e}"))? != list {
                        return Err(format!("worker {w}: read_ptr returned another value"));
                    }
                    // Objects of the conses' size class (24 + 8 bytes): weak pointers, cleanups.
                    let g = Gc::new([n; 3]);
                    let wp = Pointer::new(&g);
                    if wp.upgrade().map(|o| o[0]) != Some(n) {
                        return Err(format!("worker {w}: a weak pointer to a live object read wrong"));
                    }
                    let cl = tricolor_cleanup::add(&g, |_: u64| {}, n);
                    if n.is_multiple_of(2) {
                        cl.stop();
                    }
                    std::hint::black_box(g);
                    // Walk the list now and then: every cons on it is alive.
                    if n.is_multiple_of(64) {
                        let mut p = list;
                        while p != 0 {
                            p = raw::read_ptr(p, 8).map_err(|e| format!("worker {w}: a listed cons is gone: {e}"))?;
                        }
                    }
                    list = if n.is_multiple_of(256) { 0 } else { c };
                    n += 1;
                    if n.is_multiple_of(1024) {
                        yield_now();
                    }
                }
                Ok(n)
            })
        })
        .collect();
    sleep(d);
    stop.store(true, Ordering::Relaxed);
    let mut ops = 0;
    for h in workers {
        ops += h.join().map_err(|e| format!("a raw worker panicked: {e}"))??;
    }
    let n = gc.join().map_err(|e| format!("the collector panicked: {e}"))?;
    Ok(vec![("ops", ops as f64), ("collections", n as f64)])
}

fn scenario_sleep(d: Duration) -> Result<Figures, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let gc = collect_loop(&stop);
    let t = Instant::now();
    let (mut worst, mut n, mut late) = (Duration::ZERO, 0u64, 0u64);
    while t.elapsed() < d {
        let s = Instant::now();
        sleep(Duration::from_millis(10));
        let e = s.elapsed();
        worst = worst.max(e);
        late += (e > Duration::from_millis(20)) as u64;
        n += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let cycles = gc.join().map_err(|e| format!("the collector panicked: {e}"))?;
    if worst > Duration::from_secs(1) {
        return Err(format!("a 10 ms sleep took {worst:?} beside a collect() loop"));
    }
    Ok(vec![("sleeps", n as f64), ("late_over_20ms", late as f64), ("worst_ms", worst.as_secs_f64() * 1e3), ("collections", cycles as f64)])
}
