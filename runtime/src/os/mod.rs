//! The only callers of the raw OS primitives (mmap, futex, sigaction), each wrapped in a safe
//! type (STYLE 16, 18). Linux only: other targets fail at build time in `lib.rs`.

pub(crate) mod mem;
pub(crate) mod note;
pub(crate) mod signal;
