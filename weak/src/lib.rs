//! Weak pointers that are part of the collector (DESIGN decision 10, reference §9), after Go's
//! `weak` package, and an interning table built on them (`intern.rs`, Go's `unique`).
//!
//! A [`Weak<H>`] is one word: the address of a *handle cell* the collector owns for the address
//! it was made from. `H` is the handle it upgrades to: any `GcHandle` (`Gc<T>` — spelled
//! [`Pointer<T>`], Go's `weak.Pointer[T]` —, `GcArray<T>`, `GcStr`, `cleanup::Owned<R>`,
//! [`Interned<T>`]) or a [`Field<T, U>`], a field inside an object (Go's `weak.Make(&x.f)`).
//! Guarantees:
//!
//! - It never keeps its object alive: an object reachable only through weak pointers is
//!   collected. A field's weak pointer keeps nothing alive either, and reads empty only when
//!   the whole object is unreachable (a live object's fields are alive).
//! - `upgrade` never returns an object the collector has decided is dead, even while a
//!   collection runs, and an upgraded object is reachable like any other `Gc` on the stack.
//! - Pointers made from the same address compare equal (Go's rule), from any goroutine, at any
//!   time: two `Weak<H>`s of one object, or two field pointers to one field; a pointer made
//!   after the object died and a new object took its address compares unequal.
//! - A pointer reads empty before any cleanup of its object starts (tricolor-cleanup), and
//!   forever after.
//!
//! Not guaranteed: *when* a pointer reads empty (the next collection that finds the object
//! unreachable, once its span is swept — a word on a stack that happens to look like the
//! object's address keeps it alive, since stacks are scanned conservatively).
//!
//! Like a `Gc`, a `Weak` must live where the collector looks (a goroutine stack, a traced
//! field, a `GcCell<Weak<H>>`): its cell is a heap object. Keep one in Rust memory with
//! [`Weak::pin`].
//!
//! - `pointer.rs`: `Weak<H>`, the `WeakTarget` trait, `PinnedWeak`.
//! - `field.rs`: `Field<T, U>`, a strong reference to a field that keeps its object alive.
//! - `intern.rs`: `Interner<T>` / `Interned<T>`.
//!
//! ```
//! use tricolor_gc::{collect, Gc, GcStr};
//! use tricolor_weak::{Pointer, Weak};
//!
//! tricolor_runtime::block_on(|| {
//!     let strong = Gc::new((42u64, 7u64));
//!     let weak = Pointer::new(&strong);
//!     assert_eq!(weak, Pointer::new(&strong));
//!     assert_eq!(weak.upgrade().unwrap().0, 42);
//!     // A field, and another handle type.
//!     let second = Weak::field(strong, |p| &p.1);
//!     assert_eq!(*second.upgrade().unwrap(), 7);
//!     let name = GcStr::new("x");
//!     assert_eq!(Weak::new(&name).upgrade().unwrap(), "x");
//! });
//! ```

#![warn(missing_docs)]

mod field;
mod intern;
mod pointer;

pub use field::Field;
pub use intern::{Interned, Interner};
pub use pointer::{PinnedPointer, PinnedWeak, Pointer, Weak, WeakTarget};
