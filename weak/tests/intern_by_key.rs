//! Issue 12 item 7: interning by a borrowed key. A hit (`intern_str`, `intern_by`, `get`)
//! allocates nothing — counted with `stats().mallocs`, so the tests of this binary run one at a
//! time (another test's allocations would show in the count) —, a miss allocates the value,
//! entries made through either API are one table, and a `Borrow` that breaks its contract is
//! refused.

use std::borrow::Borrow;
use std::sync::Mutex;
use tricolor_gc::{collect, stats, GcArray, GcStr, Trace};
use tricolor_runtime::{block_on, go};
use tricolor_weak::{Interned, Interner};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn name(i: usize) -> String {
    format!("symbol-{i}")
}

#[test]
fn a_hit_by_str_allocates_nothing() {
    let _s = serial();
    block_on(|| {
        let t: Interner<GcStr> = Interner::new();
        let m0 = stats().mallocs;
        // Misses: each builds the string (its array) and the interned object, and a weak cell.
        let syms: GcArray<Interned<GcStr>> = GcArray::from_fn(100, |i| t.intern_str(&name(i)));
        let m1 = stats().mallocs;
        assert!(m1 - m0 >= 201, "100 misses allocated only {} objects", m1 - m0);
        for round in 0..10 {
            for (i, s) in syms.iter().enumerate() {
                let key = name(i);
                assert!(t.intern_str(&key) == *s, "round {round}: {key}");
                assert!(t.intern_by(key.as_str(), |k| GcStr::new(k)) == *s);
                assert_eq!(t.get(key.as_str()), Some(*s));
                assert_eq!(**s, key);
            }
        }
        let m2 = stats().mallocs;
        assert_eq!(m2 - m1, 0, "3000 hits allocated {} objects", m2 - m1);
        assert_eq!(t.get("no such symbol"), None);
        assert_eq!(stats().mallocs - m2, 0, "a `get` miss allocated");
        // The by-value API builds its argument even on a hit: the cost the borrowed lookup
        // removes (and proof that the counter sees these allocations).
        for (i, s) in syms.iter().enumerate() {
            assert!(t.intern(GcStr::new(&name(i))) == *s, "by value and by key share entries");
        }
        assert!(stats().mallocs - m2 >= 100, "100 by-value hits allocated only {}", stats().mallocs - m2);
        assert_eq!(t.len(), 100);
    });
}

#[test]
fn entries_made_by_key_die_with_their_last_handle() {
    let _s = serial();
    block_on(|| {
        let t: &'static Interner<GcStr> = Box::leak(Box::new(Interner::new()));
        // Interned on a goroutine that dies (its stack is not scanned), keeping handles to the
        // even ones only, in a heap array returned through join.
        let kept = go(move || {
            let all = GcArray::from_fn(200, |i| if i % 2 == 0 { t.intern_str(&name(i)) } else { t.intern(GcStr::new(&name(i))) });
            assert_eq!(t.len(), 200);
            GcArray::from_fn(100, |i| all[2 * i])
        })
        .join()
        .unwrap();
        collect();
        collect();
        assert_eq!(t.len(), 100, "entries whose last handle is gone must go away");
        assert!((0..200).filter(|i| i % 2 == 1).all(|i| t.get(name(i).as_str()).is_none()), "a dead entry was found");
        for (i, k) in kept.iter().enumerate() {
            assert!(t.get(name(2 * i).as_str()) == Some(*k), "a live entry lost");
            assert!(t.intern_str(&name(2 * i)) == *k);
        }
        // A dead symbol interned again is a fresh, working entry.
        let again = t.intern_str(&name(1));
        assert_eq!(*again, name(1));
        assert!(t.get(name(1).as_str()) == Some(again));
    });
}

#[test]
fn interning_by_key_from_many_goroutines_gives_one_object() {
    let _s = serial();
    block_on(|| {
        let t: &'static Interner<GcStr> = Box::leak(Box::new(Interner::new()));
        let mut hs: Vec<_> = (0..32usize)
            .map(|i| Some(go(move || if i % 3 == 0 { t.intern(GcStr::new(&name(i % 4))) } else { t.intern_str(&name(i % 4)) })))
            .collect();
        // Joined into a traced array: a `Vec` of handles is not scanned.
        let got: GcArray<Interned<GcStr>> = GcArray::from_fn(32, |i| hs[i].take().unwrap().join().unwrap());
        for (i, v) in got.iter().enumerate() {
            for (j, w) in got.iter().enumerate() {
                assert_eq!(i % 4 == j % 4, v == w, "values {i} and {j}");
            }
        }
    });
}

/// Hashes all of itself but borrows as its first field: `Borrow`'s contract broken.
#[derive(Trace, PartialEq, Eq, Hash, Debug, Clone, Copy)]
struct Pair {
    a: u64,
    b: u64,
}
impl Borrow<u64> for Pair {
    fn borrow(&self) -> &u64 {
        &self.a
    }
}

#[test]
fn a_borrow_that_breaks_its_contract_is_refused() {
    let _s = serial();
    block_on(|| {
        let t: Interner<Pair> = Interner::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.intern_by(&5u64, |&a| Pair { a, b: 9 })));
        let p = r.expect_err("a value hashing unlike its key was accepted");
        let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.starts_with("Interner::intern_by: the value `make` built"), "{msg}");
        // And one that builds a value for another key.
        let t2: Interner<GcStr> = Interner::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t2.intern_by("x", |_| GcStr::new("y"))));
        assert!(r.is_err(), "a value unequal to its key was accepted");
    });
}
