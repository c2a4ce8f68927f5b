//! `Owned<R>` as a VM keeps it (issue 12 item 5): in a `GcCell` slot of a heap object, or as a
//! bare word rebuilt with `from_addr`, and behind a typed weak pointer. The value lives while
//! the slot holds it, through collections, and is dropped once the slot lets go.

mod common;

use common::{collect_until, on_own_stack};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tricolor_cleanup::Owned;
use tricolor_gc::{collect, Gc, GcCell, GcPtr, Root, Trace};
use tricolor_runtime::block_on;
use tricolor_weak::Weak;

struct Res {
    drops: Arc<AtomicUsize>,
    id: u64,
}
impl Drop for Res {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Trace)]
struct Holder {
    slot: GcCell<Option<Owned<Res>>>,
}

#[test]
fn an_owned_in_a_cell_lives_while_the_cell_holds_it() {
    block_on(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        // Built on a goroutine that dies, so no stale word of ours names the `Owned` object.
        let (holder, weak) = on_own_stack(move || {
            let h = Root::new(Gc::new(Holder { slot: GcCell::new(None) }));
            let o = Owned::new(Res { drops: d, id: 42 });
            h.get().slot.set(Some(o));
            (h, Weak::new(&o))
        });
        for _ in 0..3 {
            collect();
            assert!(tricolor_cleanup::wait_idle(std::time::Duration::from_secs(20)));
        }
        assert_eq!(drops.load(Ordering::SeqCst), 0, "the value was dropped while a cell held its object");
        let h = holder.get();
        // Read on a goroutine of its own, so no word naming the object stays in this frame.
        let id = on_own_stack(move || h.slot.get().map(|o| o.id));
        assert_eq!(id, Some(42));
        assert_eq!(on_own_stack(move || weak.upgrade().map(|o| o.id)), Some(42), "a weak pointer to a held Owned");
        h.slot.set(None);
        collect_until("owned released by its cell", || drops.load(Ordering::SeqCst) == 1);
        // Empty before the value was dropped (weak pointers clear before any cleanup starts).
        assert!(on_own_stack(move || weak.upgrade().is_none()), "a weak pointer outlived its Owned");
    });
}

#[test]
fn an_owned_round_trips_through_a_word() {
    block_on(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let o = Owned::new(Res { drops: drops.clone(), id: 7 });
        let w = o.to_word();
        assert_eq!(w, Owned::addr(&o));
        collect();
        // SAFETY: `w` came from `o`, which is alive (used below).
        let back = unsafe { Owned::<Res>::from_addr(w) };
        assert!(Owned::ptr_eq(&back, &o));
        assert_eq!(back.id, 7);
        // SAFETY: 0 came from `None`.
        assert!(unsafe { Option::<Owned<Res>>::from_word(0) }.is_none());
        // SAFETY: as above, a live `Owned<Res>`'s word.
        assert!(unsafe { Option::<Owned<Res>>::from_word(w) }.is_some_and(|b| Owned::ptr_eq(&b, &o)));
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        std::hint::black_box(o);
    });
}

#[test]
#[should_panic(expected = "Owned::from_addr(0)")]
fn from_addr_of_zero_is_refused() {
    // SAFETY: deliberately broken: the call must panic before anything is built.
    let _ = unsafe { Owned::<Res>::from_addr(0) };
}
