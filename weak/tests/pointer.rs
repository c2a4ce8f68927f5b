//! Weak pointers, in the spirit of Go's `weak/pointer_test.go` (reference §10.6): alive across
//! collections and empty after; equality; interior pointers and large objects without
//! duplicate handles; many goroutines making handles for one object at once; an object
//! reachable only through a weak pointer is collected; bad input.

use tricolor_gc::{collect, Gc, GcArray, GcCell, Trace};
use tricolor_runtime::{block_on, go};
use tricolor_weak::Pointer;

#[derive(Trace)]
struct Obj {
    id: u64,
    canary: u64,
    next: GcCell<Option<Gc<Obj>>>,
}

fn obj(id: u64) -> Gc<Obj> {
    Gc::new(Obj { id, canary: id.wrapping_mul(0x9E37_79B9_7F4A_7C15), next: GcCell::new(None) })
}

/// Makes `n` objects on a goroutine that then dies (its stack is not scanned), keeping strong
/// references to the even ones and returning weak pointers to all.
fn weak_to_fresh_objects(n: u64) -> (GcArray<Pointer<Obj>>, GcArray<Option<Gc<Obj>>>) {
    go(move || {
        let objs = GcArray::from_fn(n as usize, |i| obj(i as u64));
        let weak = GcArray::from_fn(n as usize, |i| Pointer::new(&objs[i]));
        let strong = GcArray::from_fn(n as usize, |i| (i % 2 == 0).then(|| objs[i]));
        (weak, strong)
    })
    .join()
    .unwrap()
}

#[test]
fn alive_while_reachable_and_empty_after() {
    block_on(|| {
        let (weak, strong) = weak_to_fresh_objects(1000);
        collect();
        for (i, w) in weak.iter().enumerate() {
            if i % 2 == 0 {
                let o = w.upgrade().expect("a strongly held object's weak pointer read empty");
                assert_eq!(o.id, i as u64);
                assert!(Gc::ptr_eq(o, strong[i].unwrap()));
            } else {
                assert!(w.upgrade().is_none(), "object {i} is reachable only weakly but survived a collection");
            }
        }
        // Forever empty after.
        collect();
        assert!(weak.iter().enumerate().all(|(i, w)| (i % 2 == 0) == w.upgrade().is_some()));
        std::hint::black_box(strong);
    });
}

#[test]
fn equality() {
    block_on(|| {
        let a = obj(1);
        let b = obj(2);
        assert_eq!(Pointer::new(&a), Pointer::new(&a));
        assert_ne!(Pointer::new(&a), Pointer::new(&b));
        assert_eq!(Pointer::<Obj>::null(), Pointer::null());
        assert!(Pointer::<Obj>::null().upgrade().is_none());
        // From many goroutines at the same moment: one handle.
        let hs: Vec<_> = (0..16).map(|_| go(move || Pointer::new(&a))).collect();
        let ps: Vec<_> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(ps.iter().all(|p| *p == ps[0]));
        assert_eq!(ps[0], Pointer::new(&a));
        collect();
        assert_eq!(Pointer::new(&a), ps[0], "the handle must survive collections while the object lives");
    });
}

#[test]
fn interior_pointers_and_large_objects_have_one_handle_per_offset() {
    block_on(|| {
        let a = obj(5);
        let base = a.addr();
        let h0 = tricolor_gc::weak::make(base).unwrap();
        let h8 = tricolor_gc::weak::make(base + 8).unwrap();
        assert_eq!(tricolor_gc::weak::make(base).unwrap(), h0);
        assert_eq!(tricolor_gc::weak::make(base + 8).unwrap(), h8);
        assert_ne!(h0, h8, "different byte offsets get different handles");
        assert_eq!(Pointer::new(&a), Pointer::new(&a));
        assert_eq!(tricolor_gc::weak::upgrade(h8), base + 8);
        // A large object (its own span): many goroutines, one handle.
        let big = GcArray::from_fn(100_000, |i| i as u64);
        let hs: Vec<_> = (0..8).map(|_| go(move || tricolor_gc::weak::make(big.addr() + 800).unwrap())).collect();
        let cells: Vec<usize> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(cells.iter().all(|c| *c == cells[0]), "duplicate handles for a large object: {cells:?}");
        collect();
        assert_eq!(tricolor_gc::weak::upgrade(cells[0]), big.addr() + 800);
        std::hint::black_box((a, big));
    });
}

#[test]
fn weak_pointers_to_non_heap_memory_are_refused() {
    block_on(|| {
        let local = 7u64;
        let e = tricolor_gc::weak::make(&local as *const u64 as usize).unwrap_err();
        assert!(e.to_string().contains("is not inside a live heap object"), "{e}");
        static GLOBAL: u64 = 1;
        assert!(tricolor_gc::weak::make(&GLOBAL as *const u64 as usize).is_err());
    });
}

#[test]
fn a_weak_slot_in_the_heap_keeps_its_handle() {
    block_on(|| {
        #[derive(Trace)]
        struct Holder {
            w: GcCell<Pointer<Obj>>,
        }
        let o = obj(9);
        let h = Gc::new(Holder { w: GcCell::new(Pointer::new(&o)) });
        for _ in 0..3 {
            collect();
        }
        assert_eq!(h.w.get().upgrade().unwrap().id, 9);
        h.w.set(Pointer::null());
        assert!(h.w.get().upgrade().is_none());
        std::hint::black_box(o);
    });
}

/// Making a weak pointer where no P is held names the misuse (issue 9 item 8: it said the
/// live object "is not inside a live heap object").
#[test]
fn new_off_a_goroutine_or_inside_blocking_names_the_misuse() {
    block_on(|| {
        let o = tricolor_gc::Root::new(obj(1));
        let g = o.get();
        let off = std::thread::spawn(move || {
            let r = std::panic::catch_unwind(|| Pointer::new(&g));
            panic_text(r.map(|_| ()))
        })
        .join()
        .unwrap();
        assert!(off.starts_with("weak::Weak::new: called from a thread that is not running a goroutine"), "{off}");
        let inside = tricolor_runtime::blocking(|| panic_text(std::panic::catch_unwind(|| Pointer::new(&g)).map(|_| ())));
        assert!(inside.starts_with("weak::Weak::new: called inside blocking(..)"), "{inside}");
        assert!(Pointer::new(&g).upgrade().is_some(), "fine again on the goroutine");
    });
}

fn panic_text(r: std::thread::Result<()>) -> String {
    let p = r.expect_err("expected a panic");
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}
