//! W12 "stress under load": runs the scenarios of `tricolor_benches::w12` as child processes
//! with more procs than cores, CPU-bound hog processes beside them and
//! `TRICOLOR_DEBUG=gccheckmark=1,poisonfree=1`, and counts what happened to every run: finished,
//! failed (a broken promise, reported by the scenario), crashed (a signal: an abort from a
//! collector invariant, a segfault), hung (killed at its deadline, after its watchdog printed
//! the scheduler's state). Any run that did not finish is a bug, and makes the exit status 1.
//!
//! ```text
//! w12 [--minutes M | --rounds N] [--secs S] [--procs P] [--hogs H] [--scenarios "w5 raw"]
//! w12 run <scenario> [--secs S]     # one scenario in this process (what the driver runs)
//! w12 hog                           # spin until killed (what the driver runs H of)
//! ```
//!
//! Defaults: one round of every scenario, 5 s each, procs = 2 × cores, hogs = cores. The soak
//! (`scripts/soak.sh`) is `--minutes 30`. Prints a line per run and a summary, and `metric`
//! lines for `benches/run.sh`.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tricolor_benches::report::metric;
use tricolor_benches::w12::{self, SCENARIOS};

struct Opts {
    minutes: Option<f64>,
    rounds: u64,
    secs: f64,
    procs: usize,
    hogs: usize,
    scenarios: Vec<String>,
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

fn parse(mut args: impl Iterator<Item = String>) -> Opts {
    let mut o = Opts {
        minutes: None,
        rounds: 1,
        secs: 5.0,
        procs: 2 * cores(),
        hogs: cores(),
        scenarios: SCENARIOS.iter().map(|s| s.to_string()).collect(),
    };
    let bad = |a: &str, v: &str| -> ! { panic!("w12: {a} wants a number, got {v:?}") };
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_default();
        match a.as_str() {
            "--minutes" => o.minutes = Some(v.parse().unwrap_or_else(|_| bad(&a, &v))),
            "--rounds" => o.rounds = v.parse().unwrap_or_else(|_| bad(&a, &v)),
            "--secs" => o.secs = v.parse().unwrap_or_else(|_| bad(&a, &v)),
            "--procs" => o.procs = v.parse().unwrap_or_else(|_| bad(&a, &v)),
            "--hogs" => o.hogs = v.parse().unwrap_or_else(|_| bad(&a, &v)),
            "--scenarios" => o.scenarios = v.split_whitespace().map(String::from).collect(),
            other => panic!("w12: unknown argument {other:?}; see the usage at the top of benches/src/bin/w12.rs"),
        }
    }
    for s in &o.scenarios {
        assert!(SCENARIOS.contains(&s.as_str()), "w12: unknown scenario {s:?} (known: {SCENARIOS:?})");
    }
    o
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    match args.peek().map(String::as_str) {
        Some("run") => {
            args.next();
            let name = args.next().expect("w12 run <scenario>");
            let o = parse(args);
            run_one(&name, o.secs)
        }
        Some("hog") => loop {
            std::hint::spin_loop();
        },
        _ => drive(parse(args)),
    }
}

/// Child side: one scenario, under a watchdog; prints `ok name=value...` or `FAILED why`.
fn run_one(name: &str, secs: f64) {
    let _hang = tricolor_runtime::debug::watchdog(&format!("w12 {name}"), Duration::from_secs_f64(secs * 4.0 + 60.0));
    match tricolor_runtime::block_on(|| w12::run(name, secs)) {
        Ok(figs) => {
            let f: Vec<String> = figs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!("ok {}", f.join(" "));
        }
        Err(e) => {
            println!("FAILED {e}");
            std::process::exit(1);
        }
    }
}

#[derive(Default)]
struct Tally {
    started: u64,
    finished: u64,
    failed: u64,
    crashed: u64,
    hung: u64,
}

fn drive(o: Opts) {
    let exe = std::env::current_exe().expect("w12: own path");
    let hogs: Vec<Child> =
        (0..o.hogs).map(|_| Command::new(&exe).arg("hog").stdout(Stdio::null()).spawn().expect("w12: start a hog")).collect();
    eprintln!(
        "w12: scenarios {:?}, {} s each, {} procs on {} cores, {} hogs, checkmark+poisonfree; {}",
        o.scenarios,
        o.secs,
        o.procs,
        cores(),
        o.hogs,
        match o.minutes {
            Some(m) => format!("for {m} minutes"),
            None => format!("{} round(s)", o.rounds),
        }
    );
    let t0 = Instant::now();
    let mut per: Vec<(String, Tally)> = o.scenarios.iter().map(|s| (s.clone(), Tally::default())).collect();
    let mut round = 0u64;
    loop {
        let more = match o.minutes {
            Some(m) => t0.elapsed() < Duration::from_secs_f64(m * 60.0),
            None => round < o.rounds,
        };
        if !more {
            break;
        }
        for (name, tally) in per.iter_mut() {
            tally.started += 1;
            let (outcome, detail, took) = child_run(&exe, name, &o);
            match outcome {
                Outcome::Finished => tally.finished += 1,
                Outcome::Failed => tally.failed += 1,
                Outcome::Crashed => tally.crashed += 1,
                Outcome::Hung => tally.hung += 1,
            }
            eprintln!("w12: [{:>6.1} s] {name:<8} {outcome:?} in {:.1} s: {detail}", t0.elapsed().as_secs_f64(), took.as_secs_f64());
        }
        round += 1;
    }
    for mut h in hogs {
        let _ = h.kill();
        let _ = h.wait();
    }
    let mut total = Tally::default();
    eprintln!("\nw12 summary ({:.1} min, {} procs, {} hogs):", t0.elapsed().as_secs_f64() / 60.0, o.procs, o.hogs);
    eprintln!("| scenario | started | finished | failed | crashed | hung |\n|---|---|---|---|---|---|");
    for (name, t) in &per {
        eprintln!("| {name} | {} | {} | {} | {} | {} |", t.started, t.finished, t.failed, t.crashed, t.hung);
        total.started += t.started;
        total.finished += t.finished;
        total.failed += t.failed;
        total.crashed += t.crashed;
        total.hung += t.hung;
    }
    println!("procs {}", o.procs);
    metric("runs_started", total.started as f64, "runs");
    metric("runs_finished", total.finished as f64, "runs");
    metric("runs_failed", (total.failed + total.crashed + total.hung) as f64, "runs");
    if total.finished != total.started {
        eprintln!("w12: {} of {} runs did not finish", total.started - total.finished, total.started);
        std::process::exit(1);
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Finished,
    Failed,
    Crashed,
    Hung,
}

/// Runs one scenario in a child process; its result line (or the tail of its stderr).
fn child_run(exe: &std::path::Path, name: &str, o: &Opts) -> (Outcome, String, Duration) {
    let t = Instant::now();
    let mut child = Command::new(exe)
        .args(["run", name, "--secs", &o.secs.to_string()])
        .env("TRICOLOR_PROCS", o.procs.to_string())
        .env("TRICOLOR_DEBUG", "gccheckmark=1,poisonfree=1")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("w12: start a run");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped")));
    let err = drain(Box::new(child.stderr.take().expect("piped")));
    // The in-process watchdog fires at 4 × secs + 60 s; kill a little after it.
    let deadline = Duration::from_secs_f64(o.secs * 4.0 + 90.0);
    let status = loop {
        if let Some(s) = child.try_wait().expect("w12: wait") {
            break Some(s);
        }
        if t.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = t.elapsed();
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    let tail = |s: &str| s.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    use std::os::unix::process::ExitStatusExt;
    match status {
        None => (Outcome::Hung, format!("killed at {deadline:?}\n{}", tail(&err)), took),
        Some(s) if s.success() => (Outcome::Finished, out.trim().to_string(), took),
        Some(s) if s.signal().is_some() || err.contains("watchdog:") => {
            let what = if err.contains("watchdog:") { Outcome::Hung } else { Outcome::Crashed };
            (what, format!("{s}\n{}", tail(&err)), took)
        }
        Some(_) => (Outcome::Failed, format!("{}\n{}", out.trim(), tail(&err)), took),
    }
}
