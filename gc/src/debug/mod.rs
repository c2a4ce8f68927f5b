//! Debug modes (`TRICOLOR_DEBUG`, DESIGN decision 12): `gctrace=1` (one line per cycle,
//! `gctrace.rs`), `gccheckmark=1` (verify marking, `checkmark.rs`), `poisonfree=1` (fill freed
//! objects, catch use after free, `poison.rs`).

pub(crate) mod checkmark;
pub(crate) mod gctrace;
pub(crate) mod poison;
