//! W5 "weak": weak pointers, as the peers `peers/go/w5_weak/main.go` (Go's `weak` package) and
//! `peers/bdwgc/w5_weak.c` (bdwgc's disappearing links) run it.
//!
//! Four phases, each a kernel here:
//!
//! 1. **create**: `N` = 1,000,000 objects (allocated untimed, held by a `GcArray`), then one
//!    weak pointer each, timed, stored into a `GcArray` of `GcCell<Pointer<Obj>>` (Go: a
//!    `[]weak.Pointer[obj]`; C: an array of hidden pointers, each registered as a disappearing
//!    link).
//! 2. **upgrade of a live object**, after an untimed `collect()` (so every side starts from a
//!    finished, swept cycle): `hot` upgrades the same pointer again and again; `walk` upgrades
//!    the `N` distinct pointers in order, several passes. Every upgrade's result is used (its
//!    `id` summed, its canary compared), the pointer is re-read every iteration (`black_box`
//!    here; a function call the compiler cannot see through on the peers), and the sums are
//!    checked afterwards.
//! 3. **clear**: the objects' only strong references go (the goroutine that held them returns),
//!    one `collect()` is timed, then every weak pointer must read empty; the ones that do not
//!    are counted.
//! 4. **concurrent**: a set of `SET` slots, each holding an `Entry { id, weak pointer }`;
//!    objects in even slots are also held strongly, odd ones only weakly (they live until the
//!    next collection). For `duration`, 2 reader goroutines walk the set upgrading each entry's
//!    pointer and checking the object (its id must be the entry's, its canary the id's: a
//!    freed or reused object fails), a collector goroutine calls `collect()` back to back, and a
//!    replacer goroutine puts a new object (and entry) into the next slot, round and round.
//!
//! Scheduling (ours only): the runtime has no asynchronous preemption yet, so the loops of
//! phase 4 poll: `safepoint()` every `BATCH` operations (a stop-the-world reaches them within
//! a batch, as Go's signal preemption or bdwgc's stop signals reach the peers' loops), and
//! `yield_now()` once a goroutine has run `SLICE` (10 ms, Go's `forcePreemptNS`), so 4
//! goroutines share 1 or 2 procs as Go's scheduler would share them.
//!
//! Every kernel must run on a goroutine (inside `block_on`).

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_gc::{collect, Gc, GcArray, GcCell, Trace};
use tricolor_runtime::{go, safepoint, yield_now};
use tricolor_weak::Pointer;

/// Objects (and weak pointers) in phases 1-3.
pub const N: usize = 1_000_000;

/// Upgrades of the same pointer in `upgrade_hot` (`--quick`: `QUICK_HOT`).
pub const HOT: u64 = 100_000_000;
/// `HOT` for `--quick`.
pub const QUICK_HOT: u64 = 10_000_000;

/// Passes over the `N` pointers in `upgrade_walk` (`--quick`: `QUICK_WALK_PASSES`).
pub const WALK_PASSES: u64 = 10;
/// `WALK_PASSES` for `--quick`.
pub const QUICK_WALK_PASSES: u64 = 2;

/// Slots in phase 4's rotating set (a power of two).
pub const SET: usize = 4096;
/// Phase 4's length (`--quick`: `QUICK_DURATION`).
pub const DURATION: Duration = Duration::from_secs(5);
/// `DURATION` for `--quick`.
pub const QUICK_DURATION: Duration = Duration::from_secs(1);

/// Operations between two looks at the stop flag (and, here, two safepoints), on every side.
pub const BATCH: u64 = 64;
/// How long one of our phase-4 goroutines runs before it yields (Go preempts after 10 ms).
pub const SLICE: Duration = Duration::from_millis(10);

/// The object weak pointers point at: 16 bytes, no pointers (Go and bdwgc: `{id, canary}` in
/// noscan / atomic memory too).
#[derive(Trace, Debug)]
pub struct Obj {
    /// Its number.
    pub id: u64,
    /// `canary(id)`.
    pub canary: u64,
}

const _: () = assert!(std::mem::size_of::<Obj>() == 16);

/// The canary of object `id` (the same function on every side).
#[inline]
pub fn canary(id: u64) -> u64 {
    id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5BD1_E995_5BD1_E995
}

/// A fresh object.
#[inline]
pub fn new_obj(id: u64) -> Gc<Obj> {
    Gc::new(Obj { id, canary: canary(id) })
}

/// Whether `o` is object `id`, intact.
#[inline]
fn intact(o: &Obj, id: u64) -> bool {
    o.id == id && o.canary == canary(id)
}

/// Weak slots: a `GcArray` of mutable weak pointers (Go `[]weak.Pointer[obj]`).
pub type WeakArray = GcArray<GcCell<Pointer<Obj>>>;

/// `n` objects `0..n` (untimed in the workload).
pub fn alloc_objects(n: usize) -> GcArray<Gc<Obj>> {
    GcArray::from_fn(n, |i| new_obj(i as u64))
}

/// `n` null weak slots (untimed).
pub fn new_weak_array(n: usize) -> WeakArray {
    GcArray::from_fn(n, |_| GcCell::new(Pointer::null()))
}

/// Phase 1: one weak pointer per object, stored into `weak[i]`. Returns the elapsed time.
#[inline(never)]
pub fn create(objs: GcArray<Gc<Obj>>, weak: WeakArray) -> Duration {
    assert_eq!(objs.len(), weak.len());
    let start = Instant::now();
    for (o, w) in objs.iter().zip(weak.iter()) {
        w.set(Pointer::new(o));
    }
    start.elapsed()
}

/// What an upgrade loop saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct Upgrades {
    /// Time of the loop.
    pub elapsed: Duration,
    /// Upgrades done.
    pub ops: u64,
    /// Sum of the upgraded objects' ids (checked by the caller).
    pub id_sum: u64,
    /// Upgrades that returned nothing or a wrong object.
    pub bad: u64,
}

/// Phase 2, hot: `iters` upgrades of the same live pointer `w` to object `id`.
#[inline(never)]
pub fn upgrade_hot(w: Pointer<Obj>, id: u64, iters: u64) -> Upgrades {
    let mut id_sum = 0u64;
    let mut bad = 0u64;
    let start = Instant::now();
    for _ in 0..iters {
        // Re-read the pointer every iteration: the compiler may not assume it is the same.
        match black_box(&w).upgrade() {
            Some(o) => {
                id_sum = id_sum.wrapping_add(o.id);
                bad += (o.canary != canary(id)) as u64;
            }
            None => bad += 1,
        }
    }
    let elapsed = start.elapsed();
    Upgrades { elapsed, ops: iters, id_sum: black_box(id_sum), bad }
}

/// Phase 2, walk: `passes` passes upgrading `weak[0..n]` in order (object `i` at slot `i`).
#[inline(never)]
pub fn upgrade_walk(weak: WeakArray, passes: u64) -> Upgrades {
    let slots: &[GcCell<Pointer<Obj>>] = &weak;
    let mut id_sum = 0u64;
    let mut bad = 0u64;
    let start = Instant::now();
    for _ in 0..passes {
        for (i, w) in slots.iter().enumerate() {
            match w.get().upgrade() {
                Some(o) => {
                    id_sum = id_sum.wrapping_add(o.id);
                    bad += (o.canary != canary(i as u64)) as u64;
                }
                None => bad += 1,
            }
        }
    }
    let elapsed = start.elapsed();
    Upgrades { elapsed, ops: passes * slots.len() as u64, id_sum: black_box(id_sum), bad }
}

/// The `id_sum` a walk over objects `0..n` gives in `passes` passes.
pub fn walk_sum(n: u64, passes: u64) -> u64 {
    (n * (n - 1) / 2).wrapping_mul(passes)
}

/// Phases 1 to 3 as the workload binary runs them.
#[derive(Debug)]
pub struct Phases123 {
    /// Phase 1, untimed in the workload: allocating the objects and the weak slots.
    pub alloc: Duration,
    /// Phase 1.
    pub create: Duration,
    /// Phase 2.
    pub hot: Upgrades,
    /// Phase 2.
    pub walk: Upgrades,
    /// Phase 3: the clearing collection.
    pub clear: Duration,
    /// Phase 3: weak pointers that still upgrade after it.
    pub not_cleared: u64,
}

/// Phases 1 and 2 on a goroutine of their own, which returns only the weak pointers, then
/// phase 3 on another that returns only figures. So once phase 2's goroutine has returned
/// nothing holds the objects (a stale copy of the object array's address in a live frame
/// would keep them all: stacks are scanned conservatively), and the caller's stack never holds
/// the weak array (phase 4's collections do not mark it). Panics if an upgrade of phase 2
/// failed.
pub fn phases_1_to_3(n: usize, hot_iters: u64, walk_passes: u64) -> Phases123 {
    go(move || {
        let (weak, alloc, create, hot, walk) =
            go(move || live_phases(n, hot_iters, walk_passes)).join().expect("w5: the goroutine of phases 1 and 2 panicked");
        let (clear, not_cleared) = clear(weak);
        Phases123 { alloc, create, hot, walk, clear, not_cleared }
    })
    .join()
    .expect("w5: the goroutine of phase 3 panicked")
}

/// Phases 1 and 2 (see `phases_1_to_3`): the weak array and the alloc, create, hot and walk
/// figures.
fn live_phases(n: usize, hot_iters: u64, walk_passes: u64) -> (WeakArray, Duration, Duration, Upgrades, Upgrades) {
    let t0 = Instant::now();
    let objs = alloc_objects(n);
    let weak = new_weak_array(n);
    let alloc = t0.elapsed();
    let create = create(objs, weak);
    collect(); // untimed: start the upgrade loops from a finished, swept cycle
    let mid = n / 2;
    upgrade_hot(weak[mid].get(), mid as u64, hot_iters / 100); // warm-up
    let hot = upgrade_hot(weak[mid].get(), mid as u64, hot_iters);
    assert_eq!(hot.bad, 0, "w5: upgrade_hot: {} upgrades of a live object failed", hot.bad);
    assert_eq!(hot.id_sum, (mid as u64).wrapping_mul(hot_iters), "w5: upgrade_hot: wrong id sum");
    upgrade_walk(weak, 1); // warm-up
    let walk = upgrade_walk(weak, walk_passes);
    assert_eq!(walk.bad, 0, "w5: upgrade_walk: {} upgrades of live objects failed", walk.bad);
    assert_eq!(walk.id_sum, walk_sum(n as u64, walk_passes), "w5: upgrade_walk: wrong id sum");
    black_box(objs);
    (weak, alloc, create, hot, walk)
}

/// Phase 3: one timed `collect()` with every object of `weak` unreachable, then the number of
/// weak pointers that still upgrade.
pub fn clear(weak: WeakArray) -> (Duration, u64) {
    let start = Instant::now();
    collect();
    let elapsed = start.elapsed();
    let not_cleared = weak.iter().filter(|w| w.get().upgrade().is_some()).count() as u64;
    (elapsed, not_cleared)
}

/// A slot of the rotating set: an object's number and a weak pointer to it.
#[derive(Trace, Debug)]
pub struct Entry {
    /// The object's id.
    pub id: u64,
    /// The object.
    pub w: Pointer<Obj>,
}

/// Phase 4's rotating set.
#[derive(Trace, Debug)]
pub struct Set {
    /// The entries the readers read.
    pub entries: GcArray<GcCell<Option<Gc<Entry>>>>,
    /// Strong references: even slots' objects (odd slots' objects are weakly reachable only).
    pub strong: GcArray<GcCell<Option<Gc<Obj>>>>,
}

/// A set of `k` slots (a power of two) holding objects `0..k`.
pub fn new_set(k: usize) -> Gc<Set> {
    assert!(k.is_power_of_two());
    let set = Gc::new(Set { entries: GcArray::from_fn(k, |_| GcCell::new(None)), strong: GcArray::from_fn(k, |_| GcCell::new(None)) });
    for j in 0..k {
        put(set, j, j as u64);
    }
    set
}

/// Puts a new object `id` into slot `j`: held strongly if `j` is even.
#[inline]
pub fn put(set: Gc<Set>, j: usize, id: u64) {
    let o = new_obj(id);
    let e = Gc::new(Entry { id, w: Pointer::new(&o) });
    set.strong[j].set(if j.is_multiple_of(2) { Some(o) } else { None });
    set.entries[j].set(Some(e));
}

/// Time slicing for our phase-4 goroutines (see the module comment).
struct Slicer {
    since: Instant,
}

impl Slicer {
    fn new() -> Slicer {
        Slicer { since: Instant::now() }
    }

    /// Called once per batch: the safepoint poll, and a yield once the slice is used up.
    #[inline]
    fn batch_done(&mut self) {
        safepoint();
        if self.since.elapsed() >= SLICE {
            yield_now();
            self.since = Instant::now();
        }
    }
}

/// What one reader saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReaderStats {
    /// Upgrades done.
    pub upgrades: u64,
    /// Upgrades that returned an object.
    pub hits: u64,
    /// Upgrades that returned a wrong object (freed, reused): must be 0.
    pub bad: u64,
}

impl std::ops::AddAssign for ReaderStats {
    fn add_assign(&mut self, o: ReaderStats) {
        self.upgrades += o.upgrades;
        self.hits += o.hits;
        self.bad += o.bad;
    }
}

/// A reader: walks the set from slot `start`, upgrading each entry's pointer and checking the
/// object, in batches of `BATCH`, until `stop` is set or `limit` upgrades are done.
pub fn reader(set: Gc<Set>, start: usize, stop: &AtomicBool, limit: u64) -> ReaderStats {
    let entries: &[GcCell<Option<Gc<Entry>>>] = &set.entries;
    let mask = entries.len() - 1;
    let mut s = ReaderStats::default();
    let mut j = start & mask;
    let mut slicer = Slicer::new();
    while !stop.load(Ordering::Relaxed) && s.upgrades < limit {
        for _ in 0..BATCH {
            let e = entries[j].get().expect("w5: an empty slot");
            if let Some(o) = e.w.upgrade() {
                s.hits += 1;
                s.bad += !intact(&o, e.id) as u64;
            }
            j = (j + 1) & mask;
        }
        s.upgrades += BATCH;
        slicer.batch_done();
    }
    s
}

/// The collector goroutine: `collect()` back to back until `stop`; returns the count.
pub fn collector(stop: &AtomicBool) -> u64 {
    let mut n = 0;
    let mut slicer = Slicer::new();
    while !stop.load(Ordering::Relaxed) {
        collect();
        n += 1;
        slicer.batch_done();
    }
    n
}

/// The replacer goroutine: a new object into the next slot, round and round, until `stop`;
/// returns the count. Ids continue from `first_id`.
pub fn replacer(set: Gc<Set>, first_id: u64, stop: &AtomicBool) -> u64 {
    let mask = set.entries.len() - 1;
    let mut id = first_id;
    let mut slicer = Slicer::new();
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..BATCH {
            put(set, id as usize & mask, id);
            id += 1;
        }
        slicer.batch_done();
    }
    id - first_id
}

/// Phase 4's figures.
#[derive(Clone, Copy, Debug, Default)]
pub struct Concurrent {
    /// From start to stop.
    pub elapsed: Duration,
    /// Both readers.
    pub readers: ReaderStats,
    /// Collections the collector goroutine ran.
    pub collections: u64,
    /// Objects the replacer put in.
    pub replaced: u64,
    /// When the sleeping goroutine woke and set the stop flag (`duration` if on time).
    pub woke: Duration,
    /// When both readers had been joined.
    pub readers_joined: Duration,
}

/// Phase 4: 2 readers, a collector and a replacer for `duration` (this goroutine sleeps).
pub fn concurrent(duration: Duration) -> Concurrent {
    let set = new_set(SET);
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let stop = stop.clone();
            go(move || reader(set, r * SET / 2, &stop, u64::MAX))
        })
        .collect();
    let gc = {
        let stop = stop.clone();
        go(move || collector(&stop))
    };
    let rep = {
        let stop = stop.clone();
        go(move || replacer(set, SET as u64, &stop))
    };
    tricolor_runtime::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let woke = start.elapsed();
    let mut c = Concurrent::default();
    for r in readers {
        c.readers += r.join().expect("w5: a reader panicked");
    }
    let readers_joined = start.elapsed();
    c.collections = gc.join().expect("w5: the collector goroutine panicked");
    c.replaced = rep.join().expect("w5: the replacer panicked");
    c.elapsed = start.elapsed();
    c.woke = woke;
    c.readers_joined = readers_joined;
    black_box(set);
    c
}

/// The criterion bench's `upgrade_under_collections`: `iters` upgrades by one reader (the
/// set's walk, checked) while another goroutine runs `collect()` back to back. Returns the
/// reader's time and what it saw.
pub fn upgrades_under_collections(set: Gc<Set>, iters: u64) -> (Duration, ReaderStats) {
    let stop = Arc::new(AtomicBool::new(false));
    let gc = {
        let stop = stop.clone();
        go(move || collector(&stop))
    };
    let start = Instant::now();
    let s = reader(set, 0, &AtomicBool::new(false), iters.max(1));
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    gc.join().expect("w5: the collector goroutine panicked");
    (elapsed, s)
}
