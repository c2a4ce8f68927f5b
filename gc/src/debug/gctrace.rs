//! `gctrace=1`: one line per cycle on stderr in Go's format:
//!
//! `gc N @Ts U%: A+B+C ms clock, D+E/F/G+H ms cpu (stop #1, assist/background/idle mark,
//! stop #2; a stop-the-world cycle's mark is all background), H0->H1->H2 MB, GOAL MB goal, S MB stacks, 0 MB globals, P P [(forced)]`
//!
//! For this stop-the-world collector: A = stopping the world, B = marking (world stopped), C =
//! mark termination until restart; CPU: D = A × P, E = assists (0), F = B × P (every P marks),
//! G = idle marking (0), H = C × P. H0 = live-heap estimate when the cycle began, H1 = at the
//! stop, H2 = marked (live) bytes. U% = GC CPU since start.

use crate::collector::Collector;
use crate::stats::CycleStats;

fn ms(d: std::time::Duration) -> String {
    let v = d.as_secs_f64() * 1e3;
    if v >= 10.0 {
        format!("{v:.0}")
    } else if v >= 0.1 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn mb(b: usize) -> usize {
    b >> 20
}

/// The line for cycle `s`.
pub(crate) fn line(c: &Collector, s: &CycleStats) -> String {
    let p = s.procs as u32;
    let wall = c.start.elapsed().as_secs_f64() * s.procs as f64;
    let u = if wall > 0.0 { c.stats.gc_cpu().as_secs_f64() / wall * 100.0 } else { 0.0 };
    format!(
        "gc {} @{:.3}s {:.0}%: {}+{}+{} ms clock, {}+{}/{}/{}+{} ms cpu, {}->{}->{} MB, {} MB goal, {} MB stacks, 0 MB globals, {} MB scanned, {} P{}",
        s.n,
        s.at.as_secs_f64(),
        u,
        ms(s.stop),
        ms(s.mark),
        ms(s.term),
        ms(s.stop * p),
        ms(s.assist_cpu),
        ms(if s.concurrent { s.bg_cpu } else { s.mark * p }),
        ms(s.idle_cpu),
        ms(s.term * p),
        mb(s.heap0),
        mb(s.heap1),
        mb(s.marked),
        if s.goal == usize::MAX { "∞".to_string() } else { mb(s.goal).to_string() },
        mb(s.stack_bytes),
        mb(s.scanned),
        s.procs,
        if s.forced { " (forced)" } else { "" }
    )
}
