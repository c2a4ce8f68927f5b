//! Issue 12 item 6 through the public API, as a VM author uses it: value stacks in
//! `RootedVec`s pushed and popped by goroutines while `collect()` runs back to back on
//! another, `Rooted` structs, `Root`s made and dropped on several goroutines at once, and `Gc`s
//! waiting in channel buffers across collections — all with checkmark (every reachable object
//! marked) and poisonfree (a freed object's use panics) on. Objects that must die are made on
//! goroutines of their own and looked at from another (stale stack words keep objects alive).
//!
//! ```text
//! TRICOLOR_PROCS=4 cargo test -p tricolor-gc --test rooted
//! ```

mod common;

use common::debug_modes;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tricolor_gc::{collect, raw, Gc, GcCell, Root, Rooted, RootedVec, Trace};
use tricolor_runtime::gsync::chan;
use tricolor_runtime::{block_on, go};

const MODES: &str = "gccheckmark=1,poisonfree=1";

/// The tests run one at a time: those that count freed objects need no other test's
/// allocations reusing the freed slots, and the stress tests each want the collector's loop.
static HEAP: Mutex<()> = Mutex::new(());

fn heap_lock() -> std::sync::MutexGuard<'static, ()> {
    HEAP.lock().unwrap_or_else(|e| e.into_inner())
}

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A checkable object: `check` is `id * K`, and `kid` (if any) carries `id + 1`.
#[derive(Trace)]
struct Obj {
    id: u64,
    check: u64,
    kid: GcCell<Option<Gc<Obj>>>,
}

/// A dynamically typed VM value.
#[derive(Trace, Clone, Copy)]
enum Val {
    Num(u64),
    Obj(Gc<Obj>),
}

fn obj(id: u64) -> Gc<Obj> {
    let kid = Gc::new(Obj { id: id + 1, check: (id + 1).wrapping_mul(K), kid: GcCell::new(None) });
    Gc::new(Obj { id, check: id.wrapping_mul(K), kid: GcCell::new(Some(kid)) })
}

/// Panics unless `o` and its kid are intact (poisonfree panics first if either was freed).
fn check(o: Gc<Obj>) -> u64 {
    assert_eq!(o.check, o.id.wrapping_mul(K), "object {:#x} broken: freed while rooted?", o.addr());
    let k = o.kid.get().expect("kid lost");
    assert_eq!((k.id, k.check), (o.id + 1, (o.id + 1).wrapping_mul(K)), "kid of {:#x} broken", o.addr());
    o.id
}

fn check_val(v: Val) {
    match v {
        Val::Num(n) => assert_eq!(n % 7, 3, "number corrupted"),
        Val::Obj(o) => {
            check(o);
        }
    }
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Garbage, so collections have something to free and the mutator allocates between moves.
#[inline(never)]
fn churn(n: u64) {
    for i in 0..n {
        std::hint::black_box(obj(i));
    }
}

/// One goroutine's interpreter loop over its value stack.
#[inline(never)]
fn interpreter(seed: u64, ops: u64, ids: Arc<AtomicU64>) -> u64 {
    let mut r = Rng(seed | 1);
    let mut stack: RootedVec<Val> = RootedVec::with_capacity(8);
    // Values taken off the value stack, held in this frame only.
    let mut hand: [Option<Val>; 8] = [None; 8];
    let mut done = 0;
    for op in 0..ops {
        match r.below(12) {
            0..=3 => stack.push(Val::Obj(obj(ids.fetch_add(2, Ordering::Relaxed)))),
            4 => stack.push(Val::Num(r.below(1 << 20) * 7 + 3)),
            // Pop into our hand (only this goroutine's stack has it, for many operations);
            // the value it replaces there is checked and goes back on the value stack.
            5 | 6 => {
                if let Some(v) = stack.pop() {
                    let slot = &mut hand[r.below(8) as usize];
                    if let Some(old) = slot.replace(v) {
                        check_val(old);
                        stack.push(old);
                    }
                    churn(r.below(32));
                }
            }
            // Copy a value out to our hand, overwrite its slot (only the hand has it now).
            7 | 8 if !stack.is_empty() => {
                let i = r.below(stack.len() as u64) as usize;
                let held = stack[i];
                stack.set(i, Val::Obj(obj(ids.fetch_add(2, Ordering::Relaxed))));
                let slot = &mut hand[r.below(8) as usize];
                if let Some(old) = slot.replace(held) {
                    check_val(old);
                    stack.push(old);
                }
                churn(r.below(32));
            }
            9 if stack.len() > 64 => {
                let keep = r.below(stack.len() as u64) as usize;
                // The tail moves to a rooted vector of its own; a few values come back.
                let tail = stack.split_off(keep);
                churn(8);
                tail.iter().copied().for_each(check_val);
                stack.extend(tail.iter().copied().take(4));
            }
            10 if stack.len() > 256 => stack.truncate(128),
            _ => {
                stack.iter().chain(hand.iter().flatten()).copied().for_each(check_val);
                done += 1;
            }
        }
        if op % 1024 == 0 {
            tricolor_runtime::yield_now();
        }
    }
    stack.iter().chain(hand.iter().flatten()).copied().for_each(check_val);
    done
}

/// Runs `f` while another goroutine collects back to back; returns `f`'s result and the
/// collections that ran.
fn with_collections<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> (R, u64) {
    block_on(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let collector = go(move || {
            let mut n = 0u64;
            while !s.load(Ordering::Relaxed) {
                collect();
                n += 1;
            }
            n
        });
        let r = f();
        stop.store(true, Ordering::Relaxed);
        (r, collector.join().expect("collector goroutine panicked"))
    })
}

#[test]
fn value_stacks_survive_back_to_back_collections() {
    debug_modes(MODES);
    let _h = heap_lock();
    let ((), cycles) = with_collections(|| {
        let ids = Arc::new(AtomicU64::new(1));
        let hs: Vec<_> = (0..3u64)
            .map(|i| {
                let ids = ids.clone();
                go(move || interpreter(0x1234_5678 + i * 77, 40_000, ids))
            })
            .collect();
        for h in hs {
            assert!(h.join().expect("interpreter panicked") > 0);
        }
    });
    assert!(cycles >= 3, "only {cycles} collections ran beside the interpreters");
}

#[derive(Trace)]
struct Frame {
    closure: Gc<Obj>,
    args: [Option<Gc<Obj>>; 3],
    pc: u64,
}

#[inline(never)]
fn make_frame(id: u64) -> Rooted<Frame> {
    Rooted::new(Frame { closure: obj(id), args: [Some(obj(id + 10)), None, Some(obj(id + 20))], pc: 5 })
}

fn check_frame(f: &Frame, id: u64) {
    assert_eq!((check(f.closure), f.pc), (id, 5));
    assert_eq!(check(f.args[0].expect("arg 0")), id + 10);
    assert!(f.args[1].is_none());
    assert_eq!(check(f.args[2].expect("arg 2")), id + 20);
}

#[test]
fn rooted_struct_survives_collections_and_updates() {
    debug_modes(MODES);
    let _h = heap_lock();
    let ((), _) = with_collections(|| {
        // Made on a goroutine that has finished: the frame's objects are reachable only
        // through the `Rooted`.
        let mut f = go(|| make_frame(100)).join().expect("maker panicked");
        for round in 0..20u64 {
            collect();
            let id = 100 + round * 100;
            check_frame(&f, id);
            let old = go(move || make_frame(id + 100)).join().expect("maker panicked").into_inner();
            f.set(old);
            churn(64);
        }
        let last = f.into_inner();
        collect();
        check_frame(&last, 2100);
    });
}

#[inline(never)]
fn root_churn(seed: u64, n: u64) {
    let mut r = Rng(seed | 1);
    let mut held: Vec<Root<Obj>> = Vec::new();
    for i in 0..n {
        if held.len() < 64 || r.below(2) == 0 {
            held.push(Root::new(obj(seed * 1_000_000 + i * 2)));
        } else {
            let j = r.below(held.len() as u64) as usize;
            check(held.swap_remove(j).get());
        }
        if i % 256 == 0 {
            churn(16);
            held.iter().for_each(|r| {
                check(r.get());
            });
        }
    }
}

#[test]
fn roots_made_and_dropped_on_many_goroutines() {
    debug_modes(MODES);
    let _h = heap_lock();
    let ((), _) = with_collections(|| {
        let hs: Vec<_> = (1..=4u64).map(|s| go(move || root_churn(s, 20_000))).collect();
        for h in hs {
            h.join().expect("root churn panicked");
        }
    });
}

/// Fills a channel's buffer with fresh objects, from a goroutine of its own.
#[inline(never)]
fn fill(tx: chan::Sender<Gc<Obj>>, n: u64, base: u64) {
    for i in 0..n {
        tx.try_send(obj(base + i * 2)).unwrap_or_else(|_| panic!("buffer full at {i}"));
    }
}

#[test]
fn gc_values_wait_in_a_channel_buffer_across_collections() {
    debug_modes(MODES);
    let _h = heap_lock();
    block_on(|| {
        let (tx, rx) = chan::bounded::<Gc<Obj>>(64);
        go(move || fill(tx, 64, 1 << 40)).join().expect("filler panicked");
        // Only the buffer holds the objects now.
        for _ in 0..5 {
            churn(256);
            collect();
        }
        let mut n = 0;
        while let Ok(o) = rx.try_recv() {
            assert!(raw::object_info(o.addr()).is_some(), "object {:#x} freed while buffered", o.addr());
            assert_eq!(check(o), (1 << 40) + n * 2, "values out of order");
            n += 1;
        }
        assert_eq!(n, 64);
    });
}

#[test]
fn only_buffered_channels_of_word_values_register_as_roots() {
    debug_modes(MODES);
    let _h = heap_lock();
    let n0 = tricolor_runtime::scan::chan_buffers_registered();
    let gcs = chan::bounded::<Gc<Obj>>(4);
    let small = chan::bounded::<u32>(4);
    let rendezvous = chan::bounded::<Gc<Obj>>(0);
    assert_eq!(tricolor_runtime::scan::chan_buffers_registered(), n0 + 1);
    drop(gcs);
    assert_eq!(tricolor_runtime::scan::chan_buffers_registered(), n0);
    drop((small, rendezvous));
}

#[inline(never)]
fn producer(tx: chan::Sender<Val>, n: u64, ids: Arc<AtomicU64>) {
    for i in 0..n {
        let v = if i % 5 == 0 { Val::Num(i * 7 + 3) } else { Val::Obj(obj(ids.fetch_add(2, Ordering::Relaxed))) };
        tx.send(v).expect("consumer gone");
        if i % 16 == 0 {
            churn(8);
        }
    }
}

/// Receives until the channel closes, holding received values on its stack for a while (a
/// value lost between the buffer and this stack is used after its object was freed, which
/// poisonfree reports), checking each one it evicts. Returns the values received.
#[inline(never)]
fn consumer(rx: chan::Receiver<Val>) -> u64 {
    let mut hold = [Val::Num(3); 64];
    let mut r = Rng(0x5151);
    let mut n = 0u64;
    for v in rx.iter() {
        let old = std::mem::replace(&mut hold[r.below(64) as usize], v);
        check_val(old);
        // Slower than the producer: the buffer stays full of values older than the cycle.
        churn(8 + n % 16);
        n += 1;
    }
    hold.iter().copied().for_each(check_val);
    n
}

#[test]
fn values_through_channels_while_collecting() {
    debug_modes(MODES);
    let _h = heap_lock();
    let (got, cycles) = with_collections(|| {
        let ids = Arc::new(AtomicU64::new(1 << 41));
        // A buffered channel and a rendezvous one, so both the buffer and the hand-off move
        // values while the collector marks.
        let hs: Vec<_> = [8usize, 0]
            .into_iter()
            .map(|cap| {
                let (tx, rx) = chan::bounded::<Val>(cap);
                let ids = ids.clone();
                go(move || producer(tx, 10_000, ids));
                go(move || consumer(rx))
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("consumer panicked")).sum::<u64>()
    });
    assert_eq!(got, 20_000);
    assert!(cycles >= 2, "only {cycles} collections ran");
}

/// Fills a `RootedVec` with 256 fresh objects and returns it with their addresses (in a plain
/// `Vec`, which the collector does not scan).
#[inline(never)]
fn rooted_objects() -> (RootedVec<Gc<Obj>>, Vec<usize>) {
    let v: RootedVec<Gc<Obj>> = (0..256).map(|i| obj(i * 2)).collect();
    let addrs = v.iter().map(|o| o.addr()).collect();
    (v, addrs)
}

#[test]
fn a_dropped_rooted_vec_no_longer_keeps_its_values() {
    debug_modes(MODES);
    let _h = heap_lock();
    block_on(|| {
        let (v, addrs) = go(rooted_objects).join().expect("maker panicked");
        collect();
        assert!(addrs.iter().all(|&a| raw::object_info(a).is_some()), "a rooted value was freed");
        assert_eq!(v.len(), 256);
        for (i, o) in v.iter().enumerate() {
            assert_eq!(check(*o), i as u64 * 2);
        }
        go(move || drop(v)).join().expect("dropper panicked");
        collect();
        collect();
        // Stale words may keep a few; nearly all must be gone.
        let freed = addrs.iter().filter(|&&a| raw::object_info(a).is_none()).count();
        assert!(freed >= 200, "only {freed} of 256 values freed after their RootedVec was dropped");
    });
}

#[test]
fn rooted_vec_misuse_panics_naming_the_call() {
    debug_modes(MODES);
    let _h = heap_lock();
    block_on(|| {
        let mut v: RootedVec<Gc<Obj>> = RootedVec::new();
        v.push(obj(1));
        let msg = common::panic_message(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| v.set(3, obj(5)))));
        assert_eq!(msg, "RootedVec::set/replace: index 3 out of bounds (len 1)");
        let msg = common::panic_message(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| v.remove(1))));
        assert_eq!(msg, "RootedVec::remove: index 1 out of bounds (len 1)");
        // The vector is still usable and intact.
        assert_eq!(check(v[0]), 1);
        assert_eq!(v.len(), 1);
    });
}

/// Recurses `depth` frames of 512 bytes each, then parks until `gate` closes: a deep stack
/// for the markers to scan.
#[inline(never)]
fn deep_park(depth: u32, gate: &chan::Receiver<()>) -> u64 {
    let pad = std::hint::black_box([depth as u64; 64]);
    if depth == 0 {
        let _ = gate.recv();
        return pad[0];
    }
    deep_park(depth - 1, gate) + pad[1]
}

/// Takes eight values with `take` once marking has begun and this goroutine has passed
/// safepoints (where a marker's request to scan its stack is honoured), holds them on its
/// stack through the end of the cycle and a whole next one, then checks them.
#[inline(never)]
fn late_taker(take: impl FnOnce() -> [Gc<Obj>; 8], started: chan::Receiver<u64>) {
    let n0 = started.recv().expect("test gone");
    for _ in 0..200 {
        tricolor_runtime::safepoint();
        tricolor_runtime::yield_now();
    }
    let held = take();
    while tricolor_gc::stats().num_gc <= n0 {
        tricolor_runtime::yield_now();
    }
    collect();
    for (i, o) in held.iter().enumerate() {
        assert!(raw::object_info(o.addr()).is_some(), "value {i} ({:#x}) was freed: lost between a root and a scanned stack", o.addr());
        check(*o);
    }
}

/// Runs `taker` (made first, so its stack job comes before the others') beside a thousand
/// goroutines parked on deep stacks (whose stack jobs come before the other root jobs: the
/// handles and the channel buffers), starts a cycle and tells `taker` once it marks.
fn behind_deep_stacks(taker: impl FnOnce(chan::Receiver<u64>) + Send + 'static, before: impl FnOnce() + Send) {
    block_on(|| {
        let (start_tx, start_rx) = chan::bounded::<u64>(1);
        let taker = go(move || taker(start_rx));
        let (gate_tx, gate_rx) = chan::bounded::<()>(0);
        let parked: Vec<_> = (0..1000)
            .map(|_| {
                let g = gate_rx.clone();
                go(move || deep_park(48, &g))
            })
            .collect();
        before();
        // A cycle we see marking (a small heap's cycle may run to its end between two looks:
        // then another).
        let (n0, cycle) = loop {
            let n0 = tricolor_gc::stats().num_gc;
            let cycle = go(collect);
            while !tricolor_gc::internals::marking() && !cycle.is_finished() {
                tricolor_runtime::yield_now();
            }
            if tricolor_gc::internals::marking() {
                break (n0, cycle);
            }
            cycle.join().expect("collect panicked");
        };
        start_tx.send(n0).expect("taker gone");
        taker.join().expect("taker panicked");
        cycle.join().expect("collect panicked");
        drop(gate_tx);
        for p in parked {
            p.join().expect("parked goroutine panicked");
        }
    })
}

/// A value received while marking, after the receiver's stack was scanned and before the
/// buffers' root job runs, is only on that black stack: the receive must shade it
/// (`buffers.rs` step 3; without it 6 of 8 runs lost a value).
#[test]
fn a_value_received_while_marking_onto_a_scanned_stack_stays_alive() {
    debug_modes(MODES);
    let _h = heap_lock();
    let (tx, rx) = chan::bounded::<Gc<Obj>>(8);
    let take = move || std::array::from_fn(|_| rx.recv().expect("value missing"));
    behind_deep_stacks(
        move |started| late_taker(take, started),
        || {
            go(move || fill(tx, 8, 1 << 42)).join().expect("filler panicked");
        },
    );
}

/// Fills `v` with eight fresh objects, from a goroutine of its own.
#[inline(never)]
fn fill_rooted(mut v: RootedVec<Gc<Obj>>) -> RootedVec<Gc<Obj>> {
    for i in 0..8 {
        v.push(obj((1 << 43) + i * 2));
    }
    v
}

/// The same for a value popped from a `RootedVec` (`rooted.rs` step 3, the deletion half;
/// without it 5 of 5 runs lost a value).
#[test]
fn a_value_popped_while_marking_onto_a_scanned_stack_stays_alive() {
    debug_modes(MODES);
    let _h = heap_lock();
    let v = block_on(|| go(|| fill_rooted(RootedVec::new())).join().expect("filler panicked"));
    let take = move || {
        let mut v = v;
        std::array::from_fn(|_| v.pop().expect("value missing"))
    };
    behind_deep_stacks(move |started| late_taker(take, started), || {});
}
