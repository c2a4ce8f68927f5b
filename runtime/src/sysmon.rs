//! sysmon (reference §7.3, Go's `sysmon`): a runtime thread without a P. Its duties so far:
//! - time slices (Go's `retake`/`preemptone`): it asks a goroutine to yield at its next
//!   safepoint when it has held its P for 10 ms while others wait — goroutines on that P's
//!   queue or the global one, or timers due on that P (which only its scheduler runs). The
//!   slice is cooperative: the preemption signal (`preempt/signal.rs`) serves stops and scans
//!   in place but cannot switch goroutines, so a goroutine that never polls keeps its P;
//! - the collector's time-based duties through the seam (`hooks::sysmon_tick`: the periodic
//!   collection, Go's `forcegc`).
//!
//! Not yet: retaking Ps from blocking calls (`blocking` hands its P off at entry) and the
//! netpoll slot.
//!
//! Why it exists before the rest of issue 11: stop-the-world collections preempted every
//! goroutine many times a second, which hid that a loop polling `safepoint()` but never
//! yielding keeps its P from everything queued behind it. With concurrent marking the stops are
//! rare and short, and such loops starved the collector's own helpers and every sleeper
//! (`tests/seed001_collect_loop.rs` hung).
//!
//! Sleeps 1 ms while some P runs Go code, backing off to 20 ms when every P is idle.

use crate::p::PStatus;
use crate::sched::Sched;
use crate::sync::atomic::Ordering;
use crate::time::nanotime;

/// How long a goroutine may keep its P while others wait.
const FORCE_PREEMPT_NS: i64 = 10_000_000;

/// Starts the thread (once, with the scheduler).
pub(crate) fn start(s: &'static Sched) {
    let spawned = std::thread::Builder::new().name("tricolor-sysmon".into()).spawn(move || run(s));
    if let Err(e) = spawned {
        crate::throw!("runtime: cannot start sysmon: {e}");
    }
}

fn run(s: &'static Sched) -> ! {
    // Per P: the schedtick last seen and when it was first seen.
    let mut seen: Vec<(u32, i64)> = vec![(u32::MAX, 0); s.allp.len()];
    loop {
        let mut busy = false;
        let now = nanotime();
        for (p, last) in s.allp.iter().zip(seen.iter_mut()) {
            if p.status() != PStatus::Running {
                *last = (u32::MAX, now);
                continue;
            }
            busy = true;
            // Relaxed: a racy snapshot; a missed change only delays a request by a tick.
            let tick = p.schedtick.load(Ordering::Relaxed);
            if tick != last.0 {
                *last = (tick, now);
                continue;
            }
            // A marking cycle's workers count as waiting: a fractional or dedicated worker is
            // chosen when the P next schedules (`sched/gcworker.rs`).
            let waiting = !p.runq.is_empty()
                || s.runq_size.load(Ordering::Relaxed) > 0
                || p.timers.next_when().is_some_and(|w| w <= now)
                || s.gc_workers_on.load(Ordering::Relaxed);
            if now - last.1 >= FORCE_PREEMPT_NS && waiting {
                preempt(s, p);
                last.1 = now;
            }
        }
        crate::hooks::sysmon_tick();
        std::thread::sleep(std::time::Duration::from_millis(if busy { 1 } else { 20 }));
    }
}

/// Asks P `p`'s running goroutine to yield at its next safepoint.
fn preempt(s: &Sched, p: &crate::p::P) {
    // SAFETY: M records are never freed; the G read through it may have moved on, in which
    // case the request lands on whatever runs there now (harmless: it yields once).
    let Some(m) = (unsafe { p.m.load(Ordering::Acquire).as_ref() }) else { return };
    let Some(g) = m.curg() else { return };
    // Relaxed: the flag is honoured at the next safepoint that sees the pending bit.
    g.preempt.store(true, Ordering::Relaxed);
    s.safepoint_pending.fetch_or(crate::sched::pending::PREEMPT, Ordering::Release);
}
