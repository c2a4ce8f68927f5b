//! Mark workers through the runtime seam (issue 10; reference §4.3, Go's `gcBgMarkWorker` pool
//! and `findRunnableGCWorker`): the collector's worker goroutines park in a pool here, and the
//! scheduler, on each pass of `find_runnable` while the collector has turned workers on, asks
//! the collector whether this P should run one (`hooks::Collector::mark_worker_wanted`): at the
//! top of the pass for a dedicated or fractional worker, and once the P found nothing else for
//! an idle worker. The scheduler knows no heap types; the collector keeps the quotas.
//!
//! A worker taken from the pool runs on the asking P at once (it is not queued), in the mode
//! the collector chose, which `park_mark_worker` returns to it when it resumes.

use super::Sched;
use crate::g::status::GStatus;
use crate::g::G;
use crate::hooks::MarkWorkerMode;
use crate::p::P;
use crate::stw::ProcId;
use crate::sync::atomic::Ordering;

pub(crate) fn set_active(s: &Sched, on: bool) {
    // Relaxed: see `Sched::gc_workers_on`.
    s.gc_workers_on.store(on, Ordering::Relaxed);
}

/// Parks the calling goroutine in the worker pool until a P wants a mark worker; returns the
/// mode it was chosen for.
pub(crate) fn park_worker() -> MarkWorkerMode {
    let (_, g) = crate::sched::park::expect_goroutine("hooks::park_mark_worker");
    crate::sched::park::park(crate::sched::park::WaitReason::GcWorker, |g| {
        super::sched().gc_workers.lock().push(g);
        true
    });
    // Relaxed: written by the M that took us from the pool before it switched to us (the
    // status CAS in `execute` orders it).
    MarkWorkerMode::from_u8(g.worker_mode.load(Ordering::Relaxed))
}

/// A worker for P `p` if the collector wants one now (`idle`: the P found no other work).
/// Called by `find_runnable` on g0, holding `p`.
#[inline]
pub(crate) fn find_worker(s: &Sched, p: &P, idle: bool) -> Option<&'static G> {
    // Relaxed: see `Sched::gc_workers_on`.
    if !s.gc_workers_on.load(Ordering::Relaxed) {
        return None;
    }
    find_worker_slow(s, p, idle)
}

#[cold]
fn find_worker_slow(s: &Sched, p: &P, idle: bool) -> Option<&'static G> {
    let c = crate::hooks::collector()?;
    // One lock per pass: the collector's answer is O(1) and takes no lock, so it is asked
    // with the pool held, and only when a worker is there to take.
    let (g, mode) = {
        let mut pool = s.gc_workers.lock();
        if pool.is_empty() {
            return None;
        }
        let mode = c.mark_worker_wanted(ProcId(p.id), idle)?;
        (pool.pop()?, mode)
    };
    // Relaxed: published by the status CAS below (Release) to the M that runs it: us.
    g.worker_mode.store(mode as u8, Ordering::Relaxed);
    g.status.cas(GStatus::Waiting, GStatus::Runnable);
    crate::debug::trace::ev("gcworker", g.goid(), p.id as u64);
    Some(g)
}
