//! Ordering (invariant 23, reference §9.4): when an object dies, its weak pointers read empty
//! before any later special kind — cleanups (tricolor-cleanup) are one — learns of the death,
//! and forever after. Checked with a test kind registered after the collector's weak kind:
//! in its `on_dead`, the object's weak cell must already be clear.

use std::sync::atomic::{AtomicUsize, Ordering};
use tricolor_gc::specials::{self, SpecialKind};
use tricolor_gc::{collect, Gc, GcArray, Tracer};
use tricolor_runtime::{block_on, go};
use tricolor_weak::Pointer;

static DEAD: AtomicUsize = AtomicUsize::new(0);
static STILL_SET: AtomicUsize = AtomicUsize::new(0);

/// data = the object's weak handle cell.
struct Observer;

impl SpecialKind for Observer {
    fn name(&self) -> &'static str {
        "test observer"
    }
    fn trace(&self, cell: usize, t: &mut Tracer<'_>) {
        t.edge(cell);
    }
    fn on_dead(&self, _object: usize, _interior: usize, cell: usize) {
        DEAD.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the cell is a live heap word (traced by this special until now).
        if unsafe { (*(cell as *const AtomicUsize)).load(Ordering::SeqCst) } != 0 {
            STILL_SET.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn weak_pointers_clear_before_later_kinds_see_the_death() {
    block_on(|| {
        let kind = specials::register_kind(&Observer);
        let weak = go(move || {
            GcArray::from_fn(256, |i| {
                let o = Gc::new([i as u64; 3]);
                let w = Pointer::new(&o);
                // The observer is attached *after* the weak handle; kind order decides.
                specials::add(o.addr(), kind, tricolor_gc::weak::make(o.addr()).unwrap(), false).unwrap();
                w
            })
        })
        .join()
        .unwrap();
        collect();
        assert_eq!(DEAD.load(Ordering::SeqCst), 256, "every object died");
        assert_eq!(STILL_SET.load(Ordering::SeqCst), 0, "a later kind saw a dead object whose weak pointer was still set");
        assert!(weak.iter().all(|w| w.upgrade().is_none()));
        collect();
        assert!(weak.iter().all(|w| w.upgrade().is_none()), "weak pointers stay empty forever after");
    });
}
