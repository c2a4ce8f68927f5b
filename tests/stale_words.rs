//! Issue 9 item 5: objects kept alive by words nobody uses. A goroutine's stack goes back to a
//! free list when it exits and the next goroutine inherits it: that goroutine's frames leave
//! padding and unused slots unwritten, and the conservative scan took a dead goroutine's heap
//! addresses there for live references (the cleanup `blocked` test's object stayed alive
//! forever in release builds: the background sweeper had reused the allocating goroutine's
//! stack). Exits now clear the part of the stack the goroutine used (`G::clear_dead_stack`).
//!
//! The checks never upgrade on the test's own goroutine before the object should be dead (the
//! upgraded address would sit in this frame, live as far as any conservative scan can tell).
//!
//! The tests run one at a time, and each uses an object size of its own: a goroutine that is
//! allocating holds its span's base address in its frames, which is the address of the span's
//! first object, so another test's allocator in the same size class could keep that object
//! alive while it runs (ARCHITECTURE.md, "Known gaps": span base words). Issue 10 found that
//! interference, and behind it two real leaks this file now also covers: mark work and
//! allocation refills ran on goroutine stacks (their frames left scanned addresses 12 KiB
//! deep), and exits cleared too little of a stack (only switch-outs and allocation slow paths
//! recorded how deep a goroutine went).

use std::time::Duration;
use tricolor::gc::{collect, Gc, GcArray};
use tricolor::runtime::debug::watchdog;
use tricolor::runtime::gsync::chan;
use tricolor::runtime::{go, Runtime};
use tricolor::weak::Pointer;

/// One test at a time (see the module docs).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Whether `p` upgrades, asked on a goroutine of its own (nothing stays on our stack).
fn alive<T: Sync + 'static>(p: Pointer<T>) -> bool {
    go(move || p.upgrade().is_some()).join().unwrap()
}

#[test]
fn a_dead_goroutines_stack_words_do_not_keep_objects_alive_in_its_successors() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _hang = watchdog("stale stack words", Duration::from_secs(120));
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let mut kept = 0;
        for round in 0..rounds() {
            // The allocating goroutine leaves the object's address all over its frames.
            let p = go(|| {
                // A traced array (a `Vec`'s buffer is not scanned: its objects could be freed
                // by the other test's collections).
                let objs = GcArray::from_fn(64, |i| Gc::new([i as u64; 4]));
                let p = Pointer::new(&objs[7]);
                std::hint::black_box(objs);
                p
            })
            .join()
            .unwrap();
            // Its successors take its stack (and others') and park there through the
            // collections.
            let (tx, rx) = chan::bounded::<()>(0);
            let parked: Vec<_> = (0..16)
                .map(|_| {
                    let rx = rx.clone();
                    go(move || {
                        let _ = rx.recv();
                    })
                })
                .collect();
            collect();
            collect();
            if alive(p) {
                kept += 1;
                eprintln!("round {round}: the object survived two collections");
            }
            drop(tx);
            for h in parked {
                h.join().unwrap();
            }
        }
        assert_eq!(kept, 0, "objects kept alive by stale stack words in {kept} rounds of {}", rounds());
    });
}

#[test]
fn a_result_waiting_to_be_joined_does_not_keep_objects_through_its_unused_bytes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _hang = watchdog("stale result words", Duration::from_secs(120));
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let mut kept = 0;
        for _ in 0..rounds() {
            let h = go(|| {
                let o = Gc::new([7u64; 6]);
                // `Ok` uses two of `Result<Pointer, String>`'s three words.
                Ok::<_, String>(Pointer::new(&o))
            });
            while !h.is_finished() {
                tricolor::runtime::yield_now();
            }
            collect();
            collect();
            let p = h.join().unwrap().unwrap();
            if alive(p) {
                kept += 1;
            }
        }
        assert_eq!(kept, 0, "objects kept alive by stale result words in {kept} rounds of {}", rounds());
    });
}

/// Rounds per test: 20, or `STALE_ROUNDS` for stress runs.
fn rounds() -> usize {
    std::env::var("STALE_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20)
}
