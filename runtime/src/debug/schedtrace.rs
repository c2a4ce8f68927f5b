//! `TRICOLOR_DEBUG=schedtrace=MS`: every MS milliseconds print one line about the scheduler to
//! stderr, in Go's `schedtrace` format. Printed by a plain thread (sysmon will own it later); it
//! reads racy counters and takes the scheduler lock briefly, never blocking the scheduler.

use crate::sched::Sched;
use crate::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Starts the printer if `schedtrace` is set. Called once when the scheduler starts.
pub(crate) fn start(s: &'static Sched) {
    let Some(ms) = super::env::debug_var("schedtrace").filter(|&ms| ms > 0) else { return };
    let start = Instant::now();
    std::thread::Builder::new()
        .name("tricolor-schedtrace".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_millis(ms as u64));
            eprintln!("{}", line(s, start.elapsed()));
        })
        .unwrap_or_else(|e| crate::throw!("runtime: cannot start the schedtrace thread: {e}"));
}

/// A stop-the-world older than this is reported with the Ps it still waits for.
const STUCK_STOP_NS: i64 = 10_000_000;

fn line(s: &Sched, t: Duration) -> String {
    let mut l = basic_line(s, t);
    l.push_str(&stuck_stop(s));
    l
}

/// ` stopping=MSms: P1 runs goroutine 7 (not at a safepoint)...` when a stop-the-world has
/// waited longer than `STUCK_STOP_NS` (a goroutine that never reaches a safepoint holds it up:
/// seed 004); empty otherwise.
fn stuck_stop(s: &Sched) -> String {
    use crate::p::PStatus;
    // Relaxed: diagnostic snapshot.
    let at = s.stop_requested_at.load(Ordering::Relaxed);
    if at == 0 || !s.gcwaiting.load(Ordering::Acquire) {
        return String::new();
    }
    let waited = crate::time::nanotime() - at;
    if waited < STUCK_STOP_NS {
        return String::new();
    }
    let mut out = format!(" stopping={}ms:", waited / 1_000_000);
    for p in s.allp.iter() {
        if p.status() == PStatus::GcStop {
            continue;
        }
        // SAFETY: M records are never freed; a racy read names whoever runs there now.
        let g = unsafe { p.m.load(Ordering::Acquire).as_ref() }.and_then(|m| m.curg());
        match g {
            Some(g) => out.push_str(&format!(" P{} runs goroutine {} (not at a safepoint)", p.id, g.goid())),
            None => out.push_str(&format!(" P{} is {:?}", p.id, p.status())),
        }
    }
    out
}

fn basic_line(s: &Sched, t: Duration) -> String {
    let (runq, idlem) = {
        let l = s.lock.lock();
        (l.runq.len(), l.midle.len())
    };
    let local: Vec<String> = s.allp.iter().map(|p| p.runq.len().to_string()).collect();
    format!(
        "SCHED {}ms: gomaxprocs={} idleprocs={} threads={} spinningthreads={} needspinning={} idlethreads={} runqueue={} goroutines={} stw={} [{}]",
        t.as_millis(),
        s.cfg.procs,
        s.npidle.load(Ordering::Relaxed),
        s.mnext.load(Ordering::Relaxed) - 1,
        s.nmspinning.load(Ordering::Relaxed),
        s.needspinning.load(Ordering::Relaxed),
        idlem,
        runq,
        s.alive.load(Ordering::Relaxed),
        s.stats.count.load(Ordering::Relaxed),
        local.join(" ")
    )
}
