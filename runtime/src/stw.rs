//! Stop-the-world and `for_each_p` (the ragged barrier), as Go's `stopTheWorldWithSema`,
//! `startTheWorldWithSema` and `forEachP` (reference §6, DESIGN decision 8).
//!
//! Stop-the-world handshake; the steps are cited in the code and in `tests/loom_stw.rs`:
//! 1. The caller takes `worldsema` (one stopper or `for_each_p` at a time).
//! 2. Under `sched.lock`: `stopwait = procs`, `gcwaiting = true`, raise the safepoint request;
//!    the caller's own P, every idle P and every P left in Syscall (by a blocking call or a
//!    time-slice suspension; a CAS from Syscall) become GcStop directly (`stopwait -= 1` each).
//! 3. Outside the lock the caller sleeps on `stopnote` 100 µs at a time, re-raising the request
//!    after each timeout (requests are best-effort, invariant 19), until `stopwait == 0`.
//! 4. Every other P stops itself: a running G polls `safepoint()` and switches to g0; every path
//!    that releases a P (`find_runnable`, `handoffp`) re-checks `gcwaiting` under the lock; the
//!    P becomes GcStop (`gcstop_p`), and the one that brings `stopwait` to 0 wakes `stopnote`.
//! 5. The caller verifies every P is GcStop.
//!
//! Start: under the lock, clear `gcwaiting`; Ps with runnable Gs go to Ms, the rest to the idle
//! list; then release `worldsema`.
//!
//! A P in `blocking(..)` is in Syscall and taken in step 2 (or, if the call began after step 2
//! read its status, handed off by the call itself: `blocking.rs`), so the stop never waits for a
//! thread blocked in the kernel.

use crate::m::M;
use crate::p::{PStatus, P};
use crate::preempt::NoPreempt;
use crate::sched::idle::{pidleget, pidleput, startm_as, stopm, wakep_as};
use crate::sched::park::expect_goroutine;
use crate::sched::{pending, sched, Locked, SafePointFn, Sched};
use crate::sync::atomic::{fence, AtomicU64, Ordering};
use crate::time::nanotime;
use std::sync::Arc;
use std::time::Duration;

/// How long the stopper sleeps before re-sending preemption requests.
const RESEND: Duration = Duration::from_micros(100);
/// How long goroutines that poll get to stop at their safepoints before the first signal.
const FIRST_SIGNAL: Duration = Duration::from_micros(30);

/// Statistics of stop-the-world pauses (all in nanoseconds).
#[derive(Debug, Default)]
pub(crate) struct StwStats {
    pub(crate) count: AtomicU64,
    pub(crate) total_ns: AtomicU64,
    pub(crate) max_ns: AtomicU64,
    pub(crate) max_stopping_ns: AtomicU64,
    /// Every pause, in `PauseHistogram` buckets.
    pub(crate) hist: PauseHistogram,
    /// Every stop's time to stop (request until every P stopped; Go's
    /// `/sched/pauses/stopping/gc:seconds`).
    pub(crate) stopping_hist: PauseHistogram,
}

/// Sub-buckets per power of two: a bucket's upper bound is at most 19% above any value in it.
const SUB: u32 = 4;
const BUCKETS: usize = 64 * SUB as usize;

/// A log-linear histogram of pause lengths (Go's `/sched/pauses/total/gc:seconds` has the same
/// shape): bucket `i` holds values whose top bits are `i`.
#[derive(Debug)]
pub(crate) struct PauseHistogram {
    b: [AtomicU64; BUCKETS],
}

impl Default for PauseHistogram {
    fn default() -> Self {
        PauseHistogram { b: std::array::from_fn(|_| AtomicU64::new(0)) }
    }
}

fn bucket_of(ns: u64) -> usize {
    if ns < SUB as u64 * 2 {
        return ns as usize;
    }
    let log = 63 - ns.leading_zeros();
    let sub = (ns >> (log - SUB.trailing_zeros())) as u32 & (SUB - 1);
    (log * SUB + sub) as usize
}

/// The largest value of bucket `i`.
fn bucket_top(i: usize) -> u64 {
    if i < SUB as usize * 2 {
        return i as u64;
    }
    let (log, sub) = (i as u32 / SUB, i as u32 % SUB);
    let shift = log - SUB.trailing_zeros();
    (((SUB + sub + 1) as u64) << shift) - 1
}

impl PauseHistogram {
    pub(crate) fn record(&self, ns: u64) {
        // Relaxed: statistics.
        self.b[bucket_of(ns)].fetch_add(1, Ordering::Relaxed);
    }

    /// The pause length at quantile `q` (0..=1): the top of the bucket holding it.
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        let counts: Vec<u64> = self.b.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return Duration::ZERO;
        }
        let want = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return Duration::from_nanos(bucket_top(i));
            }
        }
        Duration::from_nanos(bucket_top(BUCKETS - 1))
    }
}

/// A snapshot of stop-the-world statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StwSnapshot {
    /// Completed stop-the-world pauses.
    pub count: u64,
    /// Total time the world was stopped, request to restart.
    pub total: Duration,
    /// Longest pause, request to restart.
    pub max: Duration,
    /// Longest time from raising the request (with the stop lock held) until every P stopped.
    pub max_stopping: Duration,
    /// Median pause (within 19%: the top of its histogram bucket).
    pub p50: Duration,
    /// 99th-percentile pause (as `p50`).
    pub p99: Duration,
    /// Median time to stop (request until every P stopped), as `p50`.
    pub stopping_p50: Duration,
    /// 99th-percentile time to stop, as `p50`.
    pub stopping_p99: Duration,
    /// Preemption signals sent, ever.
    pub preempt_signals: u64,
    /// Goroutines suspended in place by the preemption signal for a stop, ever.
    pub async_stops: u64,
    /// Goroutines suspended by the preemption signal at the end of their time slice (their P
    /// given to others until one is handed back), ever.
    pub slice_suspensions: u64,
    /// Ps sysmon retook from blocking calls that outlasted one of its rounds, ever.
    pub syscall_retakes: u64,
    /// System calls the preemption signal found a goroutine in, outside `blocking(..)`, and
    /// turned into blocking calls so its P could be taken (x86_64), ever.
    pub syscall_rescues: u64,
}

/// Stop-the-world statistics so far.
pub fn stw_stats() -> StwSnapshot {
    let st = &sched().stats;
    StwSnapshot {
        count: st.count.load(Ordering::Relaxed),
        total: Duration::from_nanos(st.total_ns.load(Ordering::Relaxed)),
        max: Duration::from_nanos(st.max_ns.load(Ordering::Relaxed)),
        max_stopping: Duration::from_nanos(st.max_stopping_ns.load(Ordering::Relaxed)),
        p50: st.hist.quantile(0.5),
        p99: st.hist.quantile(0.99),
        stopping_p50: st.stopping_hist.quantile(0.5),
        stopping_p99: st.stopping_hist.quantile(0.99),
        preempt_signals: crate::preempt::signal::SENT.load(Ordering::Relaxed) as u64,
        async_stops: crate::preempt::signal::SUSPENDED.load(Ordering::Relaxed) as u64,
        slice_suspensions: crate::preempt::signal::SLICED.load(Ordering::Relaxed) as u64,
        syscall_retakes: crate::sysmon::RETAKES.load(Ordering::Relaxed) as u64,
        syscall_rescues: crate::preempt::signal::RESCUED.load(Ordering::Relaxed) as u64,
    }
}

/// The time-to-stop histogram so far, shaped as `stw_histogram`.
pub fn stw_stopping_histogram() -> Vec<(Duration, u64)> {
    let h = &sched().stats.stopping_hist;
    h.b.iter().enumerate().map(|(i, c)| (Duration::from_nanos(bucket_top(i)), c.load(Ordering::Relaxed))).filter(|&(_, n)| n > 0).collect()
}

/// The pause histogram so far: `(bucket top, pauses)` for every non-empty bucket, shortest
/// first. Take two and subtract to look at one phase of a program.
pub fn stw_histogram() -> Vec<(Duration, u64)> {
    let h = &sched().stats.hist;
    h.b.iter().enumerate().map(|(i, c)| (Duration::from_nanos(bucket_top(i)), c.load(Ordering::Relaxed))).filter(|&(_, n)| n > 0).collect()
}

/// An id for a P, as seen by `for_each_p` callbacks and the collector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProcId(pub usize);

/// Proof that the world is stopped: every P is halted and no other goroutine runs. Dropping it
/// starts the world again. Only the goroutine that stopped the world holds it.
#[derive(Debug)]
pub struct WorldStopped {
    start: i64,
    stopping: Duration,
    _np: NoPreempt,
    _guard: crate::gsync::MutexGuard<'static, ()>,
}

impl WorldStopped {
    /// Time since the stop was requested.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos((nanotime() - self.start).max(0) as u64)
    }

    /// How long the stop took once this goroutine held the stop lock (`worldsema`): from
    /// raising the request until every P had stopped.
    pub fn stopping(&self) -> Duration {
        self.stopping
    }
}

/// Stops every other goroutine at its next safepoint and returns once all Ps are halted.
///
/// Must be called from a goroutine that holds a P (not inside `blocking`). While the world is
/// stopped the caller must not park (channels, mutexes, sleep): nothing else would run to wake
/// it. A goroutine that never reaches a safepoint delays the stop until it does; signal-based
/// preemption lifts that restriction in a later release.
pub fn stop_the_world() -> WorldStopped {
    let (m, _) = expect_goroutine("stop_the_world");
    let s = sched();
    if std::ptr::eq(s.stw_owner.load(Ordering::Relaxed), m) {
        panic!("stop_the_world called while this goroutine already holds the world stopped");
    }
    wait_for_restarted(s, m);
    let start = nanotime();
    // Step 1.
    let guard = s.worldsema.lock();
    // The worldsema park may have moved us to another M: re-read.
    let (m, _) = expect_goroutine("stop_the_world");
    let np = NoPreempt::new();
    let own = m.p().unwrap_or_else(|| panic!("stop_the_world called inside blocking(..)"));
    let requested = nanotime();
    s.stw_owner.store(m as *const M as *mut M, Ordering::Relaxed);
    if stop_begin(s, Some(own)) {
        stop_wait(s);
    }
    stop_verify(s);
    let stopping = (nanotime() - requested).max(0) as u64;
    s.stats.max_stopping_ns.fetch_max(stopping, Ordering::Relaxed);
    s.stats.stopping_hist.record(stopping);
    WorldStopped { start, stopping: Duration::from_nanos(stopping), _np: np, _guard: guard }
}

impl Drop for WorldStopped {
    fn drop(&mut self) {
        let s = sched();
        let m = crate::m::current_m().unwrap_or_else(|| crate::throw!("runtime: WorldStopped dropped off its M"));
        let own = m.p().unwrap_or_else(|| crate::throw!("runtime: stop-the-world owner lost its P"));
        let handoff = start_world(s, Some(own));
        s.stw_owner.store(std::ptr::null_mut(), Ordering::Relaxed);
        s.restart_at.store(nanotime(), Ordering::Relaxed);
        for p in handoff {
            startm_as(s, p, false, true);
        }
        // The stopper goes on running without passing through the scheduler, so its P would
        // not look at its timers until it does; a goroutine stopping the world in a loop would
        // starve every timer on its P (found by the seed 002 test: a sleeper overdue by 80 s).
        // Run the expired ones now, and move everything runnable on our P to the global queue,
        // which every P checks at least every 61 schedules: the stopper keeps its P busy, and
        // anything left in its local queue would wait until the stopper yields.
        own.timers.check(s);
        while let Some((g, _)) = own.runq.pop() {
            crate::sched::schedule::globrunqput(s, g);
        }
        // Always wake one more M, as Go's startTheWorld does: a spinner takes the global
        // queue, steals, runs every P's expired timers and, finding nothing, sleeps until the
        // earliest timer as the timer M. The stop took every idle M (and the timer M with its
        // deadline) off its sleep; without this wake-up, goroutines on the global queue and
        // timers of idle Ps waited until the stopper itself yielded — never, for a goroutine
        // collecting in a loop (issue 9 item 4: a 10 ms sleep took 5 s).
        // Poll point 4 (`netpoll/mod.rs`, Go's `startTheWorldWithSema`): goroutines whose
        // sockets became ready during the stop, onto the global queue before the wake-up.
        if let Some(np) = crate::netpoll::get() {
            np.poll_and_inject(s);
        }
        wakep_as(s, true);
        let pause = (nanotime() - self.start).max(0) as u64;
        s.stats.count.fetch_add(1, Ordering::Relaxed);
        s.stats.total_ns.fetch_add(pause, Ordering::Relaxed);
        s.stats.max_ns.fetch_max(pause, Ordering::Relaxed);
        s.stats.hist.record(pause);
    }
}

/// How long a stop may wait for the Ms the last restart handed Ps to (`wait_for_restarted`).
const RESTART_GRACE: i64 = 2_000_000;

/// Restart fairness: a stop does not begin until every M the last restart handed a P has made
/// its first scheduling pass (picked a goroutine, or found nothing and went idle), for at most
/// `RESTART_GRACE` after that restart. A goroutine stopping the world back to back (a
/// `collect()` loop) otherwise stops the world again before those Ms wake, every time: their
/// Ps stop with the goroutines and timers they were handed still pending, and only the stopper
/// ever runs (issue 9 item 4).
///
/// The stopper keeps its P and gives its thread to the OS between checks: parking it (a timer
/// sleep) would hand the P to a goroutine that may never yield, and its wake-up timer would
/// then never run — with cooperative preemption only, the stop would never come.
fn wait_for_restarted(s: &'static Sched, m: &M) {
    if crate::preempt::preempt_disabled(m) {
        return;
    }
    // Acquire pairs with `restart_pass_done`'s Release.
    while s.restarted.load(Ordering::Acquire) != 0 {
        if nanotime() - s.restart_at.load(Ordering::Relaxed) > RESTART_GRACE {
            break;
        }
        // The Ms we wait for need a core; on a 2-core machine this thread may hold the one.
        std::thread::yield_now();
    }
}

/// A function to run on one P's behalf while the world is stopped (`run_on_all_ps`). Lives on
/// the stopper's stack until every job has finished.
pub(crate) struct StwJob {
    f: *const (dyn Fn(ProcId) + Sync + 'static),
    p: usize,
    shared: *const JobsShared,
}

struct JobsShared {
    remaining: AtomicU64,
    panic: crate::sync::Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

impl WorldStopped {
    /// Runs `f(p)` once for every P, in parallel, while the world stays stopped: the caller runs
    /// it for its own P, and parked Ms (new ones if needed) run it for the others on their
    /// native stacks. Returns when all have finished; a panic in any of them resumes here. This
    /// is how the collector marks in parallel inside a stop (per-P work buffers indexed by `p`).
    ///
    /// `f` runs on threads that hold no P and are not goroutines: it must not park, allocate
    /// from the collector, or call scheduler APIs.
    pub fn run_on_all_ps(&self, f: &(dyn Fn(ProcId) + Sync)) {
        let s = sched();
        let (m, _) = expect_goroutine("WorldStopped::run_on_all_ps");
        let own = m.p().unwrap_or_else(|| crate::throw!("runtime: stop-the-world owner lost its P")).id;
        let n = s.cfg.procs;
        if n == 1 {
            f(ProcId(own));
            return;
        }
        let shared = JobsShared { remaining: AtomicU64::new((n - 1) as u64), panic: crate::sync::Mutex::new(None) };
        // SAFETY: erasing the lifetime is sound because we wait below until every job has run
        // (remaining == 0) before `f` goes out of scope; no job touches `f` afterwards.
        let f_static: *const (dyn Fn(ProcId) + Sync + 'static) = unsafe { std::mem::transmute(f as *const (dyn Fn(ProcId) + Sync)) };
        let jobs: Vec<StwJob> = (0..n).filter(|&p| p != own).map(|p| StwJob { f: f_static, p, shared: &shared }).collect();
        s.job_note.clear();
        for job in &jobs {
            let job = job as *const StwJob as *mut StwJob;
            match crate::sched::idle::mget(s) {
                Some(m) => {
                    m.job.store(job, Ordering::Release);
                    m.nextp.store(std::ptr::null_mut(), Ordering::Relaxed);
                    m.park.wakeup();
                }
                None => crate::sched::idle::newm_with(s, None, job, false, false),
            }
        }
        let mine = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(ProcId(own))));
        s.job_note.sleep();
        debug_assert_eq!(shared.remaining.load(Ordering::Acquire), 0);
        if let Err(p) = mine {
            std::panic::resume_unwind(p);
        }
        let other = shared.panic.lock().take();
        if let Some(p) = other {
            std::panic::resume_unwind(p);
        }
    }
}

/// Runs a job handed to this M by `run_on_all_ps`.
pub(crate) fn run_job(s: &Sched, job: *mut StwJob) {
    // SAFETY: the job and what it points to live on the stopper's stack until `remaining`
    // reaches 0, which happens only after our decrement below.
    let job = unsafe { &*job };
    // SAFETY: as above.
    let shared = unsafe { &*job.shared };
    // SAFETY: as above.
    let f = unsafe { &*job.f };
    if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(ProcId(job.p)))) {
        shared.panic.lock().get_or_insert(p);
    }
    // AcqRel: Release publishes the job's work to the stopper, which Acquires via the note.
    if shared.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
        s.job_note.wakeup();
    }
}

#[cfg(all(test, not(loom)))]
mod hist_tests {
    use super::*;

    #[test]
    fn buckets_bound_their_values_within_a_fifth() {
        for ns in (0..2000u64).chain([12_345, 1 << 20, (1 << 20) + 1, 987_654_321, u64::MAX / 3]) {
            let i = bucket_of(ns);
            assert!(bucket_top(i) >= ns, "{ns} above its bucket {i}'s top {}", bucket_top(i));
            assert!(bucket_top(i) as f64 <= ns as f64 * 1.25 + 1.0, "{ns}: bucket top {} too far", bucket_top(i));
            assert!(i == 0 || bucket_top(i - 1) < ns, "{ns}: not the first bucket that holds it");
        }
    }

    #[test]
    fn quantiles_come_from_the_recorded_pauses() {
        let h = PauseHistogram::default();
        for _ in 0..99 {
            h.record(10_000);
        }
        h.record(5_000_000);
        let p50 = h.quantile(0.5).as_nanos() as u64;
        assert!((10_000..12_500).contains(&p50), "{p50}");
        let p99 = h.quantile(0.99).as_nanos() as u64;
        assert!((10_000..12_500).contains(&p99), "{p99}");
        let max = h.quantile(1.0).as_nanos() as u64;
        assert!((5_000_000..6_250_000).contains(&max), "{max}");
    }
}

/// Step 2. Returns whether some P still has to stop itself.
pub(crate) fn stop_begin(s: &'static Sched, own: Option<&'static P>) -> bool {
    s.stopnote.clear();
    let mut l = s.lock.lock();
    l.stopwait = s.cfg.procs as i32;
    // Relaxed: read by schedtrace only.
    s.stop_requested_at.store(nanotime(), Ordering::Relaxed);
    s.gcwaiting.store(true, Ordering::Release);
    s.safepoint_pending.fetch_or(pending::STW, Ordering::Release);
    // Store-buffering with `blocking::enter` (its module docs): a P that enters Syscall after
    // this fence sees `gcwaiting` and hands itself off.
    fence(Ordering::SeqCst);
    if let Some(p) = own {
        p.set_status(PStatus::GcStop);
        l.stopwait -= 1;
    }
    while let Some(p) = pidleget(s, &mut l) {
        p.set_status(PStatus::GcStop);
        l.stopwait -= 1;
    }
    retake_for_stop(s, &mut l);
    l.stopwait > 0
}

/// Step 2 for Ps in Syscall (a blocking call, a time-slice suspension or a rescued system
/// call): the CAS from Syscall takes them for the stop. Caller holds the lock.
pub(crate) fn retake_for_stop(s: &Sched, l: &mut Locked) {
    for p in s.allp.iter() {
        if p.status() == PStatus::Syscall && p.cas_status(PStatus::Syscall, PStatus::GcStop) {
            p.slice_handoff.store(false, Ordering::Relaxed);
            p.m.store(std::ptr::null_mut(), Ordering::Relaxed);
            l.stopwait -= 1;
            if l.stopwait == 0 {
                s.stopnote.wakeup();
            }
        }
    }
}

/// Step 3.
pub(crate) fn stop_wait(s: &Sched) {
    wait_for_ps(s, &s.stopnote, pending::STW, |l| {
        retake_for_stop(s, l);
        l.stopwait
    });
}

/// Sleeps on `note` until the Ps a stop or `for_each_p` waits for have all reported, waking
/// every 100 µs to re-send the request (`bit` in `safepoint_pending`; invariant 19).
/// `remaining` runs under the lock after each timeout: it retakes Ps that entered Syscall
/// meanwhile (a system call rescued by the signal, `preempt/rescue.rs`, does not hand its P
/// over itself) and returns how many Ps are still awaited.
fn wait_for_ps(s: &Sched, note: &crate::os::note::Note, bit: u32, remaining: impl Fn(&mut Locked) -> i32) {
    // Goroutines that poll get `FIRST_SIGNAL` to stop at their safepoints; after that every
    // M still running a goroutine gets the preemption signal (seed 004: a goroutine that
    // never polls). Go signals at once (`preemptall`); here a goroutine suspended in place
    // costs its thread a sleep and a wake-up, and a stopper in a loop (seed 001's scenario)
    // restarted the world and stopped it again before a resumed thread ran an instruction:
    // two timer-resetting goroutines that poll after every reset made no progress for 100 ms.
    // A goroutine the last stop had to signal, and that has not switched since, gets the
    // signal at once (time to stop beside two spinners on 2 procs: p50 57 → 15 µs).
    crate::preempt::signal::preempt_unswitched(s, crate::m::current_m_raw());
    let mut wait = FIRST_SIGNAL;
    loop {
        if note.sleep_timeout(wait) {
            return;
        }
        wait = RESEND;
        if remaining(&mut s.lock.lock()) == 0 {
            // The last P reported between our timeout and the check: its wake-up is in flight.
            note.sleep();
            return;
        }
        // Re-send the request: the flag for safepoints and the signal (a lost request, or one
        // that found the thread in a no-preempt section, is re-sent every 100 µs). Sent with
        // the scheduler lock released: the handler takes it.
        s.safepoint_pending.fetch_or(bit, Ordering::Release);
        crate::preempt::signal::preempt_running(s, crate::m::current_m_raw());
    }
}

/// Step 5.
pub(crate) fn stop_verify(s: &Sched) {
    let l = s.lock.lock();
    if l.stopwait != 0 {
        crate::throw!("runtime: stop_the_world: stopwait = {} after wake-up", l.stopwait);
    }
    for p in s.allp.iter() {
        if p.status() != PStatus::GcStop {
            crate::throw!("runtime: stop_the_world: P{} is {:?}, want GcStop", p.id, p.status());
        }
    }
}

/// Step 4: `p` (owned by the caller) halts for the stop. Caller holds the lock.
pub(crate) fn gcstop_p(s: &Sched, l: &mut Locked, p: &P) {
    p.m.store(std::ptr::null_mut(), Ordering::Relaxed);
    p.set_status(PStatus::GcStop);
    l.stopwait -= 1;
    if l.stopwait == 0 {
        s.stopnote.wakeup();
    }
}

/// Step 4 for an M that holds a running P: stop it, then park until the world restarts.
pub(crate) fn gcstopm(s: &'static Sched, m: &'static M) {
    gcstop_own_p(s, m);
    stopm(s, m, None);
}

/// `gcstopm` without the park: `m` gives up spinning and halts its P for the stop.
pub(crate) fn gcstop_own_p(s: &Sched, m: &M) {
    if m.spinning.load(Ordering::Relaxed) {
        m.spinning.store(false, Ordering::Relaxed);
        s.nmspinning.fetch_sub(1, Ordering::AcqRel);
    }
    let mut l = s.lock.lock();
    let p = crate::sched::idle::releasep(m);
    gcstop_p(s, &mut l, p);
}

/// Restart: clears the stop and returns the Ps that have work and need an M. The caller's own
/// P (if any) goes back to Running on its M.
pub(crate) fn start_world(s: &'static Sched, own: Option<&'static P>) -> Vec<&'static P> {
    let mut l = s.lock.lock();
    // Relaxed: read by schedtrace only.
    s.stop_requested_at.store(0, Ordering::Relaxed);
    s.gcwaiting.store(false, Ordering::Release);
    s.safepoint_pending.fetch_and(!pending::STW, Ordering::Release);
    let mut handoff = Vec::new();
    for p in s.allp.iter() {
        if own.is_some_and(|o| std::ptr::eq(o, p)) {
            p.set_status(PStatus::Running);
            continue;
        }
        if p.status() != PStatus::GcStop {
            crate::throw!("runtime: start_the_world: P{} is {:?}, want GcStop", p.id, p.status());
        }
        // SAFETY: Ms are never freed.
        if let Some(am) = unsafe { p.async_m.swap(std::ptr::null_mut(), Ordering::Relaxed).as_ref() } {
            // Suspended in place by the preemption signal: its M kept the P; it resumes.
            p.set_status(PStatus::Running);
            am.async_note.wakeup();
            continue;
        }
        if p.runq.is_empty() {
            pidleput(s, &mut l, p);
        } else {
            p.set_status(PStatus::Idle);
            handoff.push(p);
        }
    }
    handoff
}

/// Runs `f` once on every P at a safepoint of that P — the ragged barrier (reference §6.4,
/// invariant 33). Idle Ps run it on the caller right away; running Ps run it at their next
/// scheduling point. Returns when every P has run it. `f` runs on g0 or on the caller and must
/// not park, allocate through the collector, or take the scheduler lock. A panic in `f` aborts
/// the process with its message.
pub fn for_each_p(f: impl Fn(ProcId) + Send + Sync + 'static) {
    let (m, _) = expect_goroutine("for_each_p");
    let s = sched();
    if std::ptr::eq(s.stw_owner.load(Ordering::Relaxed), m) {
        panic!("for_each_p called while this goroutine holds the world stopped");
    }
    let _guard = s.worldsema.lock();
    let (m, _) = expect_goroutine("for_each_p");
    let _np = NoPreempt::new();
    let own = m.p().unwrap_or_else(|| panic!("for_each_p called inside blocking(..)"));
    // The function runs on other Ps' scheduler stacks and inside the barrier's bookkeeping:
    // a panic cannot unwind anywhere sensible, so it ends the process with its message.
    let f: SafePointFn = Arc::new(move |p: &P| {
        if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(ProcId(p.id)))) {
            let why = crate::debug::panic_message(&*e).unwrap_or("");
            crate::throw!("runtime: the for_each_p function panicked on P{} ({why}); a ragged barrier cannot be abandoned halfway", p.id);
        }
    });
    s.safepoint_note.clear();
    let retaken;
    let wait = {
        let mut l = s.lock.lock();
        l.safepoint_fn = Some(f.clone());
        l.safepoint_wait = s.cfg.procs as i32 - 1;
        for p in s.allp.iter().filter(|p| !std::ptr::eq(*p, own)) {
            p.run_safe_point_fn.store(1, Ordering::Release);
        }
        s.safepoint_pending.fetch_or(pending::FOR_EACH_P, Ordering::Release);
        // Store-buffering with `blocking::enter`, as in `stop_begin`.
        fence(Ordering::SeqCst);
        // Idle Ps cannot run it themselves: run it for them (the CAS arbitrates with a P that
        // is being taken off the idle list right now). Ps left in Syscall are retaken (Go's
        // forEachP does the same), run it here and are handed off below.
        let idle = l.pidle.clone();
        for id in idle {
            let p = &s.allp[id];
            if p.run_safe_point_fn.compare_exchange(1, 0, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                f(p);
                l.safepoint_wait -= 1;
            }
        }
        retaken = retake_for_fn(s, &mut l, &f);
        l.safepoint_wait > 0
    };
    for p in retaken {
        crate::sched::idle::handoffp(s, p);
    }
    f(own);
    if wait {
        let retaken = std::cell::RefCell::new(Vec::new());
        wait_for_ps(s, &s.safepoint_note, pending::FOR_EACH_P, |l| {
            retaken.borrow_mut().extend(retake_for_fn(s, l, &f));
            l.safepoint_wait
        });
        for p in retaken.into_inner() {
            crate::sched::idle::handoffp(s, p);
        }
    }
    let mut l = s.lock.lock();
    if l.safepoint_wait != 0 {
        crate::throw!("runtime: for_each_p: Ps left without running the function");
    }
    l.safepoint_fn = None;
    s.safepoint_pending.fetch_and(!pending::FOR_EACH_P, Ordering::Release);
}

/// `for_each_p` for Ps in Syscall that have not run the function: retaken (Go's forEachP does
/// the same), the function run here, and returned for the caller to hand off (`handoffp`)
/// once the lock is released. Caller holds the lock.
fn retake_for_fn(s: &'static Sched, l: &mut Locked, f: &SafePointFn) -> Vec<&'static P> {
    let mut retaken = Vec::new();
    for p in s.allp.iter() {
        if p.status() == PStatus::Syscall
            && p.run_safe_point_fn.load(Ordering::Acquire) != 0
            && p.cas_status(PStatus::Syscall, PStatus::Idle)
        {
            p.slice_handoff.store(false, Ordering::Relaxed);
            if p.run_safe_point_fn.compare_exchange(1, 0, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                f(p);
                l.safepoint_wait -= 1;
                if l.safepoint_wait == 0 {
                    s.safepoint_note.wakeup();
                }
            }
            retaken.push(p);
        }
    }
    retaken
}

/// Runs the pending `for_each_p` function for `p` if it has not run yet.
pub(crate) fn run_safe_point_fn(s: &Sched, p: &P) {
    if p.run_safe_point_fn.compare_exchange(1, 0, Ordering::AcqRel, Ordering::Relaxed).is_err() {
        return;
    }
    let f = s.lock.lock().safepoint_fn.clone().unwrap_or_else(|| crate::throw!("runtime: safe-point flag without a function"));
    f(p);
    let mut l = s.lock.lock();
    l.safepoint_wait -= 1;
    if l.safepoint_wait == 0 {
        s.safepoint_note.wakeup();
    }
}
