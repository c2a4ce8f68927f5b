//! The object model: what a heap object is to Rust code.
//!
//! - `type_info.rs`: `TypeInfo` and layouts; `trace.rs`: `Trace`/`Tracer`.
//! - `gc.rs`: `Gc<T>`, the `Copy` pointer; `cell.rs`: `GcCell`, the barrier-carrying slot.
//! - `array.rs`: `GcArray<T>`, `GcStr`; `root.rs`: `Root<T>`, the root registry and VM root
//!   scanners; `rooted.rs`: `Rooted<T>` and `RootedVec<T>`, `Trace` values in Rust memory.

pub(crate) mod array;
pub(crate) mod cell;
pub(crate) mod gc;
pub(crate) mod peek;
pub(crate) mod root;
pub(crate) mod rooted;
pub(crate) mod trace;
pub(crate) mod type_info;
