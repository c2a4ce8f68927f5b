//! Seed 002 (a weak-reference library outside Go's runtime crashed the collector with
//! "non-empty mark queue after concurrent mark"): resurrecting an object from a weak reference
//! raced with marking and sweeping. Here weak pointers are part of the collector; this stress
//! test demands that an upgrade never returns a freed or reused object and that every weak
//! pointer to a dead object reads empty.
//!
//! Many goroutines upgrade weak pointers to a churning set of objects (checking a canary in
//! every object they get) while others replace the objects and one runs collections back to
//! back, with `gccheckmark=1` (every mark verified) and `poisonfree=1` (freed memory poisoned,
//! a freed object returned by an upgrade aborts). Then everything is dropped: after two
//! collections every weak pointer reads empty.
//!
//! Bounded for CI (1.5 s); `TRICOLOR_SEED_SECS` runs longer.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_gc::{collect, Gc, GcArray, GcCell, Trace};
use tricolor_runtime::{go, yield_now, Runtime};
use tricolor_weak::Pointer;

const SLOTS: usize = 512;

#[derive(Trace)]
struct Obj {
    id: u64,
    canary: u64,
    payload: [u64; 4],
    next: GcCell<Option<Gc<Obj>>>,
}

fn canary(id: u64) -> u64 {
    id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5eed_0002
}

fn obj(id: u64) -> Gc<Obj> {
    Gc::new(Obj { id, canary: canary(id), payload: [id; 4], next: GcCell::new(None) })
}

fn check(o: &Obj) -> Result<(), String> {
    if o.canary != canary(o.id) || o.payload != [o.id; 4] {
        return Err(format!(
            "upgraded object {:#x} is corrupt: id {} canary {:#x} payload {:?}",
            o as *const Obj as usize, o.id, o.canary, o.payload
        ));
    }
    Ok(())
}

#[derive(Trace)]
struct Table {
    strong: GcArray<GcCell<Option<Gc<Obj>>>>,
    weak: GcArray<GcCell<Pointer<Obj>>>,
}

fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

#[test]
fn upgrades_never_see_a_dead_object_while_objects_churn_and_collections_run() {
    // Read once per process, before the collector starts.
    std::env::set_var("TRICOLOR_DEBUG", "gccheckmark=1,poisonfree=1");
    let secs: f64 = std::env::var("TRICOLOR_SEED_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(1.5);
    let rt = Runtime::builder().procs(2).build().expect("2 Ps");
    let finished = Arc::new(AtomicBool::new(false));
    let upgrades = Arc::new(AtomicU64::new(0));
    let hits = Arc::new(AtomicU64::new(0));
    let churned = Arc::new(AtomicU64::new(0));
    let cycles = Arc::new(AtomicU64::new(0));
    {
        let f = finished.clone();
        let (u, ch, cy) = (upgrades.clone(), churned.clone(), cycles.clone());
        let limit = Duration::from_secs_f64(secs * 20.0 + 60.0);
        std::thread::spawn(move || {
            let t = Instant::now();
            while !f.load(Ordering::Relaxed) {
                if std::env::var_os("SEED002_PROGRESS").is_some() && t.elapsed().as_millis() % 2000 < 50 {
                    // Debugging aid: progress counters and the scheduler state every 2 s.
                    eprintln!(
                        "progress: upgrades {} churned {} cycles {}\n{}\n{}",
                        u.load(Ordering::Relaxed),
                        ch.load(Ordering::Relaxed),
                        cy.load(Ordering::Relaxed),
                        tricolor_runtime::debug::sched_dump(),
                        tricolor_gc::internals::mark_state()
                    );
                }
                if t.elapsed() > limit {
                    eprintln!("seed002: hang after {limit:?}\n{}", tricolor_runtime::debug::sched_dump());
                    if std::env::var_os("TRICOLOR_TEST_HANG_PAUSE").is_some() {
                        std::thread::sleep(Duration::from_secs(120));
                    }
                    std::process::abort();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
    }
    let (u, h, ch, cy) = (upgrades.clone(), hits.clone(), churned.clone(), cycles.clone());
    let weak_after = rt.block_on(move || {
        let table = Gc::new(Table {
            strong: GcArray::from_fn(SLOTS, |i| GcCell::new(Some(obj(i as u64)))),
            weak: GcArray::from_fn(SLOTS, |_| GcCell::new(Pointer::null())),
        });
        for i in 0..SLOTS {
            table.weak[i].set(Pointer::new(&table.strong[i].get().unwrap()));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut hs = Vec::new();
        // Upgraders.
        for k in 0..4u64 {
            let (stop, u, h) = (stop.clone(), u.clone(), h.clone());
            hs.push(go(move || -> Result<(), String> {
                let mut r = rng(0xabc + k);
                while !stop.load(Ordering::Relaxed) {
                    let i = (r() % SLOTS as u64) as usize;
                    u.fetch_add(1, Ordering::Relaxed);
                    if let Some(o) = table.weak[i].get().upgrade() {
                        h.fetch_add(1, Ordering::Relaxed);
                        check(&o)?;
                    }
                    if r().is_multiple_of(256) {
                        yield_now();
                    }
                }
                Ok(())
            }));
        }
        // Churners: replace objects (the old ones die), re-point the weak slot.
        for k in 0..2u64 {
            let (stop, ch) = (stop.clone(), ch.clone());
            hs.push(go(move || -> Result<(), String> {
                let mut r = rng(0x5eed + k);
                let mut id = 1_000_000 * (k + 1);
                while !stop.load(Ordering::Relaxed) {
                    let i = (r() % SLOTS as u64) as usize;
                    id += 1;
                    let o = obj(id);
                    // Garbage too, so collections have work.
                    let _g = GcArray::from_fn(8, |j| obj(id * 100 + j as u64));
                    table.strong[i].set(Some(o));
                    table.weak[i].set(Pointer::new(&o));
                    ch.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }));
        }
        // The collector, back to back.
        {
            let (stop, cy) = (stop.clone(), cy.clone());
            hs.push(go(move || -> Result<(), String> {
                while !stop.load(Ordering::Relaxed) {
                    collect();
                    cy.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }));
        }
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs_f64(secs) {
            tricolor_runtime::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        for hnd in hs {
            if let Err(e) = hnd.join().expect("stress goroutine panicked") {
                panic!("{e}");
            }
        }
        // Drop everything; after two collections every weak pointer reads empty.
        let weak_only = GcArray::from_fn(SLOTS, |i| table.weak[i].get());
        for i in 0..SLOTS {
            table.strong[i].set(None);
        }
        collect();
        collect();
        weak_only.iter().filter(|w| w.upgrade().is_some()).count()
    });
    finished.store(true, Ordering::Relaxed);
    eprintln!(
        "seed002: {} upgrades ({} live), {} objects churned, {} collections in {secs} s",
        upgrades.load(Ordering::Relaxed),
        hits.load(Ordering::Relaxed),
        churned.load(Ordering::Relaxed),
        cycles.load(Ordering::Relaxed)
    );
    assert!(cycles.load(Ordering::Relaxed) >= 3, "the collector must have run during the test");
    assert!(hits.load(Ordering::Relaxed) > 0, "some upgrades must have succeeded");
    assert_eq!(weak_after, 0, "{weak_after} weak pointers to dropped objects still upgrade after two collections");
}
