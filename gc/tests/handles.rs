//! Issue 12 item 5 and 7: `GcArray` and `GcStr` as a VM keeps them — in `GcCell` slots (and as
//! `Option`s of them) that change while collections run, and as bare words rebuilt with
//! `from_addr` — and `GcStr`'s value semantics (content equality, ordering and hashing that
//! agree with `str`'s) against `GcArray`'s identity.
//!
//! The binary runs with `poisonfree=1`: an object freed while a slot still named it is filled
//! with poison, so reading it back through the slot panics (debug builds) or shows the wrong
//! content (both checked below). Every test calls `debug_modes` first (the first caller wins).

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use tricolor_gc::{collect, Gc, GcArray, GcCell, GcPtr, GcStr, Root, Trace};
use tricolor_runtime::{block_on, go};

#[derive(Trace)]
struct Slots {
    s: GcCell<GcStr>,
    os: GcCell<Option<GcStr>>,
    a: GcCell<GcArray<Gc<u64>>>,
    oa: GcCell<Option<GcArray<u64>>>,
}

fn text(i: u64) -> String {
    format!("value number {i} of the slot test")
}

/// Replaces every slot's value with fresh objects for round `i`, in a frame of its own: when
/// it returns, the slots are the only references to them.
#[inline(never)]
fn fill(h: &Slots, i: u64) {
    h.s.set(GcStr::new(&text(i)));
    h.os.set((!i.is_multiple_of(3)).then(|| GcStr::new(&text(i + 1))));
    h.a.set(GcArray::from_fn(16, |k| Gc::new(i * 100 + k as u64)));
    h.oa.set((i.is_multiple_of(2)).then(|| GcArray::from_fn(8, |k| i + k as u64)));
}

/// Garbage in the size classes of the values above, so freed objects are reused.
#[inline(never)]
fn churn(i: u64) {
    for k in 0..200 {
        std::hint::black_box(GcStr::new(&text(i + k)));
        std::hint::black_box(GcArray::from_fn(16, |j| Gc::new(j as u64)));
        std::hint::black_box(GcArray::from_fn(8, |j| j as u64));
    }
}

#[test]
fn handles_in_cells_survive_collections_while_they_change() {
    common::debug_modes("poisonfree=1");
    block_on(|| {
        let slots = Root::new(Gc::new(Slots {
            s: GcCell::new(GcStr::new("")),
            os: GcCell::new(None),
            a: GcCell::new(GcArray::from_fn(0, |_| Gc::new(0))),
            oa: GcCell::new(None),
        }));
        let stop: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        let collector = go(move || {
            while !stop.load(Ordering::Relaxed) {
                collect();
            }
        });
        let before = tricolor_gc::stats().num_gc;
        // At least 300 rounds and 20 collections (in release builds the rounds alone can be
        // over before the collector goroutine has run many).
        for i in 0u64.. {
            if i >= 300 && tricolor_gc::stats().num_gc >= before + 20 {
                break;
            }
            assert!(i < 1_000_000, "20 collections did not happen in 1 M rounds");
            let h = slots.get();
            fill(&h, i);
            churn(i);
            assert_eq!(h.s.get(), text(i).as_str(), "round {i}: string slot");
            match h.os.get() {
                Some(s) => assert!(!i.is_multiple_of(3) && s == text(i + 1), "round {i}: optional string slot held {s:?}"),
                None => assert_eq!(i % 3, 0, "round {i}: optional string slot lost its value"),
            }
            let a = h.a.get();
            assert!(a.iter().enumerate().all(|(k, g)| **g == i * 100 + k as u64), "round {i}: array slot {a:?}");
            match h.oa.get() {
                Some(a) => assert!(i.is_multiple_of(2) && *a == *GcArray::from_fn(8, |k| i + k as u64), "round {i}: {a:?}"),
                None => assert_eq!(i % 2, 1, "round {i}: optional array slot lost its value"),
            }
        }
        stop.store(true, Ordering::Relaxed);
        // The loop above saw 20 collections (this goroutine's allocations may have started
        // some of them too).
        collector.join().unwrap();
    });
}

#[test]
fn handles_round_trip_through_words() {
    common::debug_modes("poisonfree=1");
    block_on(|| {
        let a = GcArray::from_slice(&[3u64, 4, 5]);
        let s = GcStr::new("symbol");
        let (wa, ws) = (a.to_word(), s.to_word());
        assert_eq!((wa, ws), (a.addr(), s.addr()));
        collect();
        // SAFETY: the words came from `a` and `s`, both alive (used below).
        let (a2, s2) = unsafe { (GcArray::<u64>::from_addr(wa), GcStr::from_addr(ws)) };
        assert!(GcArray::ptr_eq(a, a2) && a == a2 && a2[2] == 5);
        assert!(GcStr::ptr_eq(s, s2) && s2 == "symbol");
        // SAFETY: as above, or 0 for `None`.
        unsafe {
            assert_eq!(Option::<GcArray<u64>>::from_word(wa), Some(a));
            assert_eq!(Option::<GcStr>::from_word(ws), Some(s));
            assert_eq!(Option::<GcStr>::from_word(0), None);
            assert_eq!(Option::<GcArray<u64>>::from_word(0), None);
        }
        assert_eq!(Some(s).to_word(), ws);
        assert_eq!(None::<GcStr>.to_word(), 0);
        std::hint::black_box((a, s));
    });
}

#[test]
fn strings_compare_order_and_hash_by_content() {
    common::debug_modes("poisonfree=1");
    block_on(|| {
        let a = GcStr::new("car");
        let b = GcStr::new("car");
        let c = GcStr::new("cdr");
        assert!(a == b && !GcStr::ptr_eq(a, b), "equal by content, distinct objects");
        assert!(a != c && a < c && c > b);
        assert_eq!(a, "car");
        assert_eq!(a, *"car");
        assert_eq!("car", a);
        assert_eq!(*"car", a);
        assert_eq!(String::from("car"), a);
        assert_ne!(a, "cdr");
        assert_eq!(a.as_str(), "car");
        assert_eq!(AsRef::<[u8]>::as_ref(&a), b"car");
        assert_eq!(format!("{a} {c:?}"), "car \"cdr\"");
        // `Borrow<str>`'s contract: the same hash as the `str`.
        let h = std::collections::hash_map::RandomState::new();
        assert_eq!(h.hash_one(a), h.hash_one("car"));
        assert_eq!(h.hash_one(a), h.hash_one(b));
        let mut env: HashMap<GcStr, u64> = HashMap::new();
        env.insert(a, 1);
        env.insert(b, 2);
        env.insert(c, 3);
        assert_eq!(env.len(), 2);
        assert_eq!((env.get("car"), env.get("cdr"), env.get("cons")), (Some(&2), Some(&3), None));
        let sorted: Vec<String> =
            ["pair", "atom", "cons", "atom"].map(GcStr::new).into_iter().collect::<BTreeSet<_>>().iter().map(|s| s.to_string()).collect();
        assert_eq!(sorted, ["atom", "cons", "pair"]);
        std::hint::black_box((a, b, c));
    });
}

#[test]
fn arrays_compare_and_hash_by_identity() {
    common::debug_modes("poisonfree=1");
    block_on(|| {
        let a = GcArray::from_slice(&[1u64, 2]);
        let b = GcArray::from_slice(&[1u64, 2]);
        assert!(a != b && *a == *b, "distinct arrays with equal elements");
        assert_eq!(a, a);
        let set: HashSet<GcArray<u64>> = [a, b, a].into_iter().collect();
        assert_eq!(set.len(), 2);
        std::hint::black_box((a, b));
    });
}

#[test]
#[should_panic(expected = "GcArray::from_addr(0)")]
fn array_from_addr_of_zero_is_refused() {
    // SAFETY: deliberately broken: the call must panic before anything is built.
    let _ = unsafe { GcArray::<u64>::from_addr(0) };
}

#[test]
#[should_panic(expected = "GcStr::from_addr(0)")]
fn str_from_addr_of_zero_is_refused() {
    // SAFETY: deliberately broken: the call must panic before anything is built.
    let _ = unsafe { GcStr::from_addr(0) };
}
