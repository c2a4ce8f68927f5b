//! Debug modes (`TRICOLOR_DEBUG`, DESIGN decision 12): `gctrace=1` (one line per cycle,
//! `gctrace.rs`), `gccheckmark=1` (verify marking, `checkmark.rs`), `poisonfree=1` (fill freed
//! objects, catch use after free, `poison.rs`).

/// A broken collector invariant: print `fatal error: gc: ...` and abort (Go's `throw`). The
/// heap cannot be trusted after one, so unwinding into user code would only hide it.
#[cold]
pub(crate) fn fatal(msg: std::fmt::Arguments<'_>) -> ! {
    tricolor_runtime::throw!("gc: {msg}")
}

pub(crate) mod checkmark;
pub(crate) mod gctrace;
pub(crate) mod poison;

/// A user `Trace` impl or root scanner panicked while marking: other markers hold grey objects
/// nobody will scan, so nothing can continue (decision 14).
#[cold]
pub(crate) fn mark_panicked(p: &(dyn std::any::Any + Send)) -> ! {
    let why = tricolor_runtime::debug::panic_message(p).unwrap_or("");
    fatal(format_args!("a Trace implementation or root scanner panicked while marking ({why}); the heap is half-marked"))
}
