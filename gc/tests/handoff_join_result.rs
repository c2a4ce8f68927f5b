//! The value a finished goroutine returns sits in its spawn packet (system heap) until
//! `JoinHandle::join` takes it; the goroutine's stack is dead by then. Before 6bea6ce (which
//! scans finished, unjoined goroutines' results as roots) this test failed with every one of
//! the 256 returned objects freed by the collection between the goroutine's return and the
//! `join`. `go(|| Gc::new(..)).join()` compiles (`Gc<T>: Send`) and is the natural way to build
//! an object on another goroutine.
//!
//! Scenario: 256 goroutines each return a fresh `Gc`; once all are finished, `collect()`,
//! churn garbage of the same size (so a wrongly freed slot is reused), `collect()`, then join
//! and check every object through `raw::object_info` and its contents. Runs with
//! `gccheckmark=1,poisonfree=1`.

mod common;

use tricolor_gc::{collect, raw, Gc, Trace};
use tricolor_runtime::{block_on, go, yield_now, JoinHandle};

/// Pointer-free, so it lives in a noscan span (no header; `object_info` gives no type).
#[derive(Trace)]
struct Cargo {
    id: u64,
    canary: u64,
    words: [u64; 6],
}

fn canary(id: u64) -> u64 {
    id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xFEED
}

fn cargo(id: u64) -> Gc<Cargo> {
    Gc::new(Cargo { id, canary: canary(id), words: [canary(id); 6] })
}

/// Whether `g` is still the live `Cargo` number `id`, checked through the raw API first so a
/// freed object reads as `Err`, not as undefined behaviour.
fn check(g: Gc<Cargo>, id: u64) -> Result<(), String> {
    match raw::object_info(g.addr()) {
        Some(i) if i.payload == g.addr() && i.type_info.is_none() => {}
        other => return Err(format!("cargo #{id} at {:#x} was freed (now {other:?})", g.addr())),
    }
    if g.id != id || g.canary != canary(id) || g.words != [canary(id); 6] {
        return Err(format!("cargo #{id} at {:#x} was overwritten: id {} canary {:#x}", g.addr(), g.id, g.canary));
    }
    Ok(())
}

/// Allocates lots of `Cargo`-sized garbage, so a wrongly freed slot is reused.
#[inline(never)]
fn churn() {
    for i in 0..20_000u64 {
        std::hint::black_box(cargo(1_000_000 + i));
    }
}

#[inline(never)]
fn spawn_producer(id: u64) -> JoinHandle<Gc<Cargo>> {
    go(move || cargo(id))
}

#[test]
fn a_gc_returned_by_a_finished_goroutine_survives_until_join() {
    common::debug_modes("gccheckmark=1,poisonfree=1");
    let failures = block_on(|| {
        let handles: Vec<_> = (0..256).map(spawn_producer).collect();
        // Every producer has returned: its stack is dead, the result is only in its packet.
        while !handles.iter().all(|h| h.is_finished()) {
            yield_now();
        }
        collect();
        churn();
        collect();
        let mut failures = Vec::new();
        for (id, h) in handles.into_iter().enumerate() {
            if let Err(e) = check(h.join().expect("producer panicked"), id as u64) {
                failures.push(e);
            }
        }
        failures
    });
    assert!(failures.is_empty(), "{} of 256 returned Gcs were freed before join:\n{}", failures.len(), failures.join("\n"));
}
