//! The memory limit (process-wide, hence its own test binary): an allocation that cannot fit
//! under it even after a full collection fails with `AllocError::MemoryLimit` from the `try_`
//! APIs and panics from the others with a message that carries the heap statistics; dropping
//! the live data makes allocation work again.

mod common;

use common::{debug_modes, panic_message};
use std::panic::catch_unwind;
use tricolor_gc::{collect, set_memory_limit, stats, AllocError, Gc, GcArray, GcCell, Root, Trace};
use tricolor_runtime::block_on;

const LIMIT: usize = 16 << 20;

/// About 1 KiB (a 1,024-byte class slot with its header).
#[derive(Trace)]
struct Chunk {
    words: [u64; 126],
}

/// Slots for the live chunks: an array of cells in a `Root`, cleared cell by cell at the end,
/// so a stale stack word can retain at most one chunk.
type Table = GcArray<GcCell<Option<Gc<Chunk>>>>;

#[test]
fn allocation_beyond_the_limit_fails_then_recovers() {
    debug_modes("gccheckmark=1");
    block_on(|| {
        assert_eq!(set_memory_limit(LIMIT), usize::MAX, "the limit starts unset");
        assert_eq!(stats().memory_limit, LIMIT);
        let slots = 2 * LIMIT / 1024;
        let table: Root<_> = Root::new(Gc::new(Table::from_fn(slots, |_| GcCell::new(None))));

        // Fill with live chunks until the heap refuses.
        let mut filled = 0;
        let err = loop {
            assert!(filled < slots, "{filled} KiB of live chunks allocated under a {LIMIT}-byte limit");
            match Gc::try_new(Chunk { words: [filled as u64; 126] }) {
                Ok(c) => table[filled].set(Some(c)),
                Err(e) => break e,
            }
            filled += 1;
        };
        let AllocError::MemoryLimit { requested, in_use, limit } = err.clone() else {
            panic!("expected MemoryLimit, got {err:?}");
        };
        assert_eq!(limit, LIMIT);
        assert!(in_use <= LIMIT && in_use + requested > LIMIT, "{err:?}");
        // Most of the limit was usable: at least half of it holds live chunks.
        assert!(filled * 1024 >= LIMIT / 2, "only {filled} KiB allocated before {err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "allocating {requested} bytes would exceed the memory limit: {in_use} bytes in use after a full collection, limit {LIMIT}"
            )),
            "{msg}"
        );
        assert!(msg.contains("TRICOLOR_MEMORY_LIMIT"), "{msg}");

        // The panicking APIs name themselves and print the heap statistics.
        let msg = panic_message(catch_unwind(|| Gc::new(Chunk { words: [0; 126] })));
        assert!(msg.starts_with("Gc::new: allocating "), "{msg}");
        assert!(msg.contains("would exceed the memory limit"), "{msg}");
        assert!(msg.contains("\nheap: ") && msg.contains("bytes in use") && msg.contains("live at last mark"), "{msg}");
        assert!(msg.contains("collections") && msg.contains(&format!("limit {LIMIT}")), "{msg}");
        // A large object beyond the limit on its own fails the same way.
        let e = GcArray::<u64>::try_from_fn(LIMIT / 8 + 1, |_| 0).unwrap_err();
        assert!(matches!(e, AllocError::MemoryLimit { limit: LIMIT, .. }), "{e:?}");
        let msg = panic_message(catch_unwind(|| GcArray::<u64>::from_fn(LIMIT / 8 + 1, |_| 0).len()));
        assert!(msg.starts_with("GcArray::from_fn: allocating ") && msg.contains(&format!("limit {LIMIT}")), "{msg}");

        // The live data is intact.
        for (i, cell) in table.iter().take(filled).enumerate() {
            assert_eq!(cell.get().expect("filled").words, [i as u64; 126]);
        }

        // Drop it: allocation works again, up to the same amount.
        for cell in table.iter() {
            cell.set(None);
        }
        drop(table);
        collect();
        collect();
        let s = stats();
        assert!(s.heap_inuse < LIMIT / 2, "{s:?}");
        let again = GcArray::<u64>::try_from_fn(LIMIT / 8 / 2, |i| i as u64).expect("half the limit fits once the data is gone");
        assert_eq!(again[again.len() - 1], (again.len() - 1) as u64);

        set_memory_limit(usize::MAX);
        assert!(Gc::try_new(Chunk { words: [1; 126] }).is_ok());
    });
}
