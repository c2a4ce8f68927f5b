//! A `Gc` captured by a goroutine that has not started yet lives only in its spawn packet (the
//! closure, on the system heap) until the goroutine runs and moves it onto its stack. The
//! collector must scan that packet (`SuspendedG::pending_body`): `go(move || use(g))` is the
//! natural way to hand an object to a goroutine, and it compiles (`Gc<T>: Send`).
//!
//! 256 goroutines are spawned in a row, each capturing the only pointer to its object, then a
//! collection runs before (most of) them start, and garbage is churned so a wrongly freed slot
//! is reused. Runs with `gccheckmark=1,poisonfree=1`.

mod common;

use tricolor_gc::{collect, raw, Gc, Trace};
use tricolor_runtime::{block_on, go, JoinHandle};

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

/// Spawns a goroutine that checks `cargo(id)`; the `Gc` exists only in the closure once this
/// frame is gone.
#[inline(never)]
fn spawn_checker(id: u64) -> JoinHandle<Result<(), String>> {
    let g = cargo(id);
    go(move || check(g, id))
}

#[test]
fn a_gc_captured_by_a_goroutine_that_has_not_started_survives_a_collection() {
    common::debug_modes("gccheckmark=1,poisonfree=1");
    let failures = block_on(|| {
        let handles: Vec<_> = (0..256).map(spawn_checker).collect();
        collect();
        churn();
        collect();
        handles.into_iter().filter_map(|h| h.join().expect("checker panicked").err()).collect::<Vec<_>>()
    });
    assert!(failures.is_empty(), "{} of 256 captured Gcs were freed before their goroutine ran:\n{}", failures.len(), failures.join("\n"));
}
