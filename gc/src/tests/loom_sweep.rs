//! Loom models of the sweep ownership protocol (`sweep/protocol.rs`, issue 9 items 1-3),
//! running the production `ensure_swept`, `sweep_popped` and `sweep_owned` against a modelled
//! heap: spans with a sweepgen word and a holder-owned cursor (a loom `UnsafeCell`, so two
//! parties touching one span at once is a reported causality violation), one class's unswept
//! and swept lists, and page freeing that checks the generation was published first.
//!
//! The parties are the ones that race in the heap: an allocating P (`cache_span`, popping the
//! swept list, else sweeping unswept spans), the background sweeper (`sweepone`), and a
//! goroutine touching a span in place (`ensure_swept`: a lookup, a weak upgrade, a cleanup's
//! `stop`). The `old` module is the protocol before the fix, written the same way; loom finds
//! each of its three failures.

use crate::sweep::protocol::{ensure_swept, sweep_popped, Env, Swept};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use loom::sync::{Arc, Mutex};

/// The heap's sweepgen in the model: every span starts at H−2 (unswept).
const H: u32 = 6;

struct MSpan {
    gen: AtomicU32,
    /// Whether an object of this span survived the last mark.
    live: bool,
    /// The allocation cursor and bitmaps: written by the span's one holder.
    cursor: UnsafeCell<u32>,
    freed: AtomicBool,
}

struct MHeap {
    spans: Vec<MSpan>,
    unswept: Mutex<Vec<usize>>,
    swept: Mutex<Vec<usize>>,
}

impl MHeap {
    /// Span 0 died entirely (its sweep frees it); span 1 keeps a live object.
    fn new() -> Arc<MHeap> {
        let span = |live| MSpan { gen: AtomicU32::new(H - 2), live, cursor: UnsafeCell::new(0), freed: AtomicBool::new(false) };
        Arc::new(MHeap { spans: vec![span(false), span(true)], unswept: Mutex::new(vec![0, 1]), swept: Mutex::new(Vec::new()) })
    }

    /// The holder of span `s` allocates from it.
    fn allocate(&self, s: usize) {
        assert!(!self.spans[s].freed.load(Ordering::Relaxed), "allocating from freed span {s}");
        // SAFETY: loom checks the claim this model tests: the holder alone touches the cursor.
        self.spans[s].cursor.with_mut(|c| unsafe { *c += 1 });
    }

    /// After every party finished: each span is swept, and is exactly one of freed, on the
    /// swept list, or held by the allocator.
    fn check_end(&self, held: Option<usize>) {
        let swept = self.swept.lock().unwrap();
        for (i, s) in self.spans.iter().enumerate() {
            assert_eq!(s.gen.load(Ordering::Relaxed), H, "span {i} not swept");
            let places = s.freed.load(Ordering::Relaxed) as usize + swept.iter().filter(|&&x| x == i).count() + (held == Some(i)) as usize;
            assert_eq!(places, 1, "span {i} is in {places} places (freed, swept list, held)");
        }
    }
}

impl Env for MHeap {
    type Span = usize;
    fn gen(&self, s: usize) -> &AtomicU32 {
        &self.spans[s].gen
    }
    fn sweep_bits(&self, s: usize) -> bool {
        // SAFETY: as in `allocate`: the owner (h−1) alone touches the cursor.
        self.spans[s].cursor.with_mut(|c| unsafe { *c = 100 });
        self.spans[s].live
    }
    fn free(&self, s: usize) {
        assert_eq!(self.spans[s].gen.load(Ordering::Relaxed), H, "span {s} freed before its sweepgen was published");
        assert!(!self.spans[s].freed.swap(true, Ordering::Relaxed), "span {s} freed twice");
    }
    fn relink(&self, s: usize, _h: u32) {
        self.swept.lock().unwrap().push(s);
    }
    fn wait(&self, _round: u32) {
        loom::thread::yield_now();
    }
    fn broken(&self, what: &str, state: u32, h: u32) -> ! {
        panic!("{what} in sweep state {state} with the heap at {h}")
    }
}

/// `Central::cache_span` with the model's lists: a swept span, else sweep unswept ones,
/// dropping stale entries.
fn cache_span(h: &MHeap) -> Option<usize> {
    loop {
        if let Some(s) = h.swept.lock().unwrap().pop() {
            return Some(s);
        }
        let s = h.unswept.lock().unwrap().pop()?;
        if sweep_popped(h, s, H) == Some(Swept::Live) {
            return Some(s);
        }
    }
}

/// `sweepone` until the unswept list is empty.
fn sweep_background(h: &MHeap) {
    loop {
        let Some(s) = h.unswept.lock().unwrap().pop() else { return };
        if sweep_popped(h, s, H) == Some(Swept::Live) {
            h.swept.lock().unwrap().push(s);
        }
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.max_branches = 10_000;
    b.check(f);
}

/// The allocator and the background sweeper race an in-place sweep of span `s`.
fn allocator_background_and_in_place_sweep(s: usize) {
    model(move || {
        let h = MHeap::new();
        let (h1, h2) = (h.clone(), h.clone());
        let alloc = loom::thread::spawn(move || {
            let s = cache_span(&h1);
            if let Some(s) = s {
                h1.allocate(s);
            }
            s
        });
        let bg = loom::thread::spawn(move || sweep_background(&h2));
        ensure_swept(&*h, s, H);
        let held = alloc.join().unwrap();
        bg.join().unwrap();
        h.check_end(held);
    });
}

/// The in-place sweep is of the dead span (its sweeper frees it): nobody waits forever (item
/// 1), no popper meets a span mid-sweep (item 2), no span is touched by two parties or placed
/// twice (item 3).
#[test]
fn allocator_background_and_in_place_sweep_of_a_dead_span() {
    allocator_background_and_in_place_sweep(0);
}

/// The same with the in-place sweep on the live span, which then goes back on the swept list
/// for the allocator.
#[test]
fn allocator_background_and_in_place_sweep_of_a_live_span() {
    allocator_background_and_in_place_sweep(1);
}

/// In-place sweeps of both spans on two goroutines against the background sweeper: the waiter
/// of a span being swept (or freed) elsewhere always gets out. (One waiter per span: loom
/// explores unfair schedules, and two threads spinning on one owner could yield to each other
/// forever in the model, never on an OS.)
#[test]
fn in_place_sweeps_of_both_spans_and_the_background_sweeper() {
    model(|| {
        let h = MHeap::new();
        let (h1, h2) = (h.clone(), h.clone());
        let a = loom::thread::spawn(move || ensure_swept(&*h1, 1, H));
        let bg = loom::thread::spawn(move || sweep_background(&h2));
        ensure_swept(&*h, 0, H);
        a.join().unwrap();
        bg.join().unwrap();
        h.check_end(None);
    });
}

/// The protocol before issue 9's fix: a popper that lost the CAS used the span anyway (the
/// background sweeper put it back on the swept side; `cache_span` took a swept one, or
/// panicked on one mid-sweep), sweeping freed an empty span without publishing its sweepgen,
/// and an in-place sweep left the span on its unswept list.
mod old {
    use super::*;

    fn sweep(h: &MHeap, s: usize, may_free: bool) -> Swept {
        let live = h.sweep_bits(s);
        if !live && may_free {
            h.spans[s].freed.store(true, Ordering::Relaxed); // no store of H first
            return Swept::Freed;
        }
        h.spans[s].gen.store(H, Ordering::Release);
        Swept::Live
    }

    fn try_acquire(h: &MHeap, s: usize) -> bool {
        h.spans[s].gen.compare_exchange(H - 2, H - 1, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    pub(super) fn ensure_swept(h: &MHeap, s: usize) {
        if h.spans[s].gen.load(Ordering::Acquire) == H {
            return;
        }
        if try_acquire(h, s) {
            sweep(h, s, false);
            return;
        }
        while h.spans[s].gen.load(Ordering::Acquire) != H {
            loom::thread::yield_now();
        }
    }

    pub(super) fn cache_span(h: &MHeap) -> Option<usize> {
        loop {
            if let Some(s) = h.swept.lock().unwrap().pop() {
                return Some(s);
            }
            let s = h.unswept.lock().unwrap().pop()?;
            if !try_acquire(h, s) {
                if h.spans[s].gen.load(Ordering::Acquire) == H {
                    if !h.spans[s].live {
                        continue; // (freed it)
                    }
                    return Some(s);
                }
                panic!("gc: unswept span in state {} (heap sweepgen {H})", h.spans[s].gen.load(Ordering::Relaxed));
            }
            if sweep(h, s, true) == Swept::Live {
                return Some(s);
            }
        }
    }

    pub(super) fn sweep_background(h: &MHeap) {
        loop {
            let Some(s) = h.unswept.lock().unwrap().pop() else { return };
            if try_acquire(h, s) {
                if sweep(h, s, true) == Swept::Live {
                    h.swept.lock().unwrap().push(s);
                }
            } else {
                h.swept.lock().unwrap().push(s); // "swept on demand meanwhile"
            }
        }
    }
}

/// Item 1: the background sweeper frees the dead span without publishing its sweepgen; the
/// in-place sweeper waiting for it never gets out.
#[test]
#[should_panic(expected = "maximum number of branches")]
fn old_protocol_waits_forever_on_a_freed_span() {
    model(|| {
        let h = MHeap::new();
        let h2 = h.clone();
        let bg = loom::thread::spawn(move || old::sweep_background(&h2));
        old::ensure_swept(&h, 0);
        bg.join().unwrap();
    });
}

/// Item 2: the allocator pops the span an in-place sweep is sweeping.
#[test]
#[should_panic(expected = "unswept span in state")]
fn old_protocol_allocator_meets_a_span_mid_sweep() {
    model(|| {
        let h = MHeap::new();
        let h1 = h.clone();
        let alloc = loom::thread::spawn(move || old::cache_span(&h1));
        old::ensure_swept(&h, 1);
        let _ = alloc.join().unwrap();
    });
}

/// Item 3: the background sweeper puts a span being swept in place back on the swept list,
/// and the allocator takes it while its sweep is still writing the bitmaps: one slot can be
/// handed out twice.
#[test]
#[should_panic(expected = "Causality violation")]
fn old_protocol_hands_a_span_mid_sweep_to_the_allocator() {
    model(|| {
        let h = MHeap::new();
        h.unswept.lock().unwrap().retain(|&s| s == 1);
        let (h1, h2) = (h.clone(), h.clone());
        let bg = loom::thread::spawn(move || old::sweep_background(&h2));
        // The allocator takes a span from the swept list, as a cache refill does.
        let alloc = loom::thread::spawn(move || {
            let s = h1.swept.lock().unwrap().pop();
            if let Some(s) = s {
                h1.allocate(s);
            }
        });
        old::ensure_swept(&h, 1);
        bg.join().unwrap();
        alloc.join().unwrap();
    });
}
