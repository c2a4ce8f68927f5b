//! `#[derive(Trace)]` for Tricolor's collector: writes the `unsafe impl Trace` that reports every
//! `Gc` pointer a struct or enum holds.
//!
//! This file holds only the entry point and the user-facing docs. `attr.rs` parses (and
//! rejects) `#[trace(...)]` attributes, `crate_path.rs` finds the path under which the user's
//! crate sees `tricolor-gc`, and `expand.rs` writes the impl and carries the argument for why
//! it upholds the trait's `# Safety` obligations.
//!
//! # Why a derive, and why no escape hatch
//!
//! `Trace` is an `unsafe trait`: a pointer a trace function forgets is freed while still
//! reachable. The derive is the safe way to implement it (gc-arena's `Collect` derive is the
//! model): it traces *every* field, in declaration order, and computes `NO_TRACE` from the
//! field types, so nothing it writes can break the contract. For the same reason it has no
//! field-skip attribute, and unions are refused: the collector could not tell which union
//! field is live. Types that need something else (pointer words kept as integers, say) write
//! their own `unsafe impl Trace` against the raw API.

#![warn(missing_docs)]

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

mod attr;
mod crate_path;
mod expand;
#[cfg(test)]
mod tests;

/// Derives `Trace` for a struct (named, tuple or unit) or an enum (any variant kinds).
///
/// # What it generates
///
/// ```text
/// // SAFETY (argued in the macro's source): every field is traced, NO_TRACE is the AND of the
/// // fields' NO_TRACE.
/// unsafe impl<G..> ::tricolor_gc::Trace for Type<G..>
/// where
///     <original bounds>,
///     FieldType1: ::tricolor_gc::Trace,   // one per distinct field type that mentions a
///     FieldType2: ::tricolor_gc::Trace,   // type, const or lifetime parameter
/// {
///     const NO_TRACE: bool = <FieldType1 as Trace>::NO_TRACE && <FieldType2 as Trace>::NO_TRACE;
///     #[inline]
///     fn trace(&self, t: &mut ::tricolor_gc::Tracer<'_>) {
///         if !<Self as Trace>::NO_TRACE {
///             match self { /* every field, in order: Trace::trace(field, t) */ }
///         }
///     }
/// }
/// ```
///
/// A fieldless type (unit struct, enum of unit variants, empty enum) gets `NO_TRACE = true`.
///
/// Bounds sit on the field types, not on the type parameters: `Wrap<T> { inner: T }` is
/// `Trace` for every `T: Trace`, `S<T> { p: Gc<T> }` for every `T`, and `P<F: Family> { x:
/// F::Ptr }` for every `F` whose `F::Ptr` is. A field type that mentions no parameter gets no
/// bound; the body names it at the field's span, so a non-`Trace` field is an error at that
/// field, at the definition. Nor does a field type that names the type itself
/// (`Option<Gc<List<T>>>` inside `List<T>`): that bound would send rustc round the impl being
/// defined (E0275) if the pointer's own impl required `T: Trace`. (Mutually recursive *generic*
/// types through such a pointer would still hit it; `Gc<T>`'s impl does not require
/// `T: Trace`, so through `Gc` they do not.)
///
/// # Guarantees and non-guarantees
///
/// - Every field is traced, in declaration order (for an enum, those of the live variant).
///   There is no way to skip one: a skipped `Gc` could be freed while reachable.
/// - `NO_TRACE` is true exactly when every field type's `NO_TRACE` is.
/// - Not supported, with a compile error: unions (trace the pointer words by hand through the
///   raw API), `#[repr(packed)]` types (fields cannot be borrowed), and any `#[trace(...)]` key
///   other than `crate`.
/// - The derive does not make a type safe to *store* pointers in: heap pointer fields that
///   change after allocation still go through the barrier-carrying cell types.
///
/// # Where `Trace` is found
///
/// The generated code names the trait by path. The derive reads the user's `Cargo.toml`: a
/// dependency on `tricolor-gc` (renamed or not) gives `::tricolor_gc` (or `crate` inside
/// `tricolor-gc` itself); otherwise a dependency on the facade `tricolor` gives
/// `::tricolor::gc`. Override it with `#[trace(crate = "path::to::gc")]`, e.g. when the crate
/// is reached through a re-export the manifest cannot show.
///
/// # Example
///
/// ```
/// use tricolor_gc::{Gc, Trace};
///
/// #[derive(Trace)]
/// struct Node {
///     key: u64,
///     left: Option<Gc<Node>>,
///     right: Option<Gc<Node>>,
/// }
///
/// #[derive(Trace)]
/// #[trace(crate = "tricolor_gc")] // only where the Cargo.toml lookup cannot find the crate
/// enum Value<T> {
///     Nil,
///     Int(i64),
///     Pair { car: Gc<T>, cdr: Gc<T> },
/// }
///
/// #[derive(Trace)]
/// struct Point {
///     x: f64,
///     y: f64,
/// }
///
/// assert!(!Node::NO_TRACE);
/// assert!(!<Value<Point> as Trace>::NO_TRACE);
/// assert!(Point::NO_TRACE); // allocated in spans the collector never scans
/// ```
///
/// # Refused at compile time
///
/// A union (the collector could not tell which field is live):
///
/// ```compile_fail
/// use tricolor_gc::Trace;
/// #[derive(Trace)] // error: unions cannot be traced
/// union Word {
///     addr: usize,
///     bits: u64,
/// }
/// ```
///
/// A field whose type does not implement `Trace` (reported at the field):
///
/// ```compile_fail,E0277
/// use tricolor_gc::{Gc, Trace};
/// struct NotTrace(u32);
/// #[derive(Trace)]
/// struct Holder {
///     p: Gc<u64>,
///     bad: NotTrace, // error[E0277]: the trait bound `NotTrace: Trace` is not satisfied
/// }
/// ```
///
/// A `Cell`, `RefCell` or `UnsafeCell` holding a `Gc` (its stores would bypass the write
/// barrier, and concurrent marking would lose objects; the error names `GcCell`):
///
/// ```compile_fail,E0080
/// use tricolor_gc::{Gc, Trace};
/// #[derive(Trace)]
/// struct Node {
///     next: std::cell::Cell<Option<Gc<Node>>>, // error: ... use GcCell ...
/// }
/// let _ = Gc::new(Node { next: std::cell::Cell::new(None) });
/// ```
///
/// ```compile_fail,E0080
/// use tricolor_gc::{Gc, Trace};
/// #[derive(Trace)]
/// struct Holder {
///     p: std::cell::RefCell<Gc<u64>>,
/// }
/// let _ = Gc::new(Holder { p: std::cell::RefCell::new(Gc::new(1)) });
/// ```
///
/// ```compile_fail,E0080
/// use tricolor_gc::{Gc, Trace};
/// #[derive(Trace)]
/// struct Holder {
///     p: std::cell::UnsafeCell<Option<Gc<u64>>>,
/// }
/// let _ = Gc::new(Holder { p: std::cell::UnsafeCell::new(None) });
/// ```
///
/// Cells of plain data stay allowed:
///
/// ```
/// use tricolor_gc::{Gc, Trace};
/// #[derive(Trace)]
/// struct Counter {
///     hits: std::cell::Cell<u64>,
/// }
/// assert!(<Counter as Trace>::NO_TRACE);
/// # let _ = Counter { hits: std::cell::Cell::new(0) };
/// ```
///
/// A skip attribute, or any key but `crate`:
///
/// ```compile_fail
/// use tricolor_gc::{Gc, Trace};
/// #[derive(Trace)]
/// struct S {
///     #[trace(skip)] // error: #[trace] is not allowed on a field
///     p: Gc<u64>,
/// }
/// ```
///
/// ```compile_fail
/// use tricolor_gc::Trace;
/// #[derive(Trace)]
/// #[trace(ignore)] // error: unknown #[trace(...)] key `ignore`
/// struct S(u64);
/// ```
#[proc_macro_derive(Trace, attributes(trace))]
pub fn derive_trace(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).unwrap_or_else(|e| e.to_compile_error()).into()
}
