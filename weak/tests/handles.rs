//! Issue 12: typed weak pointers to every handle type (`GcStr`, `GcArray<T>`, `Interned<T>`,
//! `Gc<T>`) and to a field inside an object (Go's `weak.Make(&x.f)`): alive while their
//! object is, empty after, equal when made from the same address.
//!
//! Objects are made on goroutines that then die, kept alive only through a rooted holder's
//! cells, and every upgrade that should find nothing is asked on a goroutine of its own: the
//! conservative stack scan would keep whatever an upgraded address left in this frame. The
//! tests run one at a time, so another test's allocating goroutine cannot hold an address of
//! ours in its frames.

use std::sync::Mutex;
use tricolor_gc::{collect, Gc, GcArray, GcCell, GcStr, Root, Trace};
use tricolor_runtime::{block_on, go};
use tricolor_weak::{Field, Interned, Interner, Pointer, Weak, WeakTarget};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether `w` upgrades, asked on a goroutine of its own (nothing stays on our stack).
fn alive<H: WeakTarget + Send + 'static>(w: Weak<H>) -> bool {
    go(move || w.upgrade().is_some()).join().unwrap()
}

#[derive(Trace)]
struct Obj {
    id: u64,
    pair: (u64, u64),
    name: GcCell<Option<GcStr>>,
}

/// What the tests keep alive: each slot is the only strong reference to its value.
#[derive(Trace)]
struct Holder {
    s: GcCell<Option<GcStr>>,
    a: GcCell<Option<GcArray<u64>>>,
    i: GcCell<Option<Interned<GcStr>>>,
    o: GcCell<Option<Gc<Obj>>>,
    /// Strong references to fields only.
    fields: GcCell<Option<GcArray<Field<Obj, u64>>>>,
    /// A weak field pointer kept in the heap.
    wf: GcCell<Weak<Field<Obj, u64>>>,
}

fn holder() -> Root<Holder> {
    Root::new(Gc::new(Holder {
        s: GcCell::new(None),
        a: GcCell::new(None),
        i: GcCell::new(None),
        o: GcCell::new(None),
        fields: GcCell::new(None),
        wf: GcCell::new(Weak::null()),
    }))
}

fn collect_n(n: usize) {
    for _ in 0..n {
        collect();
    }
}

#[test]
fn weak_pointers_to_every_handle_type_live_and_die_with_their_object() {
    let _s = serial();
    block_on(|| {
        let symbols: &'static Interner<GcStr> = Box::leak(Box::new(Interner::new()));
        let h = holder();
        let hg = h.get();
        let (ws, wa, wi, wo) = go(move || {
            let s = GcStr::new("a weakly held string");
            let a = GcArray::from_fn(40, |i| i as u64 * 3);
            let i = symbols.intern_str("weak-symbol");
            let o = Gc::new(Obj { id: 5, pair: (1, 2), name: GcCell::new(None) });
            hg.s.set(Some(s));
            hg.a.set(Some(a));
            hg.i.set(Some(i));
            hg.o.set(Some(o));
            let w = (Weak::new(&s), Weak::new(&a), Weak::new(&i), Pointer::new(&o));
            assert_eq!(w, (Weak::new(&s), Weak::new(&a), Weak::new(&i), Pointer::new(&o)), "made from the same object");
            assert_ne!(w.0, Weak::new(&GcStr::new("a weakly held string")), "an equal string is another object");
            w
        })
        .join()
        .unwrap();
        collect_n(3);
        let (s, a, i, o) = go(move || {
            let s = ws.upgrade().map(|s| s.to_string());
            let a = wa.upgrade().map(|a| a.iter().sum::<u64>());
            let i = wi.upgrade().map(|i| (i == symbols.intern_str("weak-symbol"), i.to_string()));
            let o = wo.upgrade().map(|o| o.id);
            (s, a, i, o)
        })
        .join()
        .unwrap();
        assert_eq!(s.as_deref(), Some("a weakly held string"));
        assert_eq!(a, Some(3 * 39 * 40 / 2));
        assert_eq!(i, Some((true, "weak-symbol".to_string())));
        assert_eq!(o, Some(5));
        // Let go of each in turn: only that one reads empty.
        hg.s.set(None);
        collect_n(2);
        assert_eq!((alive(ws), alive(wa), alive(wi), alive(wo)), (false, true, true, true));
        hg.a.set(None);
        hg.i.set(None);
        collect_n(2);
        assert_eq!((alive(ws), alive(wa), alive(wi), alive(wo)), (false, false, false, true));
        assert!(symbols.get("weak-symbol").is_none(), "the interned entry died with its handle");
        hg.o.set(None);
        collect_n(2);
        assert!(!alive(wo));
    });
}

#[test]
fn a_field_pointer_dies_only_when_the_whole_object_is_unreachable() {
    let _s = serial();
    block_on(|| {
        let h = holder();
        let hg = h.get();
        let (second, first) = go(move || {
            let o = Gc::new(Obj { id: 7, pair: (70, 700), name: GcCell::new(Some(GcStr::new("seven"))) });
            hg.o.set(Some(o));
            let second = Weak::field(o, |x| &x.pair.1);
            let first = Weak::field(o, |x| &x.pair.0);
            // Go's rule: from the same address, equal — however it was spelled.
            assert_eq!(second, Weak::field(o, |x| &x.pair.1));
            assert_eq!(second, Weak::new(&Field::new(o, |x| &x.pair.1)));
            assert_ne!(second, first);
            hg.wf.set(second);
            (second, first)
        })
        .join()
        .unwrap();
        collect_n(3);
        let got = go(move || {
            let f = second.upgrade().expect("a field of a held object read empty");
            (*f, f.offset(), f.object().id, f.object().name.get().map(|n| n.to_string()), *first.upgrade().unwrap())
        })
        .join()
        .unwrap();
        assert_eq!(got, (700, std::mem::offset_of!(Obj, pair.1), 7, Some("seven".to_string()), 70));
        // Only fields held now, through `Field`s in the heap: the object stays.
        go(move || {
            let o = hg.o.get().unwrap();
            hg.fields.set(Some(GcArray::from_fn(1, |_| Field::new(o, |x| &x.pair.0))));
            hg.o.set(None);
        })
        .join()
        .unwrap();
        collect_n(3);
        assert!(alive(second) && alive(first), "a field's weak pointer read empty while a Field kept its object alive");
        assert_eq!(go(move || hg.fields.get().map(|f| *f[0])).join().unwrap(), Some(70));
        // The whole object unreachable: both fields' pointers read empty, the one kept in the
        // heap too.
        hg.fields.set(None);
        collect_n(3);
        assert!(!alive(second) && !alive(first), "a field's weak pointer outlived its object");
        assert!(!alive(hg.wf.get()));
        assert_eq!(hg.wf.get(), second, "the weak slot still holds its (empty) pointer");
    });
}

#[test]
fn a_projection_outside_the_object_is_refused() {
    let _s = serial();
    block_on(|| {
        #[derive(Trace)]
        struct Link {
            next: Gc<(u64, u64)>,
        }
        static OUTSIDE: u64 = 3;
        let o = Gc::new(Link { next: Gc::new((1, 2)) });
        let r = std::panic::catch_unwind(|| Field::new(o, |l| &l.next.1));
        let msg = r.expect_err("a field of another object was accepted").downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.starts_with("weak::Field::new: the projection returned a reference outside the object"), "{msg}");
        assert!(std::panic::catch_unwind(|| Field::new(o, |_| &OUTSIDE)).is_err(), "a static was accepted");
        // The object's own field is fine.
        assert!(Gc::ptr_eq(*Field::new(o, |l| &l.next), o.next));
    });
}

/// Field pointers upgraded again and again while collections run back to back: the upgrade
/// finds each live object's base (`raw::object_info`) in every phase, and the fields of the
/// objects let go read empty.
#[test]
fn field_pointers_upgrade_while_collections_run() {
    let _s = serial();
    block_on(|| {
        const N: usize = 64;
        // Made on a goroutine that dies: the odd objects are held by `kept`, the even ones by
        // nothing.
        let (kept, weak) = go(|| {
            let objs = GcArray::from_fn(N, |i| Gc::new(Obj { id: i as u64, pair: (i as u64, 2 * i as u64), name: GcCell::new(None) }));
            let weak = GcArray::from_fn(N, |i| Weak::field(objs[i], |o| &o.pair.1));
            let kept = GcArray::from_fn(N, |i| (i % 2 == 1).then(|| objs[i]));
            (Root::new(Gc::new(kept)), weak)
        })
        .join()
        .unwrap();
        let stop: &'static std::sync::atomic::AtomicBool = Box::leak(Box::new(std::sync::atomic::AtomicBool::new(false)));
        let collector = go(move || {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                collect();
                n += 1;
            }
            n
        });
        let gc0 = tricolor_gc::stats().num_gc;
        let checked = go(move || {
            let mut ok = 0u64;
            // At least 200 rounds and 20 collections (in release builds the rounds alone can
            // be over before the collector goroutine first runs).
            for round in 0.. {
                if round >= 200 && tricolor_gc::stats().num_gc >= gc0 + 20 {
                    break;
                }
                assert!(round < 10_000_000, "20 collections did not happen in 10 M rounds");
                for (i, w) in weak.iter().enumerate() {
                    match w.upgrade() {
                        Some(f) => {
                            assert_eq!((*f, f.object().id), (2 * i as u64, i as u64), "round {round}: field {i}");
                            ok += 1;
                        }
                        None => assert!(i % 2 == 0, "round {round}: a held object's field read empty ({i})"),
                    }
                }
            }
            ok
        })
        .join()
        .unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let collections = collector.join().unwrap();
        assert!(collections >= 20 && checked >= 200 * N as u64 / 2, "{collections} collections, {checked} upgrades");
        // With the collector stopped: the unheld ones are gone, the held ones stay.
        collect_n(2);
        let live: Vec<bool> = go(move || weak.iter().map(|w| w.upgrade().is_some()).collect()).join().unwrap();
        assert!(live.iter().enumerate().all(|(i, l)| *l == (i % 2 == 1)), "{live:?}");
        std::hint::black_box(kept);
    });
}
