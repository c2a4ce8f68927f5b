//! VM values through the public API, as an interpreter would use them: NaN-boxed and
//! low-bit-tagged values in `GcValue` slots and in raw layouts, variable-length raw objects,
//! the unchecked raw stores, while collections run — under checkmark and poisonfree, so a
//! value the marker failed to decode is a checkmark failure or a poisoned read.

mod common;

use common::{debug_modes, is_child, panic_message, run_child};
use std::hint::black_box;
use std::panic::catch_unwind;
use std::time::Duration;
use tricolor_gc::{collect, raw, weak, Gc, GcArray, GcValue, Tagging, Trace, TypeInfo, Value};
use tricolor_runtime::{block_on, go};

const MODES: &str = "gccheckmark=1,poisonfree=1";

/// A clox-style value: an `f64`, or a NaN-boxed pointer to a `Cons`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Val(u64);

// SAFETY: pointer values are built only by `Val::obj` from live objects; `TAGGING` is
// registered by every test before values exist (`start`).
unsafe impl Value for Val {
    const TAGGING: Tagging = Tagging::NAN_BOX;
    fn to_bits(self) -> u64 {
        self.0
    }
    unsafe fn from_bits(bits: u64) -> Val {
        Val(bits)
    }
}

impl Val {
    fn num(x: f64) -> Val {
        Val(x.to_bits())
    }
    fn obj(c: Gc<Cons>) -> Val {
        Val(Tagging::NAN_BOX.encode(c.addr()))
    }
    fn as_num(self) -> Option<f64> {
        Tagging::NAN_BOX.decode(self.0).is_none().then(|| f64::from_bits(self.0))
    }
    fn as_cons(self) -> Option<Gc<Cons>> {
        // SAFETY: a decoded pointer of a `Val` is a live `Cons` (see the `Value` impl).
        Tagging::NAN_BOX.decode(self.0).map(|a| unsafe { Gc::from_addr(a) })
    }
}

#[derive(Trace)]
struct Cons {
    car: GcValue<Val>,
    cdr: GcValue<Val>,
}

fn cons(car: Val, cdr: Val) -> Gc<Cons> {
    Gc::new(Cons { car: GcValue::new(car), cdr: GcValue::new(cdr) })
}

fn start() {
    debug_modes(MODES);
    Tagging::NAN_BOX.register();
}

/// A list n-1, ..., 1, 0 whose head is returned NaN-boxed (no plain pointer to it is left).
#[inline(never)]
fn build_list(n: usize) -> u64 {
    let mut head = Val::num(f64::NAN); // a number: the list's end
    for i in 0..n {
        head = Val::obj(cons(Val::num(i as f64), head));
    }
    head.0
}

fn sum_list(mut v: Val) -> (usize, f64) {
    let (mut n, mut sum) = (0, 0.0);
    while let Some(c) = v.as_cons() {
        sum += c.car.get().as_num().expect("car is a number");
        n += 1;
        v = c.cdr.get();
    }
    (n, sum)
}

#[inline(never)]
fn garbage(rounds: usize) {
    for i in 0..rounds {
        black_box(cons(Val::num(i as f64), Val::num(0.0)));
    }
}

#[test]
fn a_nan_boxed_list_survives_concurrent_collections() {
    start();
    block_on(|| {
        const N: usize = 20_000;
        let head = black_box(build_list(N));
        let churn = go(|| {
            for _ in 0..20 {
                garbage(20_000);
            }
        });
        for _ in 0..5 {
            collect();
            garbage(5_000);
        }
        churn.join().unwrap();
        let (n, sum) = sum_list(Val(black_box(head)));
        assert_eq!((n, sum), (N, (N * (N - 1) / 2) as f64));
    });
}

#[test]
fn values_stored_while_marking_are_kept() {
    start();
    block_on(|| {
        // One cell whose car is replaced by fresh lists again and again while another goroutine
        // collects back to back: the barrier decodes the old and the new NaN-boxed word.
        let cell = cons(Val::num(0.0), Val::num(0.0));
        let collector = go(|| {
            for _ in 0..30 {
                collect();
            }
        });
        for i in 0..2_000 {
            let list = build_list(8);
            cell.car.set(Val(list));
            cell.cdr.set(Val::num(i as f64));
            garbage(50);
            let (n, sum) = sum_list(cell.car.get());
            assert_eq!((n, sum), (8, 28.0), "round {i}");
        }
        collector.join().unwrap();
        black_box(cell);
    });
}

/// Objects held only as NaN-boxed words in a stack array; returns whether each is alive
/// after collections, through weak pointers.
#[inline(never)]
fn boxed_only_survivors() -> usize {
    let mut words = [0u64; 64];
    let mut cells = [0usize; 64];
    fill(&mut words, &mut cells);
    black_box(&mut words);
    for _ in 0..3 {
        garbage(2_000);
        collect();
    }
    let alive = cells.iter().filter(|&&c| weak::upgrade(c) != 0).count();
    black_box(&words);
    alive
}

#[inline(never)]
fn fill(words: &mut [u64; 64], cells: &mut [usize; 64]) {
    for i in 0..64 {
        let c = cons(Val::num(i as f64), Val::num(0.0));
        cells[i] = weak::make(c.addr()).unwrap();
        words[i] = Val::obj(c).0;
    }
}

#[test]
fn the_stack_scan_decodes_registered_taggings() {
    if is_child() {
        return;
    }
    start();
    let alive = block_on(boxed_only_survivors);
    assert_eq!(alive, 64, "objects referred to by NaN-boxed stack words were collected");
    // The control: without the registration the same words keep (nearly) nothing alive, so
    // the decode is what kept them.
    let (status, out) = run_child("child_unregistered_survivors", &[("TRICOLOR_DEBUG", "gccheckmark=1")], Duration::from_secs(60));
    assert!(status.is_some_and(|s| s.success()), "child failed:\n{out}");
    let n: usize =
        out.lines().find_map(|l| l.split("alive ").nth(1)).and_then(|v| v.trim().parse().ok()).unwrap_or_else(|| panic!("{out}"));
    assert!(n < 32, "without Tagging::register {n} of 64 NaN-boxed-only objects survived:\n{out}");
}

#[test]
#[ignore = "child process of the_stack_scan_decodes_registered_taggings"]
fn child_unregistered_survivors() {
    if !is_child() {
        return;
    }
    // `GcValue::new` refuses an unregistered NaN tagging, so this control builds raw objects.
    let alive = block_on(|| {
        let ty = TypeInfo::builder("vm_values::Plain", 16).build().unwrap();
        let mut words = [0u64; 64];
        let mut cells = [0usize; 64];
        fill_raw(ty, &mut words, &mut cells);
        black_box(&mut words);
        for _ in 0..3 {
            collect();
        }
        let alive = cells.iter().filter(|&&c| weak::upgrade(c) != 0).count();
        black_box(&words);
        alive
    });
    println!("alive {alive}");
}

#[inline(never)]
fn fill_raw(ty: &'static TypeInfo, words: &mut [u64; 64], cells: &mut [usize; 64]) {
    for i in 0..64 {
        let o = raw::alloc(ty).unwrap().as_ptr() as usize;
        cells[i] = weak::make(o).unwrap();
        words[i] = Tagging::NAN_BOX.encode(o);
    }
}

#[test]
fn an_unregistered_tagging_is_refused_by_name() {
    debug_modes(MODES);
    #[derive(Clone, Copy)]
    struct Hi(u64);
    const HI: Tagging = Tagging::new(0xff00_0000_0000_0000, 0x4200_0000_0000_0000, 0x00ff_ffff_ffff_ffff);
    // SAFETY: holds no pointer to a live object: the one pointer-tagged word below is refused
    // before a slot holds it.
    unsafe impl Value for Hi {
        const TAGGING: Tagging = HI;
        fn to_bits(self) -> u64 {
            self.0
        }
        unsafe fn from_bits(b: u64) -> Hi {
            Hi(b)
        }
    }
    // A number needs no decoding: only a pointer value asks for the registration.
    let _num = GcValue::new(Hi(1));
    let msg = panic_message(catch_unwind(|| GcValue::new(Hi(HI.encode(0x1000)))));
    assert!(msg.contains("is not registered") && msg.contains("TAGGING.register()"), "{msg}");
    HI.register();
    assert!(HI.is_registered());
    let _ok = GcValue::new(Hi(1));
}

#[test]
fn low_bit_tags_need_no_registration_and_are_traced() {
    debug_modes(MODES);
    #[derive(Clone, Copy)]
    struct Small(u64);
    // SAFETY: pointer words come from live `Gc<u64>`s only.
    unsafe impl Value for Small {
        const TAGGING: Tagging = Tagging::low_bits(1, 1);
        fn to_bits(self) -> u64 {
            self.0
        }
        unsafe fn from_bits(b: u64) -> Small {
            Small(b)
        }
    }
    assert!(Small::TAGGING.is_registered(), "low-bit taggings need no registration");
    block_on(|| {
        let slots = GcArray::from_fn(1000, |i| {
            let w = if i % 2 == 0 { (i as u64) << 1 } else { Small::TAGGING.encode(Gc::new(i as u64).addr()) };
            GcValue::new(Small(w))
        });
        for _ in 0..3 {
            garbage(5_000);
            collect();
        }
        for (i, s) in slots.iter().enumerate() {
            match Small::TAGGING.decode(s.get().0) {
                // SAFETY: odd slots hold tagged `Gc<u64>`s, kept alive by the traced array.
                Some(a) => assert_eq!(*unsafe { Gc::<u64>::from_addr(a) }, i as u64),
                None => assert_eq!(s.get().0 >> 1, i as u64),
            }
        }
    });
}

// --- raw layouts ---------------------------------------------------------------------------

#[test]
fn raw_layouts_with_values_and_var_len_objects_are_traced() {
    start();
    block_on(|| {
        // A "closure": word 0 its function (a raw pointer), then an upvalue count (data), then
        // upvalues as NaN-boxed values in a variable-length tail.
        let func = TypeInfo::builder("vm::Function", 16).build().unwrap();
        let head = TypeInfo::builder("vm::ClosureHead", 16).pointers(&[0]).build().unwrap();
        let upval = TypeInfo::builder("vm::Upvalue", 8).values(&[0], Tagging::NAN_BOX).build().unwrap();
        let closure = TypeInfo::var_len("vm::Closure", Some(head), upval).unwrap();
        assert!(std::ptr::eq(closure, TypeInfo::var_len("vm::Closure", Some(head), upval).unwrap()), "interned");
        assert!(std::ptr::eq(head, TypeInfo::builder("vm::ClosureHead", 16).pointers(&[0]).build().unwrap()));

        // Built inside `GcArray::from_fn`: each closure is reachable from the array (a
        // traced object on our stack) as soon as it is returned.
        let keep = GcArray::from_fn(200, |k| {
            let c = raw::alloc_array(closure, k % 7).unwrap().as_ptr() as usize;
            let f = raw::alloc(func).unwrap().as_ptr() as usize;
            raw::write_word(f, 8, k as u64).unwrap();
            raw::write_ptr(c, 8, f).unwrap();
            raw::write_word(c, 16, (k % 7) as u64).unwrap();
            for i in 0..k % 7 {
                let off = closure.element_offset(i).unwrap();
                let v = if i % 2 == 0 { Val::obj(cons(Val::num(k as f64), Val::num(i as f64))).0 } else { (i as f64).to_bits() };
                raw::write_value(c, off, v).unwrap();
            }
            RawRef(c)
        });
        for _ in 0..4 {
            garbage(10_000);
            collect();
        }
        for (k, r) in keep.iter().enumerate() {
            let c = r.0;
            assert_eq!(raw::array_len(c), Ok(k % 7));
            let f = raw::read_ptr(c, 8).unwrap();
            assert_eq!(raw::read_word(f, 8), Ok(k as u64), "closure {k}'s function");
            for i in 0..k % 7 {
                let v = Val(raw::read_value(c, closure.element_offset(i).unwrap()).unwrap());
                if i % 2 == 0 {
                    let cell = v.as_cons().expect("an object upvalue");
                    assert_eq!((cell.car.get().as_num(), cell.cdr.get().as_num()), (Some(k as f64), Some(i as f64)));
                } else {
                    assert_eq!(v.as_num(), Some(i as f64));
                }
            }
        }
        black_box(keep);
    });
}

/// A raw object pointer inside a Rust-traced array (`Trace` by hand: a pointer word).
#[derive(Clone, Copy)]
struct RawRef(usize);
// SAFETY: reports the one pointer word it holds.
unsafe impl Trace for RawRef {
    fn trace(&self, t: &mut tricolor_gc::Tracer<'_>) {
        t.edge(self.0)
    }
}

#[test]
fn raw_accessors_refuse_words_of_the_wrong_kind() {
    start();
    block_on(|| {
        let ty = TypeInfo::builder("vm::Mixed", 32).pointers(&[0]).values(&[8], Tagging::NAN_BOX).build().unwrap();
        let o = raw::alloc(ty).unwrap().as_ptr() as usize;
        let other = raw::alloc(ty).unwrap().as_ptr() as usize;
        use raw::RawError::*;
        assert!(matches!(raw::write_value(o, 0, 0), Err(NotAValueSlot { offset: 0, .. })));
        assert!(matches!(raw::write_ptr(o, 8, other), Err(NotAPointerSlot { offset: 8, .. })));
        assert!(matches!(raw::write_word(o, 0, 1), Err(NotADataWord { offset: 0, .. })));
        assert!(matches!(raw::write_word(o, 8, 1), Err(NotADataWord { offset: 8, .. })));
        assert!(matches!(raw::write_word(o, 20, 1), Err(NotADataWord { offset: 20, .. })), "unaligned");
        raw::write_f64(o, 16, 2.5).unwrap();
        assert_eq!(raw::read_f64(o, 16), Ok(2.5));
        // A value word whose tag says "pointer" must point into an object.
        let bogus = Tagging::NAN_BOX.encode(0x1000);
        assert_eq!(raw::write_value(o, 8, bogus), Err(ValueNotAnObject(bogus as usize)));
        raw::write_value(o, 8, Tagging::NAN_BOX.encode(other)).unwrap();
        assert!(matches!(raw::array_len(o), Err(NotVarLen(_))));
        // Variable-length: the length word is not writable, the bounds follow the length.
        let arr = TypeInfo::var_len("vm::Bytes", None, TypeInfo::builder("vm::Byte8", 8).build().unwrap()).unwrap();
        let a = raw::alloc_array(arr, 3).unwrap().as_ptr() as usize;
        assert!(matches!(raw::write_word(a, 0, 99), Err(NotADataWord { offset: 0, .. })));
        raw::write_word(a, 24, 7).unwrap();
        assert!(matches!(raw::write_word(a, 32, 7), Err(OffsetOutOfBounds { size: 32, .. })));
        let msg = panic_message(catch_unwind(|| raw::alloc(arr)));
        assert!(msg.contains("use raw::alloc_array"), "{msg}");
        let msg = panic_message(catch_unwind(|| raw::alloc_array(ty, 1)));
        assert!(msg.contains("not a variable-length type"), "{msg}");
        // The unchecked stores check in this configuration (poisonfree) and name the misuse.
        // SAFETY: deliberately broken contract, caught by the checks poisonfree turns on.
        let msg = panic_message(catch_unwind(|| unsafe { raw::store_ptr(o, 8, other) }));
        assert!(msg.contains("raw::store_ptr") && msg.contains("not a pointer word"), "{msg}");
        black_box((o, other, a));
    });
}

#[test]
fn unchecked_stores_keep_what_they_store() {
    start();
    block_on(|| {
        let ty = TypeInfo::builder("vm::Pair", 16).pointers(&[0]).values(&[8], Tagging::NAN_BOX).build().unwrap();
        let root = raw::alloc(ty).unwrap().as_ptr() as usize;
        let collector = go(|| {
            for _ in 0..20 {
                collect();
            }
        });
        // A chain built with the unchecked initialising stores while collections run.
        let mut tail = 0usize;
        for i in 0..5_000u64 {
            let o = raw::alloc(ty).unwrap().as_ptr() as usize;
            // SAFETY: `o` is fresh, offsets 0 and 8 are its pointer and value words, `tail`
            // is 0 or a live object (reachable from `root`).
            unsafe {
                raw::init_ptr(o, 0, tail);
                raw::init_value(o, 8, (i as f64).to_bits());
                raw::store_ptr(root, 0, o);
            }
            tail = o;
        }
        collector.join().unwrap();
        collect();
        let (mut n, mut p) = (0u64, raw::read_ptr(root, 0).unwrap());
        while p != 0 {
            assert_eq!(f64::from_bits(raw::read_value(p, 8).unwrap()), (4_999 - n) as f64);
            n += 1;
            p = raw::read_ptr(p, 0).unwrap();
        }
        assert_eq!(n, 5_000);
    });
}
