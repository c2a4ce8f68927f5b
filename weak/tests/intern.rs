//! The interning table (Go's `unique`): equal values give the same object; handles compare by
//! pointer; an entry goes away once no handle is left.

use tricolor_gc::{collect, Gc, GcArray, Trace};
use tricolor_runtime::{block_on, go};
use tricolor_weak::{Interned, Interner};

#[derive(Trace, PartialEq, Eq, Hash, Debug, Clone, Copy)]
struct Sym {
    a: u64,
    b: u64,
}

#[test]
fn equal_values_share_one_object() {
    block_on(|| {
        let t: Interner<Sym> = Interner::new();
        let x = t.intern(Sym { a: 1, b: 2 });
        let y = t.intern(Sym { a: 1, b: 2 });
        let z = t.intern(Sym { a: 1, b: 3 });
        assert!(x == y && Gc::ptr_eq(x.gc(), y.gc()));
        assert!(x != z);
        assert_eq!(*z, Sym { a: 1, b: 3 });
        collect();
        assert!(t.intern(Sym { a: 1, b: 2 }) == x, "a live entry must survive collections");
        // `z` is used below, so its handle is live through the collection (in a release build
        // a handle not used after `collect()` is dead there, and so may be its entry).
        assert_eq!(t.len(), 2);
        assert_eq!(std::hint::black_box(z).b, 3);
    });
}

#[test]
fn interning_from_many_goroutines_at_once_gives_one_object() {
    block_on(|| {
        let t: &'static Interner<Sym> = Box::leak(Box::new(Interner::new()));
        let mut hs: Vec<_> = (0..32u64).map(|i| Some(go(move || t.intern(Sym { a: i % 4, b: 0 })))).collect();
        // The handles go into a traced array, not a `Vec`: a `Vec` is not scanned, and a
        // collection run meanwhile by another test of this binary would free the objects of
        // handles already joined, so later interns of the same values made new ones (this
        // test failed ~1 run in 20 that way).
        let got: GcArray<Interned<Sym>> = GcArray::from_fn(32, |i| hs[i].take().unwrap().join().unwrap());
        for (i, v) in got.iter().enumerate() {
            for (j, w) in got.iter().enumerate() {
                assert_eq!(i % 4 == j % 4, v == w, "values {i} and {j}");
            }
        }
    });
}

#[test]
fn entries_without_handles_are_removed() {
    block_on(|| {
        let t: &'static Interner<Sym> = Box::leak(Box::new(Interner::new()));
        // Intern on a goroutine that dies, keeping handles to the even ones only (in a heap
        // array, returned through join).
        // `len` upgrades every entry: run it there too, or the last address it upgraded stays
        // in a slot of this goroutine's stack, and the conservative scan keeps that object
        // (this test failed ~1 run in 12 that way).
        let kept = go(move || {
            let all = GcArray::from_fn(1000, |i| t.intern(Sym { a: i as u64, b: 7 }));
            assert_eq!(t.len(), 1000);
            GcArray::from_fn(500, |i| all[2 * i])
        })
        .join()
        .unwrap();
        collect();
        collect();
        assert_eq!(t.len(), 500, "entries whose last handle is gone must go away");
        // The kept ones are still canonical.
        for (i, k) in kept.iter().enumerate() {
            assert!(t.intern(Sym { a: 2 * i as u64, b: 7 }) == *k);
        }
        // A dropped value interned again is a fresh object.
        let again = t.intern(Sym { a: 1, b: 7 });
        assert_eq!(*again, Sym { a: 1, b: 7 });
    });
}
