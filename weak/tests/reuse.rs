//! A new object at a dead object's address gets a new weak handle, and the dead object's weak
//! pointer stays empty (Go's `weak` tests). Its own test binary: it waits for the allocator to
//! hand out a dead object's slot again, and other tests running in the same process took
//! those slots often enough to make it flaky (~1 run in 8) in `pointer.rs`.

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

/// Makes `n` objects on a goroutine that then dies (its stack is not scanned) and returns weak
/// pointers to them: every object is unreachable.
fn weak_to_dead_objects(n: u64) -> GcArray<Pointer<Obj>> {
    go(move || {
        let objs = GcArray::from_fn(n as usize, |i| obj(i as u64));
        GcArray::from_fn(n as usize, |i| Pointer::new(&objs[i]))
    })
    .join()
    .unwrap()
}

#[test]
fn a_new_object_at_a_dead_objects_address_gets_a_new_handle() {
    block_on(|| {
        let weak = weak_to_dead_objects(64);
        let addrs: Vec<usize> = weak.iter().map(|w| w.upgrade().map_or(0, |o| o.addr())).collect();
        collect();
        // The objects are dead; allocate until one of the odd ones' addresses is reused.
        let mut reused = None;
        for round in 0..400 {
            if round % 16 == 15 {
                // Return the per-P caches' spans to the central lists, so every span with the
                // dead objects' slots is offered to this goroutine's P again.
                collect();
            }
            let fresh = GcArray::from_fn(4096, |i| obj(1_000_000 + round * 4096 + i as u64));
            if let Some(o) = fresh.iter().find(|o| addrs.iter().enumerate().any(|(i, a)| i % 2 == 1 && *a == o.addr())) {
                reused = Some(*o);
                break;
            }
        }
        let o = reused.expect("no dead object's address was reused in 1.6M allocations");
        let i = addrs.iter().position(|a| *a == o.addr()).unwrap();
        assert!(weak[i].upgrade().is_none(), "the dead object's weak pointer must stay empty");
        assert_ne!(Pointer::new(&o), weak[i], "a new object at a reused address must get a new handle");
    });
}
