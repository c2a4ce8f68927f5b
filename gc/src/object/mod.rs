//! The object model: what a heap object is to Rust code.
//!
//! - `type_info.rs`: `TypeInfo` and layouts; `trace.rs`: `Trace`/`Tracer`.
//! - `gc.rs`: `Gc<T>`, the `Copy` pointer; `cell.rs`: `GcCell`, the barrier-carrying slot.
//! - `value.rs`: `Tagging`, `Value`, `GcValue`: VM value words that are sometimes pointers.
//! - `array.rs`: `GcArray<T>`; `str.rs`: `GcStr`, content-compared; `root.rs`: `Root<T>`, the
//!   root registry and VM root scanners; `rooted.rs`: `Rooted<T>` and `RootedVec<T>`, `Trace`
//!   values in Rust memory.

pub(crate) mod array;
pub(crate) mod cell;
pub(crate) mod gc;
pub(crate) mod peek;
pub(crate) mod root;
pub(crate) mod rooted;
pub(crate) mod str;
pub(crate) mod trace;
pub(crate) mod type_info;
pub(crate) mod value;
