//! Concurrent marking (reference §2-§5, DESIGN decisions 4-7): the mark runs beside the
//! goroutines, between two short stops.
//!
//! 1. Stop #1 (`Collector::run_cycle`): caches flushed, sweep finished, unjoined results
//!    shaded, the phase set to Mark (barrier on, allocate-black on) — O(procs) plus unjoined
//!    results. The world restarts; the goroutine snapshot is taken after it (every goroutine
//!    that existed at the stop is in it: records are never removed).
//! 2. Concurrent mark (`help`): the background worker goroutine, the goroutine in
//!    `collect()` and assisting allocators take root jobs — one per goroutine stack, then the
//!    root handles (`Root`, `Rooted`, `RootedVec`), the specials and the channel buffers — and drain, on their P's `PState`, a bounded chunk at a
//!    time. A stack is scanned once per cycle by whoever wins `Goroutine::claim_scan`: a
//!    marker holding the scan bit of a parked, runnable or blocking goroutine, or the
//!    goroutine itself at its next safepoint when it was running (it was asked to,
//!    `request_self_scan`). No stack is rescanned.
//! 3. Termination (`try_terminate`, one at a time under `term`): when every root job is done
//!    (`pending == 0`) and a helper finds no work: the ragged barrier (`for_each_p`) flushes
//!    every P's barrier buffer into its work and publishes it; any flushed work sends the
//!    helpers back to draining. Otherwise stop #2: upgrades blocked, every P re-flushed; late
//!    work (shaded between the barrier and the stop) restarts the world and the mark (counted
//!    in `restarts`). With no work anywhere and the world stopped no grey object exists, and
//!    none can appear: the mark is complete (`Collector::finish_cycle`).

use super::assist_queue::{AssistQueue, RuntimeLock};
use super::{termination, PState, Worker};
use crate::collector::Collector;
use crate::object::trace::Tracer;
use crate::perp::Pinned;
use crate::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::sync::Mutex;
use std::collections::VecDeque;
use tricolor_runtime::scan::{Goroutine, Suspend};

/// Root jobs after the stacks: root handles, specials, channel buffers.
const OTHER_ROOTS: usize = 3;

/// The least scan work an assist does (Go's `gcOverAssistWork`); see `Conc::assist`.
const OVER_ASSIST: usize = 64 << 10;

thread_local! {
    /// Scan work this thread's assists did beyond their debts in cycle `.0` (Go keeps it per
    /// goroutine; per thread is per P in effect, as a goroutine keeps its thread between
    /// safepoints). Counters only: nothing here is a heap reference.
    static ASSIST_CREDIT: std::cell::Cell<(u64, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// Objects a helper scans between safepoints (about 50-100 µs of work).
pub(crate) const CHUNK: usize = 2048;

/// The running cycle's marking state.
pub(crate) struct Conc {
    /// The cycle being marked (completed cycles + 1); written in stop #1.
    pub(crate) gen: AtomicU64,
    /// The goroutine snapshot (stack jobs), set once per cycle after stop #1.
    stacks: Mutex<Vec<Goroutine>>,
    ready: AtomicBool,
    next_stack: AtomicUsize,
    /// Stacks in the snapshot and in `deferred` (hints for `has_work`, which may not lock).
    nstacks: AtomicUsize,
    ndeferred: AtomicUsize,
    /// The background mark workers and their quotas.
    pub(crate) workers: super::workers::Workers,
    next_root: AtomicUsize,
    /// Stacks found running: asked to scan themselves, re-checked by helpers.
    deferred: Mutex<Vec<Goroutine>>,
    /// Root jobs not finished yet (stacks, deferred ones included, and the other roots).
    pending: AtomicUsize,
    /// One terminator at a time.
    term: tricolor_runtime::gsync::Mutex<()>,
    /// Set by the ragged barrier when some P had work to publish.
    flushed: AtomicBool,
    /// Payload bytes scanned this cycle so far (the pacer's progress measure).
    pub(crate) scanned: AtomicUsize,
    /// Scan work the pacer expects this cycle (the last cycle's).
    pub(crate) expected: AtomicUsize,
    /// Nanoseconds allocators spent assisting, ever; the longest single assist.
    pub(crate) assist_ns: AtomicU64,
    /// Background scan credit this cycle and the assists waiting for it (reference §4.4,
    /// `assist_queue.rs`).
    pub(crate) credit: AssistQueue<RuntimeLock>,
    /// Nanoseconds assists spent parked on the queue, ever.
    pub(crate) assist_parked_ns: AtomicU64,
    /// Times an assist parked, ever.
    pub(crate) assist_parks: AtomicU64,
    pub(crate) assist_max_ns: AtomicU64,
    /// Stack bytes scanned this cycle.
    pub(crate) stack_bytes: AtomicUsize,
    /// Times stop #2 found late work and restarted the mark (ever).
    pub(crate) restarts: AtomicU64,
}

impl Conc {
    pub(crate) fn new() -> Conc {
        Conc {
            gen: AtomicU64::new(0),
            stacks: Mutex::new(Vec::new()),
            ready: AtomicBool::new(false),
            next_stack: AtomicUsize::new(0),
            nstacks: AtomicUsize::new(0),
            ndeferred: AtomicUsize::new(0),
            workers: super::workers::Workers::new(),
            next_root: AtomicUsize::new(0),
            deferred: Mutex::new(Vec::new()),
            pending: AtomicUsize::new(usize::MAX),
            term: tricolor_runtime::gsync::Mutex::new(()),
            flushed: AtomicBool::new(false),
            scanned: AtomicUsize::new(0),
            expected: AtomicUsize::new(0),
            assist_ns: AtomicU64::new(0),
            credit: AssistQueue::new(RuntimeLock(tricolor_runtime::gsync::ParkLock::new(VecDeque::new()))),
            assist_parked_ns: AtomicU64::new(0),
            assist_parks: AtomicU64::new(0),
            assist_max_ns: AtomicU64::new(0),
            stack_bytes: AtomicUsize::new(0),
            restarts: AtomicU64::new(0),
        }
    }

    /// One line on the running cycle's marking state (`internals::mark_state`, watchdogs).
    pub(crate) fn describe(&self, c: &Collector) -> String {
        let deferred: Vec<u64> = self.deferred.lock().iter().map(|g| g.id()).collect();
        format!(
            "mark: gen {} cycles {} marking {} ready {} pending {} stacks {}/{} roots {} deferred {:?} scanned {} restarts {} credit {} assists parked {}",
            self.gen.load(Ordering::Relaxed),
            c.cycles(),
            c.phase.marking(),
            self.ready.load(Ordering::Relaxed),
            self.pending.load(Ordering::Relaxed) as isize,
            self.next_stack.load(Ordering::Relaxed),
            self.stacks.lock().len(),
            self.next_root.load(Ordering::Relaxed),
            deferred,
            self.scanned.load(Ordering::Relaxed),
            self.restarts.load(Ordering::Relaxed),
            self.credit.credit(),
            self.credit.parked(),
        )
    }

    /// Inside stop #1: a new cycle `gen` begins; no root job may run until `publish_snapshot`.
    pub(crate) fn prepare(&self, gen: u64, expected: usize) {
        self.scanned.store(0, Ordering::Relaxed);
        self.credit.reset();
        self.expected.store(expected.max(1 << 20), Ordering::Relaxed);
        self.ready.store(false, Ordering::Relaxed);
        self.pending.store(usize::MAX, Ordering::Relaxed);
        self.next_stack.store(0, Ordering::Relaxed);
        self.next_root.store(0, Ordering::Relaxed);
        self.stack_bytes.store(0, Ordering::Relaxed);
        self.gen.store(gen, Ordering::Release);
    }

    /// After stop #1: the goroutine snapshot; root jobs may start.
    pub(crate) fn publish_snapshot(&self) {
        let all = tricolor_runtime::scan::all_goroutines();
        let n = all.len();
        *self.stacks.lock() = all;
        self.nstacks.store(n, Ordering::Relaxed);
        self.deferred.lock().clear();
        self.ndeferred.store(0, Ordering::Relaxed);
        self.pending.store(n + OTHER_ROOTS, Ordering::Release);
        // Release: the snapshot before `ready`.
        self.ready.store(true, Ordering::Release);
    }

    /// One bounded chunk of mark work on the caller's P. Returns whether it found work (more
    /// may remain; false when there is nothing to do right now) and the bytes it scanned.
    pub(crate) fn work_chunk(&'static self, c: &'static Collector, budget: usize) -> (bool, usize) {
        if !self.ready.load(Ordering::Acquire) {
            return (false, 0);
        }
        let Ok(pin) = Pinned::new() else { return (false, 0) };
        let gen = self.gen.load(Ordering::Acquire);
        // A panic in a user `Trace` impl leaves grey objects in our buffers that no one will
        // scan: the heap is half-marked, and the process ends with the message (decision 14).
        // On the system stack, as Go marks: the chunk's frames hold the address of everything
        // it scanned (the prefetch ring, Trace calls), and left on this goroutine's stack,
        // which is scanned conservatively, the next deeper calls would inherit them in their
        // padding and keep dead objects alive (`runtime/src/sched/system_stack.rs`).
        let r = tricolor_runtime::hooks::on_system_stack(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                c.marker.perp().with(&pin, |s| {
                    let before = s.w.bytes_scanned;
                    let more = self.root_jobs(c, s, gen) || {
                        s.flush_wbuf();
                        s.w.drain(budget)
                    };
                    (more, s.w.bytes_scanned - before)
                })
            }))
        });
        let (more, bytes) = r.unwrap_or_else(|p| crate::debug::mark_panicked(&*p));
        // Relaxed: a progress estimate for the pacer.
        self.scanned.fetch_add(bytes, Ordering::Relaxed);
        (more, bytes)
    }

    /// A mark assist (reference §4.4): scan work in proportion to `alloc` bytes just allocated,
    /// at the ratio of the scan work still expected to the heap distance left before the goal.
    /// Past the goal the ratio is large: the allocator does most of the remaining mark. An
    /// assist that owes and finds nothing to mark parks on the assist queue until background
    /// credit pays it or the cycle ends (`assist_queue.rs`).
    pub(crate) fn assist(&'static self, c: &'static Collector, gen: u64, alloc: usize, live: usize, goal: usize) {
        let expected = self.expected.load(Ordering::Relaxed);
        let left = expected.saturating_sub(self.scanned.load(Ordering::Relaxed)).max(expected / 20);
        let room = goal.saturating_sub(live).max(64 << 10);
        let owed = (alloc as u128 * left as u128 / room as u128).min(usize::MAX as u128) as usize;
        // Credit this thread earned by over-assisting earlier in the cycle pays first.
        let (g, have) = ASSIST_CREDIT.get();
        let have = if g == gen { have } else { 0 };
        if have >= owed {
            ASSIST_CREDIT.set((gen, have - owed));
            return;
        }
        let debt = owed - have;
        // Small debts are rounded up to `OVER_ASSIST` of work (Go's gcOverAssistWork), the
        // surplus kept as this thread's credit: an assist has a fixed cost (a system-stack
        // switch, a pin, a root-job claim, two clock reads) that tiny debts, one per span
        // refill, would pay hundreds of times per cycle on a small heap.
        let work = debt.max(OVER_ASSIST);
        let t0 = std::time::Instant::now();
        // Background credit first (Go's gcAssistAlloc): what the workers scanned pays for
        // allocation before the allocator marks itself.
        let mut paid = self.credit.steal(work);
        let current = || c.cycles() < gen && self.gen.load(Ordering::Acquire) == gen;
        let mut parked = None;
        while paid < work && current() {
            let (more, bytes) = self.work_chunk(c, 256);
            paid += bytes;
            if more && bytes == 0 {
                // Root jobs resolved without scanning (dead stacks, a deferred one): a
                // safepoint, so a request to scan our own stack is honoured, then go on.
                tricolor_runtime::safepoint();
                continue;
            }
            if !more {
                if paid >= debt {
                    break; // the debt is paid; no surplus to be had right now
                }
                // Nothing to scan right now: termination if the roots are done (more work
                // found there sends us back to it; Go's assists call gcMarkDone too).
                if self.pending.load(Ordering::Acquire) == 0 {
                    self.clear_scan_requests(gen);
                    if self.try_terminate(c, gen) {
                        break;
                    }
                    continue;
                }
                // The remaining work is in other Ps' buffers or a stack waiting for its
                // goroutine: wait for credit.
                if tricolor_runtime::scan::current_goroutine().is_some() {
                    let p0 = std::time::Instant::now();
                    if self.credit.park(debt - paid, current) {
                        self.assist_parks.fetch_add(1, Ordering::Relaxed);
                        parked = Some(p0.elapsed());
                        paid = debt;
                    }
                }
                break;
            }
        }
        ASSIST_CREDIT.set((gen, paid.saturating_sub(debt)));
        let stall = t0.elapsed().as_nanos() as u64;
        let parked = parked.map_or(0, |d| d.as_nanos() as u64);
        // Relaxed: statistics.
        self.assist_ns.fetch_add(stall - parked, Ordering::Relaxed);
        c.limiter.add_gc(stall - parked);
        c.limiter.update(tricolor_runtime::hooks::procs());
        self.assist_parked_ns.fetch_add(parked, Ordering::Relaxed);
        self.assist_max_ns.fetch_max(stall, Ordering::Relaxed);
    }

    /// Claims and runs root jobs until one did something; false when none is left.
    fn root_jobs(&self, c: &'static Collector, s: &mut PState, gen: u64) -> bool {
        let stacks = self.stacks.lock();
        let i = self.next_stack.fetch_add(1, Ordering::Relaxed);
        if i < stacks.len() {
            let g = stacks[i];
            drop(stacks);
            self.stack_job(&mut s.w, g, gen);
            return true;
        }
        drop(stacks);
        let j = self.next_root.fetch_add(1, Ordering::Relaxed);
        if j < OTHER_ROOTS {
            let mut t = Tracer { w: &mut s.w };
            match j {
                0 => c.roots.trace_handles(&mut t),
                1 => crate::specials::trace_all(&mut t),
                _ => c.roots.trace_channels(&mut t),
            }
            self.resolved();
            return true;
        }
        // Running goroutines asked to scan themselves: progress only if one got resolved
        // (else the caller yields, letting them reach their safepoints).
        let retry: Vec<Goroutine> = {
            let mut d = self.deferred.lock();
            self.ndeferred.store(0, Ordering::Relaxed);
            std::mem::take(&mut *d)
        };
        let before = self.pending.load(Ordering::Acquire);
        for g in retry {
            self.stack_job(&mut s.w, g, gen);
        }
        self.pending.load(Ordering::Acquire) != before
    }

    /// Every stack of cycle `gen` is scanned: the safepoints may stop looking. A helper of an
    /// older cycle must not clear the next cycle's requests (the retry of a deferred stack
    /// sets them again anyway).
    fn clear_scan_requests(&self, gen: u64) {
        if self.gen.load(Ordering::Acquire) == gen {
            tricolor_runtime::scan::set_scan_requests(false);
        }
    }

    fn resolved(&self) {
        // AcqRel: the job's effects (work in our P's buffers, published by the ragged barrier)
        // before the count a terminator reads.
        self.pending.fetch_sub(1, Ordering::AcqRel);
    }

    /// Scans goroutine `g`'s stack if nobody has this cycle, or defers it if it is running.
    fn stack_job(&self, w: &mut Worker, g: Goroutine, gen: u64) {
        if g.scanned(gen) {
            self.resolved();
            return;
        }
        match g.try_suspend() {
            Suspend::Stopped(sg) => {
                if g.claim_scan(gen) {
                    self.stack_bytes.fetch_add(w.scan_suspended(&sg), Ordering::Relaxed);
                }
                self.resolved();
            }
            Suspend::Dead => {
                // Dead at the snapshot, or died since: its stack holds nothing (a finished
                // goroutine's result was shaded when it was written).
                g.claim_scan(gen);
                self.resolved();
            }
            Suspend::Running if g.is_current() => {
                // Our own stack (an assist or helper reached its own deferred job): every
                // frame of ours is live and consistent here, so scan it now — waiting for our
                // own next safepoint would spin in this very loop (an assist did, forever).
                if g.claim_scan(gen) {
                    self.stack_bytes.fetch_add(w.scan_own_stack(), Ordering::Relaxed);
                }
                self.resolved();
            }
            Suspend::Running => {
                g.request_self_scan();
                tricolor_runtime::scan::set_scan_requests(true);
                // A goroutine that never polls a safepoint scans itself from the preemption
                // signal's handler (issue 11, seed 004).
                g.nudge();
                self.defer_stack(g);
            }
            Suspend::Retry => self.defer_stack(g),
        }
    }

    /// A stack to retry later (its goroutine is running, or busy).
    fn defer_stack(&self, g: Goroutine) {
        let mut d = self.deferred.lock();
        d.push(g);
        // Relaxed: `has_work`'s hint.
        self.ndeferred.store(d.len(), Ordering::Relaxed);
    }

    /// The goroutine scans itself (`hooks::Collector::scan_own_stack`), on its own P.
    pub(crate) fn scan_self(&self, c: &'static Collector, regs: &[usize], sp: usize, hi: usize) {
        let gen = self.gen.load(Ordering::Acquire);
        if !c.phase.marking() {
            return;
        }
        let Some(me) = tricolor_runtime::scan::current_goroutine() else { return };
        let Ok(pin) = Pinned::new() else { return };
        if !me.claim_scan(gen) {
            return;
        }
        let bytes = c.marker.perp().with(&pin, |s| s.w.scan_stack(regs, sp, hi));
        self.stack_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Marks until the cycle `gen` has terminated (the worker goroutine, `collect()`).
    pub(crate) fn help_until_done(&'static self, c: &'static Collector, gen: u64) {
        while c.cycles() < gen {
            if !self.help(c, gen) {
                // Nothing to do until someone else finishes (a terminator holds `term`, a
                // stack waits for its goroutine's safepoint).
                tricolor_runtime::yield_now();
            }
        }
    }

    /// Chunks of mark work for cycle `gen` while there is some, then termination if every
    /// root job is done. Returns whether it made progress. Call with preemption enabled, on a
    /// goroutine.
    fn help(&'static self, c: &'static Collector, gen: u64) -> bool {
        // Its work is background credit too: assists parked for credit wake as it marks.
        self.help_while(c, gen, &|| false)
    }

    /// `help`, stopping between chunks when `stop` says so (a mark worker's quota). Each
    /// chunk becomes background credit for assists as it finishes (reference §4.4).
    pub(crate) fn help_while(&'static self, c: &'static Collector, gen: u64, stop: &dyn Fn() -> bool) -> bool {
        let mut progress = false;
        loop {
            if c.cycles() >= gen || self.gen.load(Ordering::Acquire) != gen {
                return true;
            }
            let (more, bytes) = self.work_chunk(c, CHUNK);
            self.credit.flush(bytes);
            if !more {
                break;
            }
            progress = true;
            // A safepoint between chunks: stops, ragged barriers and our own self-scan.
            tricolor_runtime::safepoint();
            if stop() {
                return true;
            }
        }
        if self.pending.load(Ordering::Acquire) == 0 {
            self.clear_scan_requests(gen);
            return self.try_terminate(c, gen) || progress;
        }
        progress
    }

    /// Whether a mark worker would find something to do now: grey objects on the global list,
    /// root jobs not taken, stacks to retry, or termination to attempt. Racy; O(1) (the
    /// scheduler asks on every pass while marking).
    pub(crate) fn has_work(&self, c: &Collector) -> bool {
        // Acquire: pairs with `publish_snapshot`'s Release.
        if !self.ready.load(Ordering::Acquire) {
            return false;
        }
        // Relaxed: hints.
        !c.marker.lists().full.is_empty()
            || self.next_stack.load(Ordering::Relaxed) < self.nstacks.load(Ordering::Relaxed)
            || self.next_root.load(Ordering::Relaxed) < OTHER_ROOTS
            || self.pending.load(Ordering::Relaxed) == 0
            || self.ndeferred.load(Ordering::Relaxed) > 0
    }

    /// Step 3 (`termination.rs`). Returns whether the cycle ended (here or elsewhere); false
    /// sends the caller back to work.
    fn try_terminate(&'static self, c: &'static Collector, gen: u64) -> bool {
        let _t = self.term.lock();
        if c.cycles() >= gen {
            return true;
        }
        let done = termination::attempt(&TermEnv(c)) == termination::Outcome::Done;
        if done {
            // Assists parked for credit go back to allocating.
            self.credit.wake_all();
        }
        done
    }
}

/// Termination's environment: the real Ps, work lists and stops.
struct TermEnv(&'static Collector);

impl termination::Env for TermEnv {
    type Stopped = tricolor_runtime::WorldStopped;

    fn ragged_flush(&self) -> bool {
        let c = self.0;
        let lists = c.marker.lists();
        c.marker.conc.flushed.store(false, Ordering::Relaxed);
        tricolor_runtime::for_each_p(move |p| {
            // SAFETY: `for_each_p` runs this at P `p`'s safepoint (or for an idle P).
            unsafe {
                c.marker.perp().with_at_safepoint(p.0, |s| {
                    if publish(s, lists) {
                        c.marker.conc.flushed.store(true, Ordering::Relaxed);
                    }
                })
            }
        });
        let orphan = c.marker.with_orphan(|w| publish_worker(w, lists));
        // Relaxed: `for_each_p` returned, so every P's function has run and synchronised with
        // us through the barrier's lock.
        c.marker.conc.flushed.load(Ordering::Relaxed) || orphan
    }

    fn global_work(&self) -> bool {
        !self.0.marker.lists().full.is_empty()
    }

    fn stop(&self) -> Self::Stopped {
        let w = tricolor_runtime::stop_the_world();
        // Upgrades may not shade from here on (invariant 8).
        self.0.weak.block();
        w
    }

    fn flush_stopped(&self, w: &mut Self::Stopped) -> bool {
        let c = self.0;
        let (lists, perp) = (c.marker.lists(), c.marker.perp());
        let mut late = false;
        for p in 0..perp.len() {
            perp.with_stopped(w, p, |s| late |= publish(s, lists));
        }
        late | c.marker.with_orphan(|o| publish_worker(o, lists))
    }

    fn restart(&self, w: Self::Stopped) {
        // Work shaded after the ragged barrier: go on marking (Go's gcMarkDone restart).
        self.0.marker.conc.restarts.fetch_add(1, Ordering::Relaxed);
        self.0.weak.unblock();
        self.0.charge_stop(&w);
        drop(w);
    }

    fn finish(&self, w: Self::Stopped) {
        self.0.finish_cycle(w);
    }
}

/// Flushes a P's barrier buffer and publishes its work; returns whether it had any. Buffered
/// words that were black already are not work: counting them made termination livelock while
/// weak upgraders shaded their (long marked) referents between every two attempts.
fn publish(s: &mut PState, lists: &crate::mark::WorkLists) -> bool {
    s.flush_wbuf();
    publish_worker(&mut s.w, lists)
}

fn publish_worker(w: &mut Worker, lists: &crate::mark::WorkLists) -> bool {
    let had = !w.gcw.is_empty() || w.gcw.flushed;
    w.gcw.dispose(lists);
    // Reported through `had`; the next barrier counts only what is published after it.
    w.gcw.flushed = false;
    had
}
