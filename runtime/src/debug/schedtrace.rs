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

fn line(s: &Sched, t: Duration) -> String {
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
