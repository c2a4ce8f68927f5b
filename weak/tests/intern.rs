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
        assert_eq!(t.len(), 2);
    });
}

#[test]
fn interning_from_many_goroutines_at_once_gives_one_object() {
    block_on(|| {
        let t: &'static Interner<Sym> = Box::leak(Box::new(Interner::new()));
        let hs: Vec<_> = (0..32).map(|i| go(move || (i, t.intern(Sym { a: i % 4, b: 0 })))).collect();
        let got: Vec<(u64, Interned<Sym>)> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        for (i, v) in &got {
            for (j, w) in &got {
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
        let kept = go(move || {
            let all = GcArray::from_fn(1000, |i| t.intern(Sym { a: i as u64, b: 7 }));
            GcArray::from_fn(500, |i| all[2 * i])
        })
        .join()
        .unwrap();
        assert_eq!(t.len(), 1000);
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
