//! Issue 9 items 1-3, through the public API: on-demand sweeping (`Cleanup::stop`,
//! `raw::object_info`/`read_ptr`/`write_ptr`, `weak::Pointer::new`) racing allocation-driven
//! sweeping, the background sweeper and span freeing, on 4 Ps (more than this machine's
//! cores). Before the protocol fix (`gc/src/sweep/protocol.rs`): the first test hung in 5 runs
//! of 5 (a waiter spun on a span freed without its sweepgen), the other two panicked within
//! 0.3 s ("unswept span in state h-1" when an allocator popped a span mid-sweep; fresh objects
//! reported dead when a span being swept in place went back on the swept list).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor::cleanup::{self, Cleanup};
use tricolor::gc::{collect, raw, Gc, GcArray};
use tricolor::runtime::debug::watchdog;
use tricolor::runtime::{go, yield_now, Runtime};

#[test]
fn stop_of_dead_objects_cleanups_beside_collections() {
    let rt = Runtime::builder().procs(4).build().unwrap();
    let _hang = watchdog("stop_of_dead_objects_cleanups_beside_collections", Duration::from_secs(120));
    rt.block_on(|| {
        for round in 0..40 {
            let h = go(|| (0..2000u64).map(|i| cleanup::add(&Gc::new([i; 2]), |_: u64| {}, i)).collect::<Vec<Cleanup>>());
            let cs = h.join().unwrap();
            let stopper = go(move || {
                for c in cs {
                    c.stop();
                }
            });
            collect();
            collect();
            stopper.join().unwrap();
            if round % 10 == 0 {
                eprintln!("round {round}");
            }
        }
    });
}

#[test]
fn object_info_beside_allocation_of_the_same_class() {
    let rt = Runtime::builder().procs(4).build().unwrap();
    let _hang = watchdog("object_info_beside_allocation_of_the_same_class", Duration::from_secs(120));
    rt.block_on(|| {
        let objs = GcArray::from_fn(20_000, |i| Gc::new([i as u64; 3]));
        let stop = Arc::new(AtomicBool::new(false));
        let (s1, s2) = (stop.clone(), stop.clone());
        let alloc = go(move || {
            let mut n = 0u64;
            while !s1.load(Ordering::Relaxed) {
                std::hint::black_box(Gc::new([n; 3]));
                n += 1;
            }
        });
        let coll = go(move || {
            while !s2.load(Ordering::Relaxed) {
                collect();
                tricolor::runtime::sleep(Duration::from_millis(1));
            }
        });
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(3) {
            for o in objs.iter() {
                let info = raw::object_info(o.addr()).expect("a live object has info");
                assert_eq!(info.payload, o.addr());
            }
            yield_now();
        }
        stop.store(true, Ordering::Relaxed);
        alloc.join().unwrap();
        coll.join().unwrap();
    });
}

/// A VM's cons cell: two pointer words (car, cdr) and a tag word.
fn cons_type() -> &'static tricolor::gc::TypeInfo {
    tricolor::gc::TypeInfo::from_bitmap("sweep_ownership::Cons", 24, &[0b011]).expect("valid bitmap")
}

#[test]
fn fresh_objects_are_live_to_every_lookup_beside_collections() {
    let rt = Runtime::builder().procs(4).build().unwrap();
    let _hang = watchdog("fresh_objects_are_live_to_every_lookup_beside_collections", Duration::from_secs(120));
    rt.block_on(|| {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let coll = go(move || {
            while !s.load(Ordering::Relaxed) {
                collect();
                tricolor::runtime::sleep(Duration::from_micros(200));
            }
        });
        let workers: Vec<_> = (0..4)
            .map(|w| {
                go(move || {
                    let ty = cons_type();
                    let t0 = Instant::now();
                    let mut prev = 0usize;
                    let mut n = 0u64;
                    while t0.elapsed() < Duration::from_secs(2) {
                        let c = raw::alloc(ty).expect("alloc").as_ptr() as usize;
                        raw::write_ptr(c, 8, prev).unwrap_or_else(|e| panic!("worker {w}, cons {n}: {e}"));
                        assert_eq!(raw::read_ptr(c, 8).unwrap(), prev);
                        let g = Gc::new([n; 3]);
                        let wp = tricolor::weak::Pointer::new(&g);
                        assert_eq!(wp.upgrade().map(|o| o[0]), Some(n));
                        let cl = cleanup::add(&g, |_: u64| {}, n);
                        if n.is_multiple_of(2) {
                            cl.stop();
                        }
                        std::hint::black_box(g);
                        // A short list: most conses die young.
                        prev = if n.is_multiple_of(16) { 0 } else { c };
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let total: u64 = workers.into_iter().map(|h| h.join().unwrap()).sum();
        stop.store(true, Ordering::Relaxed);
        coll.join().unwrap();
        assert!(total > 1000, "only {total} rounds");
    });
}
