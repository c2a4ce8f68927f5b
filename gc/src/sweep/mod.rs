//! Sweeping (reference §2.5): after a mark, every span is unswept (the heap's sweepgen moved
//! by 2). A span is swept exactly once per cycle by whoever wins its sweepgen CAS: an
//! allocating P needing a span of that class (`central.rs`), the background sweeper goroutine
//! (`sweepone`), anyone about to touch its objects or specials in place (`lookup`,
//! `ensure_swept_at`), or sweep termination at the next cycle's start (`finish`). The states,
//! transitions and who may wait on whom are in `protocol.rs`.
//!
//! Sweeping a span: report the specials of dead objects, poison dead objects under
//! `poisonfree`, then make the mark bits the new allocation bits; an empty span goes back to
//! the page allocator, others are released swept (sweepgen = h) to their holder or list.
//!
//! Sweepers hold a `SweepToken` per span: it raises the no-preempt count (the owner of a span
//! at h−1 must not be stopped or descheduled by the scheduler) and counts the sweeper in
//! `Heap::sweep_active`, which says when a cycle's sweep is complete and lets sweep
//! termination wait for sweepers that hold no P.

pub(crate) mod protocol;

use crate::collector::collector;
use crate::heap::arena::ObjRef;
use crate::heap::span::Span;
use crate::heap::Heap;
use crate::sync::atomic::{AtomicU32, Ordering};
pub(crate) use protocol::Swept;
use tricolor_runtime::NoPreempt;

/// Go's `activeSweep`: the low bits count sweepers at work; `DRAINED` says the unswept lists
/// ran dry; `CLOSED` says sweep termination is running (world stopped), so a sweeper without
/// a P must wait for the restart (`begin_off_p`). When the last sweeper leaves after the lists
/// ran dry, every span of the cycle is swept — every dead object's weak cell is clear — and
/// the weak fast path may trust its cells again (`weak/protocol.rs`, `sweep_complete`). Reset
/// while the world is stopped.
const DRAINED: u32 = 1 << 31;
const CLOSED: u32 = 1 << 30;
const COUNT: u32 = CLOSED - 1;

/// Functions run once per cycle when its sweep completes (`on_sweep_complete`).
static SWEEP_HOOKS: crate::sync::NpMutex<Vec<fn()>> = crate::sync::NpMutex::new(Vec::new());

/// Registers `f` to run once per cycle, on the last sweeper, when every span of the cycle has
/// been swept (tricolor-cleanup flushes its per-P queues here, Go's `gcCleanups.flush`). `f`
/// may run inside an allocation, or on a thread without a P: it must not allocate from the
/// collector or block.
pub fn on_sweep_complete(f: fn()) {
    SWEEP_HOOKS.lock().push(f);
}

/// Held while sweeping (or looking for a span to sweep): no preemption, counted as active.
pub(crate) struct SweepToken<'a> {
    heap: &'a Heap,
    _np: NoPreempt,
}

/// A sweeper on a goroutine holding a P (or the stopper): its no-preempt count keeps the
/// world from stopping until the token drops, so the cycle cannot end under it.
pub(crate) fn begin(heap: &Heap) -> SweepToken<'_> {
    let np = NoPreempt::new();
    // AcqRel: ordered with the other sweepers' exits (see `Drop`).
    heap.sweep_active.fetch_add(1, Ordering::AcqRel);
    SweepToken { heap, _np: np }
}

/// A sweeper (or a lookup that may sweep) on a thread without a P — a plain thread, or a
/// goroutine inside `blocking(..)` — which the world does not wait for: it joins only while
/// sweep termination is not running, and sweep termination waits for it to leave (the
/// store-buffering pair with `finish`).
fn begin_off_p(heap: &Heap) -> SweepToken<'_> {
    loop {
        // SeqCst: our count is visible before we read CLOSED, and `finish` sets CLOSED before
        // it reads the count (both SeqCst): one of us sees the other.
        let prev = heap.sweep_active.fetch_add(1, Ordering::SeqCst);
        if prev & CLOSED == 0 {
            return SweepToken { heap, _np: NoPreempt::new() };
        }
        heap.sweep_active.fetch_sub(1, Ordering::SeqCst);
        // The world is stopped for a collection; this thread holds no P, so waiting here holds
        // nobody up. Sleep rather than spin: the stop may last milliseconds.
        while heap.sweep_active.load(Ordering::Acquire) & CLOSED != 0 {
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
    }
}

/// Whether the caller runs a goroutine that holds a P (the world waits for it while it does not
/// reach a safepoint).
fn has_p() -> bool {
    tricolor_runtime::hooks::pin_proc().is_ok()
}

impl SweepToken<'_> {
    /// This sweeper found nothing left to sweep.
    fn drained(&self) {
        self.heap.sweep_active.fetch_or(DRAINED, Ordering::AcqRel);
    }
}

impl Drop for SweepToken<'_> {
    fn drop(&mut self) {
        // AcqRel: the last one out sees every other sweeper's work (their Release) before it
        // declares the sweep complete (Release inside `sweep_complete`).
        let left = self.heap.sweep_active.fetch_sub(1, Ordering::AcqRel) - 1;
        // Sweep termination (CLOSED) may complete the last cycle's sweep too.
        if left & !CLOSED == DRAINED {
            let c = collector();
            if c.phase.sweep_complete(c.cycles()) {
                for hook in SWEEP_HOOKS.lock().iter() {
                    hook();
                }
                // The cycle's empty spans are all freed: their pages age from here.
                crate::scavenger::kick();
            }
        }
    }
}

/// How long a sweeper may wait for another party's sweep before the collector declares the
/// protocol broken (an owner at h−1 sweeps one span; anything near this is a lost owner).
const STUCK: std::time::Duration = std::time::Duration::from_secs(30);

/// The production heap as the protocol sees it, with the start of the current wait.
struct HeapSweep<'a>(&'a Heap, std::cell::Cell<Option<std::time::Instant>>);

impl<'a> HeapSweep<'a> {
    fn new(heap: &'a Heap) -> HeapSweep<'a> {
        HeapSweep(heap, std::cell::Cell::new(None))
    }

    /// Whether this wait has lasted longer than `STUCK` (checks the clock every 4096 rounds).
    fn stuck(&self, round: u32) -> bool {
        if !round.is_multiple_of(4096) {
            return false;
        }
        match self.1.get() {
            None => {
                self.1.set(Some(std::time::Instant::now()));
                false
            }
            Some(t) => t.elapsed() > STUCK,
        }
    }
}

impl protocol::Env for HeapSweep<'_> {
    type Span = &'static Span;

    fn gen(&self, s: &'static Span) -> &AtomicU32 {
        &s.sweepgen
    }

    fn sweep_bits(&self, s: &'static Span) -> bool {
        sweep_bits(self.0, s)
    }

    fn free(&self, s: &'static Span) {
        if s.has_specials.load(Ordering::Acquire) {
            crate::specials::forget(s);
        }
        self.0.free_span(s, crate::scavenger::now_ms());
    }

    fn relink(&self, s: &'static Span, h: u32) {
        self.0.relink_swept(s, h);
    }

    fn wait(&self, round: u32) {
        // The owner is sweeping on another thread with preemption off (`protocol.rs`): a few
        // spins cover the usual case, then give the thread away so the owner's thread can run
        // if they share a core. No lock or P of ours holds the owner up.
        if round < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
        if self.stuck(round) {
            crate::debug::fatal(format_args!(
                "sweep: waited {STUCK:?} for another sweeper to finish one span (its owner is stuck or lost)"
            ));
        }
    }

    fn broken(&self, what: &str, state: u32, h: u32) -> ! {
        crate::debug::fatal(format_args!("sweep: {what} in sweep state {state} with the heap at sweepgen {h}"))
    }
}

/// The bitmap and special work of sweeping `s`, owned by the caller (sweepgen h−1). Returns
/// whether an object survived.
fn sweep_bits(heap: &Heap, s: &'static Span) -> bool {
    // On the system stack: the specials' sweep handles the addresses of the span's objects,
    // and the caller's goroutine stack is scanned conservatively (`on_system_stack`).
    tricolor_runtime::hooks::on_system_stack(|| sweep_bits_here(heap, s))
}

fn sweep_bits_here(heap: &Heap, s: &'static Span) -> bool {
    let c = collector();
    let l = s.layout();
    if s.has_specials.load(Ordering::Acquire) {
        crate::specials::sweep_span(s);
    }
    let allocated = s.allocated_count();
    if c.debug.poisonfree {
        for i in 0..l.nelems as usize {
            if s.is_allocated(i) && !s.is_marked(i) {
                crate::debug::poison::fill(l.base + i * l.elemsize, l.elemsize, l.spc.noscan());
            }
        }
    }
    let live = s.reset_after_sweep();
    if live > allocated {
        crate::debug::fatal(format_args!("sweep: span has {live} marked but only {allocated} allocated objects: {s:?}"));
    }
    let freed = (allocated - live) as usize;
    if freed > 0 {
        heap.counters.frees.fetch_add(freed, Ordering::Relaxed);
        s.needzero.store(true, Ordering::Relaxed);
    }
    live > 0
}

/// Sweeps `s`, just popped from an unswept list by the caller, which holds a token. None: the
/// entry was stale (the span is someone else's); `Some(Live)`: the caller holds the swept span.
pub(crate) fn sweep_popped(heap: &Heap, _token: &SweepToken<'_>, s: &'static Span, sg: u32) -> Option<Swept> {
    protocol::sweep_popped(&HeapSweep::new(heap), s, sg)
}

/// Sweeps one unswept span from any list; false when none is left (Go's `sweepone`).
pub(crate) fn sweepone(heap: &Heap) -> bool {
    let token = begin(heap);
    let sg = heap.sweepgen();
    for central in heap.central.iter() {
        if let Some(s) = central.take_unswept(sg) {
            if sweep_popped(heap, &token, s, sg) == Some(Swept::Live) {
                central.uncache_span(s, sg);
            }
            return true;
        }
    }
    let large = heap.locked.lock().large[unswept(sg)].pop();
    if let Some(s) = large {
        if sweep_popped(heap, &token, s, sg) == Some(Swept::Live) {
            heap.relink_swept(s, sg);
        }
        return true;
    }
    token.drained();
    false
}

/// Index of the swept half of a pair of lists for sweepgen `sg` (the other half is unswept).
pub(crate) fn swept(sg: u32) -> usize {
    (sg / 2 % 2) as usize
}

/// Index of the unswept half.
pub(crate) fn unswept(sg: u32) -> usize {
    1 - swept(sg)
}

/// Sweeps everything left from the last cycle (`collect()`, and before a cycle stops the
/// world), polling a safepoint between spans.
pub(crate) fn sweep_all(heap: &Heap) -> usize {
    let mut n: usize = 0;
    while sweepone(heap) {
        n += 1;
        if n.is_multiple_of(64) {
            tricolor_runtime::safepoint();
        }
    }
    crate::specials::prune();
    n
}

/// `collect()`'s end: sweeps what is left, then waits (yielding) until no sweeper still holds a
/// span of this cycle — the background sweeper or an allocator may be halfway through the last
/// ones, whose dead objects' specials (weak cells, cleanups) are not handled yet — or until a
/// new cycle begins. Go's `runtime.GC` waits for `isSweepDone` the same way.
pub(crate) fn sweep_all_and_wait(heap: &Heap, cycles: impl Fn() -> u64) {
    let n = cycles();
    sweep_all(heap);
    // Acquire: pairs with the sweepers' AcqRel release of their token (their work is done).
    while heap.sweep_active.load(Ordering::Acquire) & COUNT != 0 && cycles() == n {
        if tricolor_runtime::hooks::on_goroutine() {
            tricolor_runtime::yield_now();
        } else {
            std::thread::yield_now();
        }
        sweep_all(heap);
    }
}

/// Sweep termination (world stopped, before marking): sweeps what is left, waits for sweepers
/// that hold no P, and checks that every span is swept and every unswept list empty. Marking
/// must not start while any span is being swept: the sweeper resets the mark bits. Returns the
/// spans swept here.
pub(crate) fn finish(heap: &Heap) -> usize {
    // SeqCst: pairs with `begin_off_p` (see there).
    heap.sweep_active.fetch_or(CLOSED, Ordering::SeqCst);
    let n = sweep_all(heap);
    // Only sweepers without a P can still be active: one on a P cannot be stopped mid-sweep.
    let mut round = 0u32;
    let wait = HeapSweep::new(heap);
    while heap.sweep_active.load(Ordering::SeqCst) & COUNT != 0 {
        wait.wait_termination(round);
        round += 1;
    }
    // A sweeper without a P may have joined just before CLOSED and swept (or sweep one more
    // span it popped): sweep again until nothing is left.
    let n = n + sweep_all(heap);
    let sg = heap.sweepgen();
    for central in heap.central.iter() {
        if let Some(s) = central.take_unswept(sg) {
            crate::debug::fatal(format_args!("sweep termination: span left unswept: {s:?}"));
        }
    }
    if let Some(s) = heap.locked.lock().large[unswept(sg)].pop() {
        crate::debug::fatal(format_args!("sweep termination: large span left unswept: {s:?}"));
    }
    n
}

/// The restart after mark termination: the new cycle's sweep begins, sweepers without a P may
/// join again. World stopped.
pub(crate) fn reopen(heap: &Heap) {
    heap.sweep_active.store(0, Ordering::SeqCst);
}

impl HeapSweep<'_> {
    fn wait_termination(&self, round: u32) {
        if self.stuck(round) {
            crate::debug::fatal(format_args!(
                "sweep termination: {} sweepers without a P have not finished in {STUCK:?}",
                self.0.sweep_active.load(Ordering::Relaxed) & COUNT
            ));
        }
        if round < 64 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(std::time::Duration::from_micros(20));
        }
    }
}

/// An allocated heap object found by `lookup`, in a span swept for the current cycle. While it
/// lives, the object stays allocated and its span in use (the token pins the cycle).
pub(crate) struct Found<'a> {
    pub(crate) obj: ObjRef,
    _token: Option<SweepToken<'a>>,
    _np: NoPreempt,
}

/// Resolves `addr` (any address, interior pointers included) to the allocated object holding
/// it, sweeping its span first if needed (Go's `findObject` + `ensureSwept`, invariant 12).
/// None if the address is not inside an allocated object: outside the heap, a free slot, an
/// object that died in the last cycle (its span is swept first, so a dead object is never
/// reported live).
pub(crate) fn lookup(heap: &Heap, addr: usize) -> Option<Found<'_>> {
    let np = NoPreempt::new();
    let on_p = has_p();
    // On a P, NoPreempt pins the cycle; elsewhere a token does (sweep termination waits).
    let token = if on_p { None } else { Some(begin_off_p(heap)) };
    loop {
        let sg = heap.sweepgen();
        let (o, seq) = heap.arena.find_object_seq(addr)?;
        // Everything read until `seq_valid` belongs to the span's incarnation of `seq`.
        if o.span.is_swept(sg) {
            // Swept and in use: allocation of the slot is settled until the next cycle's sweep
            // (a span being freed right now has no allocated slot).
            let allocated = o.span.is_allocated(o.index);
            if !o.span.seq_valid(seq) {
                continue;
            }
            return allocated.then_some(Found { obj: o, _token: token, _np: np });
        }
        if !o.span.seq_valid(seq) {
            continue;
        }
        let _sweeping = if on_p { Some(begin(heap)) } else { None };
        protocol::ensure_swept(&HeapSweep::new(heap), o.span, sg);
    }
}

/// Makes sure the span holding `addr`, if any, is swept for the current cycle (the weak
/// upgrade's S3: sweeping may clear the cell being upgraded): `lookup` for its side effect.
pub(crate) fn ensure_swept_at(heap: &Heap, addr: usize) {
    drop(lookup(heap, addr));
}

/// The background sweeper: a goroutine that sweeps after every collection, yielding often.
pub(crate) fn start_background(heap: &'static Heap) -> tricolor_runtime::gsync::chan::Sender<()> {
    let (tx, rx) = tricolor_runtime::gsync::chan::bounded::<()>(1);
    tricolor_runtime::go(move || {
        while rx.recv().is_ok() {
            let mut n = 0u32;
            while sweepone(heap) {
                n += 1;
                if n.is_multiple_of(10) {
                    // Behind anything waiting on the global queue (a cleanup goroutine this
                    // sweep woke, `ParkLock` wakes go there), not ahead of it.
                    tricolor_runtime::yield_now();
                }
            }
            crate::specials::prune();
            // The sweep's frames hold addresses of the objects it freed; the slots get reused,
            // and this goroutine parks (its stack scanned) at the same depth: clear them, or a
            // stale word keeps the slot's next object alive (tests/stale_words.rs, under load).
            crate::clear_stack_below();
        }
    });
    tx
}
