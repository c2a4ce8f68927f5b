//! Bad input gets a clear error or panic that names the misuse (STYLE 26): recoverable
//! conditions come back as an enum that names the case (`RawError`, `TypeError`,
//! `AllocError`), misuse panics name the API and the fix. Every test asserts on the message
//! text, so a message that regresses fails here.
//!
//! The memory limit has its own binary (`memory_limit.rs`): it is process-wide. Settings read
//! once per process (`TRICOLOR_*` variables) are checked in child processes.

mod common;

use common::{debug_modes, is_child, panic_message, run_child};
use std::panic::catch_unwind;
use std::sync::Mutex;
use std::time::Duration;
use tricolor_gc::raw::{self, RawError};
use tricolor_gc::{collect, AllocError, Gc, GcArray, GcCell, GcStr, Trace, TypeError, TypeInfo, MAX_OBJECT};
use tricolor_runtime::hooks::NoProc;
use tricolor_runtime::{block_on, blocking};

/// poisonfree for the use-after-free test; checkmark for every collection here.
const MODES: &str = "gccheckmark=1,poisonfree=1";

/// Serialises the tests that allocate: the use-after-free test needs no other allocation
/// between its collection and its dereference.
static HEAP: Mutex<()> = Mutex::new(());

fn heap_lock() -> std::sync::MutexGuard<'static, ()> {
    HEAP.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    val: u64,
}

/// A VM-style type: 3 words, pointers in words 0 and 2.
fn pair_type() -> &'static TypeInfo {
    TypeInfo::from_bitmap("misuse::Pair", 24, &[0b101]).expect("valid bitmap")
}

// ---------------------------------------------------------------------------------------------
// The raw API.

#[test]
fn raw_calls_on_addresses_outside_the_heap_name_the_address() {
    debug_modes(MODES);
    let _h = heap_lock();
    block_on(|| {
        let obj = raw::alloc(pair_type()).expect("alloc").as_ptr() as usize;
        let local = 7u64;
        let boxed = Box::new(7u64);
        let cases = [
            ("a stack address", std::hint::black_box(&local) as *const u64 as usize),
            ("a Box address", &*boxed as *const u64 as usize),
            ("0x10", 0x10),
            ("null", 0),
            ("an interior address of a heap object", obj + 8),
            ("a header address", obj - 8),
        ];
        for (what, addr) in cases {
            let want = RawError::NotAnObject(addr);
            assert_eq!(raw::write_ptr(addr, 0, 0), Err(want.clone()), "write_ptr to {what}");
            assert_eq!(raw::read_ptr(addr, 0), Err(want.clone()), "read_ptr of {what}");
            assert_eq!(want.to_string(), format!("raw: {addr:#x} is not the payload of a live heap object"), "{what}");
        }
        for (what, addr) in &cases[..4] {
            assert!(raw::object_info(*addr).is_none(), "object_info({what}) should be None");
        }
        // object_info resolves interior pointers (that is its job); only payload starts are
        // objects for write_ptr/read_ptr.
        assert_eq!(raw::object_info(obj + 8).map(|i| i.payload), Some(obj));

        // The stored value must be 0 or point into an object too.
        for (what, v) in [("a stack address", cases[0].1), ("0x10", 0x10)] {
            let e = raw::write_ptr(obj, 0, v).expect_err(what);
            assert_eq!(e, RawError::ValueNotAnObject(v), "{what}");
            assert_eq!(e.to_string(), format!("raw: storing {v:#x}, which is neither 0 nor a pointer into a live heap object"));
            assert_eq!(format!("{e:?}"), format!("ValueNotAnObject({v:#x})"), "Debug prints addresses in hex");
        }
        assert_eq!(raw::read_ptr(obj, 0), Ok(0), "a refused store must not write");
        // Interior pointers are pointers (the marker resolves them): a VM may store one.
        raw::write_ptr(obj, 0, obj + 16).expect("an interior pointer into a live object");
        assert_eq!(raw::read_ptr(obj, 0), Ok(obj + 16));
        raw::write_ptr(obj, 0, 0).unwrap();
        std::hint::black_box((&boxed, obj));
    });
}

#[test]
fn write_ptr_checks_the_offset_against_the_type() {
    debug_modes(MODES);
    let _h = heap_lock();
    block_on(|| {
        let obj = raw::alloc(pair_type()).expect("alloc").as_ptr() as usize;
        let other = raw::alloc(pair_type()).expect("alloc").as_ptr() as usize;
        // The pointer words work.
        raw::write_ptr(obj, 0, other).expect("word 0 is a pointer");
        raw::write_ptr(obj, 16, other).expect("word 2 is a pointer");
        assert_eq!(raw::read_ptr(obj, 16), Ok(other));

        for offset in [8, 4, 1] {
            let e = raw::write_ptr(obj, offset, other).expect_err("not a pointer word");
            assert_eq!(e, RawError::NotAPointerSlot { object: obj, offset, type_name: "misuse::Pair" });
            assert_eq!(
                e.to_string(),
                format!("raw: offset {offset} of object {obj:#x} (misuse::Pair) is not a pointer word in its type's bitmap")
            );
            assert_eq!(raw::read_ptr(obj, offset), Err(e));
        }
        for offset in [24, 17, 4096] {
            let e = raw::write_ptr(obj, offset, other).expect_err("out of bounds");
            assert_eq!(e, RawError::OffsetOutOfBounds { object: obj, offset, size: 24 });
            assert_eq!(e.to_string(), format!("raw: offset {offset} is outside object {obj:#x}'s 24-byte payload"));
        }

        // Objects that are not bitmap-typed have no raw pointer words.
        let bytes = raw::alloc(TypeInfo::from_bitmap("misuse::Bytes", 16, &[]).unwrap()).unwrap().as_ptr() as usize;
        let e = raw::write_ptr(bytes, 0, 0).expect_err("noscan");
        assert_eq!(e, RawError::NotAPointerSlot { object: bytes, offset: 0, type_name: "<noscan object>" });
        let node = Gc::new(Node { next: GcCell::new(None), val: 1 });
        match raw::write_ptr(node.addr(), 0, other) {
            Err(RawError::NotAPointerSlot { type_name, .. }) => assert!(type_name.ends_with("::Node"), "{type_name}"),
            r => panic!("write_ptr into a Rust-typed object: {r:?}"),
        }
        assert!(node.next.get().is_none() && node.val == 1, "a refused store must not write");
        std::hint::black_box((obj, other, bytes, node));
    });
}

/// `offset + 8` overflows for offsets near `usize::MAX`: the bounds check must still say
/// out of bounds. Open: `raw.rs` computes `offset + 8 > size`, which panics with "attempt to
/// add with overflow" in debug builds and wraps in release (giving `NotAPointerSlot`).
#[test]
fn write_ptr_with_a_huge_offset_is_out_of_bounds() {
    debug_modes(MODES);
    let _h = heap_lock();
    block_on(|| {
        let obj = raw::alloc(pair_type()).expect("alloc").as_ptr() as usize;
        for offset in [usize::MAX, usize::MAX - 7, usize::MAX - 8 * 63] {
            let r = catch_unwind(|| raw::write_ptr(obj, offset, 0));
            let r = r.unwrap_or_else(|p| panic!("write_ptr(obj, {offset:#x}, 0) panicked: {}", panic_message(Err::<(), _>(p))));
            assert_eq!(r, Err(RawError::OffsetOutOfBounds { object: obj, offset, size: 24 }), "offset {offset:#x}");
            let r = catch_unwind(|| raw::read_ptr(obj, offset));
            let r = r.unwrap_or_else(|p| panic!("read_ptr(obj, {offset:#x}) panicked: {}", panic_message(Err::<(), _>(p))));
            assert_eq!(r, Err(RawError::OffsetOutOfBounds { object: obj, offset, size: 24 }), "offset {offset:#x}");
        }
        std::hint::black_box(obj);
    });
}

#[test]
fn from_bitmap_rejects_bits_beyond_the_size_and_bad_sizes() {
    debug_modes(MODES);
    // No heap needed: type descriptions are plain data.
    let e = TypeInfo::from_bitmap("misuse::Short", 16, &[0b100]).unwrap_err();
    assert_eq!(e, TypeError::BitmapBeyondSize { name: "misuse::Short".into(), size: 16, word: 2 });
    assert_eq!(
        e.to_string(),
        "TypeInfo::from_bitmap(\"misuse::Short\"): the pointer bitmap marks word 2, but a 16-byte payload has only 2 words"
    );
    // A partial last word is not a pointer word.
    let e = TypeInfo::from_bitmap("misuse::Ragged", 20, &[0b111]).unwrap_err();
    assert_eq!(e, TypeError::BitmapBeyondSize { name: "misuse::Ragged".into(), size: 20, word: 2 });
    // The first offending bit is named, in later bitmap words too.
    let e = TypeInfo::from_bitmap("misuse::Wide", 64 * 8, &[u64::MAX, 0b10]).unwrap_err();
    assert_eq!(e, TypeError::BitmapBeyondSize { name: "misuse::Wide".into(), size: 512, word: 65 });
    assert!(e.to_string().contains("marks word 65, but a 512-byte payload has only 64 words"), "{e}");

    for size in [0, (1 << 40) + 1, usize::MAX] {
        let e = TypeInfo::from_bitmap("misuse::Sized", size, &[]).unwrap_err();
        assert_eq!(e, TypeError::BadSize { name: "misuse::Sized".into(), size });
        assert_eq!(e.to_string(), format!("TypeInfo(\"misuse::Sized\"): payload size {size} is not in 1..=2^40"));
    }

    // The good ones.
    let t = TypeInfo::from_bitmap("misuse::Ok", 20, &[0b11]).unwrap();
    assert_eq!((t.name(), t.size(), t.is_noscan()), ("misuse::Ok", 20, false));
    assert!(TypeInfo::from_bitmap("misuse::Zeroes", 8, &[0, 0]).unwrap().is_noscan());
}

// ---------------------------------------------------------------------------------------------
// Allocation requests that can never succeed.

#[test]
fn impossible_sizes_are_errors_not_crashes() {
    debug_modes(MODES);
    let _h = heap_lock();
    block_on(|| {
        // The element count overflows the byte count.
        let e = GcArray::<u64>::try_from_fn(usize::MAX / 4, |_| 0).unwrap_err();
        assert_eq!(e, AllocError::TooLarge { requested: usize::MAX });
        // Larger than one object may be.
        let e = GcArray::<u64>::try_from_fn(MAX_OBJECT / 8 + 1, |_| 0).unwrap_err();
        assert!(matches!(e, AllocError::TooLarge { .. }), "{e:?}");
        assert!(e.to_string().contains(&format!("larger than the {MAX_OBJECT}-byte maximum")), "{e}");
        // Allowed by size, but beyond the heap's address reservation (64 GiB by default).
        let huge = TypeInfo::from_bitmap("misuse::Huge", 1 << 40, &[]).unwrap();
        match raw::alloc(huge) {
            Err(e @ AllocError::OutOfAddressSpace { .. }) => {
                assert!(e.to_string().contains("address reservation is exhausted (raise TRICOLOR_HEAP_RESERVE)"), "{e}")
            }
            r => panic!("1 TiB object: {r:?}"),
        }
        // The panicking form says which API and prints the heap statistics.
        let msg = panic_message(catch_unwind(|| GcArray::<u64>::from_fn(MAX_OBJECT / 8 + 1, |_| 0)));
        assert!(msg.starts_with("GcArray::from_fn: an object of"), "{msg}");
        assert!(msg.contains("\nheap: ") && msg.contains("collections"), "{msg}");
    });
}

// ---------------------------------------------------------------------------------------------
// The heap used off a goroutine.

#[test]
fn allocation_off_a_goroutine_panics_naming_the_cause() {
    debug_modes(MODES);
    // The test thread is a plain OS thread, not a goroutine.
    let msg = panic_message(catch_unwind(|| Gc::new(5u64)));
    assert!(msg.starts_with("Gc::new: "), "{msg}");
    assert!(msg.contains("not running a goroutine") && msg.contains("block_on"), "{msg}");
    for (api, r) in [
        ("GcArray::from_fn", catch_unwind(|| GcArray::from_fn(3, |i| i as u64).len())),
        ("GcStr::new", catch_unwind(|| GcStr::new("off the runtime").len())),
        ("Gc::new", catch_unwind(|| Gc::new(Node { next: GcCell::new(None), val: 0 }).val as usize)),
    ] {
        let msg = panic_message(r);
        assert!(msg.contains("not running a goroutine") && msg.contains("block_on"), "{api}: {msg}");
    }
    assert_eq!(Gc::try_new(5u64).unwrap_err(), AllocError::NoProc(NoProc::NotGoroutine));
    let e = raw::alloc(pair_type()).unwrap_err();
    assert_eq!(e, AllocError::NoProc(NoProc::NotGoroutine));
    assert!(e.to_string().starts_with("heap allocation called from a thread that is not running a goroutine"), "{e}");

    // Also from a thread that never entered the runtime at all.
    let msg = std::thread::spawn(|| panic_message(catch_unwind(|| Gc::new(5u64)))).join().unwrap();
    assert!(msg.contains("not running a goroutine"), "{msg}");
}

/// `GcStr::new` is a thin wrapper; its panic should still name the API the user called. Open:
/// it says `GcArray::from_fn`.
#[test]
fn gcstr_off_a_goroutine_names_gcstr() {
    debug_modes(MODES);
    let msg = panic_message(catch_unwind(|| GcStr::new("off the runtime").len()));
    assert!(msg.starts_with("GcStr::new: "), "{msg}");
}

/// Open: the panic names `scan::with_current_stack`, an internal function, not `collect`.
#[test]
fn collect_off_a_goroutine_panics_naming_collect() {
    debug_modes(MODES);
    let msg = panic_message(catch_unwind(collect));
    assert!(msg.contains("not running a goroutine"), "{msg}");
    assert!(msg.starts_with("collect"), "the message should name the API called, collect(): {msg}");
}

#[test]
fn allocation_inside_blocking_panics_naming_blocking() {
    debug_modes(MODES);
    let _h = heap_lock();
    let (msg, err) = block_on(|| {
        blocking(|| {
            let msg = panic_message(catch_unwind(|| Gc::new(5u64)));
            (msg, Gc::try_new(5u64).unwrap_err())
        })
    });
    assert!(msg.starts_with("Gc::new: ") && msg.contains("inside blocking(..)"), "{msg}");
    assert!(msg.contains("allocate before or after the blocking call"), "{msg}");
    assert_eq!(err, AllocError::NoProc(NoProc::InBlocking));
    // Allocation works again after the blocking call.
    block_on(|| assert_eq!(*Gc::new(6u64), 6));
}

/// `collect()` inside `blocking` is the same misuse as allocating there; run in a child,
/// since a collector that waited for its own P would hang. Open: the panic says
/// "stop_the_world called inside blocking(..)", naming an API the user did not call.
#[test]
fn collect_inside_blocking_panics_naming_collect_and_blocking() {
    debug_modes(MODES);
    let (status, out) = run_child("child_collect_inside_blocking", &[], Duration::from_secs(60));
    let status = status.unwrap_or_else(|| panic!("collect() inside blocking hung (killed after 60 s):\n{out}"));
    assert!(status.success(), "the child failed:\n{out}");
    let msg =
        out.lines().find_map(|l| l.split_once("collect inside blocking: ").map(|(_, m)| m)).unwrap_or_else(|| panic!("no message:\n{out}"));
    assert!(msg.contains("inside blocking(..)"), "{msg}");
    assert!(msg.starts_with("collect"), "the panic should name the API called, collect(): {msg}");
}

#[test]
#[ignore = "child process of collect_inside_blocking_panics_naming_collect_and_blocking"]
fn child_collect_inside_blocking() {
    if !is_child() {
        return;
    }
    let msg = block_on(|| blocking(|| panic_message(catch_unwind(collect))));
    println!("collect inside blocking: {msg}");
    // The refused collection left the collector usable.
    block_on(|| {
        std::hint::black_box(Gc::new(1u64));
        collect();
    });
}

// ---------------------------------------------------------------------------------------------
// A Gc kept where the collector does not look (poisonfree, debug builds).

#[inline(never)]
fn nodes_in_a_vec(n: u64) -> Vec<Gc<Node>> {
    (0..n).map(|val| Gc::new(Node { next: GcCell::new(None), val })).collect()
}

/// A `Gc<Node>` whose object the collector freed: kept only in a `Vec` (its buffer is on the
/// system heap, which the collector does not scan). Conservative stacks may keep a few of the
/// 256; most are freed. On a goroutine, with `heap_lock` held.
fn a_freed_node() -> Gc<Node> {
    let v = nodes_in_a_vec(256);
    collect();
    collect();
    v.iter().copied().find(|g| raw::object_info(g.addr()).is_none()).expect("some node freed")
}

#[test]
#[cfg(debug_assertions)]
fn a_gc_kept_only_in_a_vec_is_reported_when_used_after_free() {
    debug_modes(MODES);
    let _h = heap_lock();
    let msg = block_on(|| {
        let freed = a_freed_node();
        panic_message(catch_unwind(|| std::hint::black_box(freed).val))
    });
    assert!(msg.starts_with("use of a freed object: 0x"), "{msg}");
    assert!(msg.contains("::Node") && msg.ends_with("(poisonfree)"), "{msg}");
}

/// Storing a freed object hides a use-after-free until much later: under poisonfree the store
/// itself panics, naming the object (release builds too: `GcCell::set` checks).
#[test]
fn storing_a_freed_object_is_reported_at_the_store() {
    debug_modes(MODES);
    let _h = heap_lock();
    let msg = block_on(|| {
        let freed = a_freed_node();
        let holder = Gc::new(Node { next: GcCell::new(None), val: 1 });
        panic_message(catch_unwind(|| holder.next.set(Some(std::hint::black_box(freed)))))
    });
    assert!(msg.starts_with("use of a freed object: 0x"), "{msg}");
    assert!(msg.ends_with("(poisonfree)"), "{msg}");
}

/// A `Gc` forged from an address the heap does not own is named as such under poisonfree.
#[test]
#[cfg(debug_assertions)]
fn a_gc_forged_from_a_non_heap_address_is_named() {
    debug_modes(MODES);
    let msg = block_on(|| {
        let local = [0u64; 4];
        // SAFETY: deliberately broken (the test of the diagnosis): a stack address.
        let forged: Gc<[u64; 4]> = unsafe { Gc::from_addr(std::hint::black_box(&local) as *const [u64; 4] as usize) };
        panic_message(catch_unwind(|| forged[0]))
    });
    assert!(msg.contains("is not a heap address: a Gc forged"), "{msg}");
}

/// Heap objects change only on goroutines: a store from a plain thread panics naming it
/// (every store in debug builds; release builds while marking, where it would lose objects).
#[test]
#[cfg(debug_assertions)]
fn a_pointer_store_from_a_plain_thread_is_named() {
    debug_modes(MODES);
    let (holder, target) = block_on(|| {
        let r = tricolor_gc::Root::new(Gc::new(Node { next: GcCell::new(None), val: 1 }));
        let t = tricolor_gc::Root::new(Gc::new(Node { next: GcCell::new(None), val: 2 }));
        (r, t)
    });
    let msg = std::thread::spawn(move || panic_message(catch_unwind(|| holder.next.set(Some(target.get())))))
        .join()
        .expect("the thread itself must not die");
    assert!(msg.contains("a pointer store into a heap object from a thread that is not a goroutine"), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// Settings read once per process.

#[test]
#[ignore = "child process of bad_settings_panic_naming_the_variable"]
fn child_allocate() {
    if !is_child() {
        return;
    }
    block_on(|| {
        std::hint::black_box(Gc::new(1u64));
        collect();
    });
}

#[test]
fn bad_settings_panic_naming_the_variable() {
    debug_modes(MODES);
    for (var, val, want) in [
        ("TRICOLOR_GC_PERCENT", "lots", "tricolor-gc: TRICOLOR_GC_PERCENT=\"lots\" is not a valid value"),
        ("TRICOLOR_MEMORY_LIMIT", "12q", "tricolor-gc: TRICOLOR_MEMORY_LIMIT=\"12q\" is not a valid value"),
        ("TRICOLOR_HEAP_RESERVE", "-1", "tricolor-gc: TRICOLOR_HEAP_RESERVE=\"-1\" is not a valid value"),
        ("TRICOLOR_DEBUG", "gctrace=yes", "TRICOLOR_DEBUG: gctrace=\"yes\" is not an integer (expected e.g. gctrace=1)"),
    ] {
        let (status, out) = run_child("child_allocate", &[(var, val)], Duration::from_secs(60));
        let status = status.unwrap_or_else(|| panic!("{var}={val}: child hung:\n{out}"));
        assert!(!status.success(), "{var}={val} was accepted:\n{out}");
        assert!(out.contains(want), "{var}={val}: expected {want:?} in:\n{out}");
    }
    // The good spellings are accepted.
    for (var, val) in [("TRICOLOR_GC_PERCENT", "off"), ("TRICOLOR_MEMORY_LIMIT", "512m"), ("TRICOLOR_DEBUG", "gctrace=1")] {
        let (status, out) = run_child("child_allocate", &[(var, val)], Duration::from_secs(60));
        assert!(status.is_some_and(|s| s.success()), "{var}={val} was refused:\n{out}");
    }
}

/// 48-byte payload: a 56-byte object, in the 64-byte class.
#[derive(Trace)]
struct Small {
    val: u64,
    next: GcCell<Option<Gc<Small>>>,
    pad: [u64; 4],
}

/// 104-byte payload: a 112-byte object, in another class.
#[derive(Trace)]
struct Big {
    next: GcCell<Option<Gc<Big>>>,
    pad: [u64; 12],
}

#[inline(never)]
fn smalls_in_a_vec(n: u64) -> Vec<Gc<Small>> {
    (0..n).map(|val| Gc::new(Small { val, next: GcCell::new(None), pad: [val; 4] })).collect()
}

/// Open: `debug::poison::check_live` accepts any address inside an allocated slot.
///
/// The same misuse as above, after the freed object's pages went back to the page allocator
/// and were reused for a span of another size class: the stale address is now *inside* a live
/// object of another type. poisonfree must still report it (the address is not an object
/// start), rather than let the dereference read the other object's words.
#[test]
#[cfg(debug_assertions)]
fn a_gc_into_memory_reused_by_another_size_class_is_reported() {
    debug_modes(MODES);
    let _h = heap_lock();
    let r = block_on(|| {
        let v = smalls_in_a_vec(8192);
        collect();
        collect();
        // Reuse the freed pages for 112-byte objects, kept alive by an array on our stack.
        let bigs = GcArray::from_fn(8192, |_| Gc::new(Big { next: GcCell::new(None), pad: [0xB16; 12] }));
        let stale = v.iter().copied().find(|g| raw::object_info(g.addr()).is_some_and(|i| i.payload != g.addr()));
        let r = stale.map(|g| (g.addr(), raw::object_info(g.addr()).unwrap().payload, catch_unwind(|| std::hint::black_box(g).val)));
        std::hint::black_box(bigs);
        r
    });
    let Some((addr, inside, r)) = r else {
        eprintln!("no freed Small address landed inside a Big: nothing to check this run");
        return;
    };
    match r {
        Ok(v) => panic!(
            "a Gc<Small> at {addr:#x}, freed, now inside a live object at {inside:#x}, was dereferenced without \
             a poisonfree report (read val = {v:#x})"
        ),
        Err(p) => {
            let msg = panic_message(Err::<(), _>(p));
            assert!(msg.starts_with("use of a freed object: ") && msg.contains("::Small"), "{msg}");
        }
    }
}

/// A user `Trace` impl that panics while the collector marks cannot unwind into the program (the
/// heap is half-marked, other workers stopped early): the process ends with a message naming
/// it (it used to unwind, leaving the weak-pointer state marking forever and grey objects in
/// the other workers' buffers).
#[test]
fn a_trace_impl_panicking_while_marking_aborts_naming_it() {
    debug_modes(MODES);
    let (status, out) = run_child("child_trace_panics", &[], Duration::from_secs(60));
    let status = status.unwrap_or_else(|| panic!("a panicking Trace hung the collector:\n{out}"));
    assert!(!status.success(), "the child survived:\n{out}");
    assert!(
        out.contains("fatal error: gc: a Trace implementation or root scanner panicked while marking (trace failed on purpose)"),
        "{out}"
    );
}

#[test]
#[ignore = "child process of a_trace_impl_panicking_while_marking_aborts_naming_it"]
fn child_trace_panics() {
    if !is_child() {
        return;
    }
    struct Bad;
    // SAFETY: holds no pointers; its trace fails on purpose.
    unsafe impl Trace for Bad {
        fn trace(&self, _: &mut tricolor_gc::Tracer<'_>) {
            panic!("trace failed on purpose");
        }
    }
    block_on(|| {
        let b = Gc::new(Bad);
        collect();
        std::hint::black_box(b);
    });
}

#[test]
fn a_dangling_pointer_found_by_the_marker_names_its_holder() {
    debug_modes(MODES);
    let (status, out) = run_child("child_dangling_field", &[("TRICOLOR_DEBUG", "gccheckmark=1")], Duration::from_secs(60));
    let status = status.unwrap_or_else(|| panic!("the child hung:\n{out}"));
    assert!(!status.success(), "the child survived:\n{out}");
    assert!(out.contains("found pointer to free object") && out.contains("held by object") && out.contains("(misuse::Holder)"), "{out}");
    assert!(out.contains("root scanner") && out.contains("RootedVec"), "the hint names every way to root memory:\n{out}");
}

/// Addresses of `n` fresh objects of one size class, none kept (returned as integers).
#[inline(never)]
fn dead_addresses(n: usize) -> Vec<usize> {
    (0..n).map(|i| Gc::new([i as u64; 3]).addr()).collect()
}

#[test]
#[ignore = "child process of a_dangling_pointer_found_by_the_marker_names_its_holder"]
fn child_dangling_field() {
    if !is_child() {
        return;
    }
    block_on(|| {
        let holder_ty = TypeInfo::builder("misuse::Holder", 8).pointers(&[0]).build().unwrap();
        let holder = raw::alloc(holder_ty).unwrap().as_ptr() as usize;
        let keep = Gc::new([7u64; 3]); // keeps the span of the dead ones in use
        let dead = dead_addresses(64);
        collect();
        // A VM bug: a raw word written without the API, holding a freed object's address.
        // SAFETY: word 0 of a live raw object; the value is deliberately dangling.
        unsafe { (holder as *mut usize).write(dead[32]) };
        collect();
        std::hint::black_box((holder, keep, dead));
    });
}
