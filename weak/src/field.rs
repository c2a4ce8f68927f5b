//! `Field<T, U>`: a reference to field `U` of a collected `T` that keeps the whole object
//! alive — what a weak pointer to a field (Go's `weak.Make(&x.f)`) upgrades to. The weak
//! pointer itself is the generic `Weak` (`pointer.rs`), made from the field's interior address,
//! so two weak pointers to the same field share one handle cell and compare equal.

use crate::pointer::{Weak, WeakTarget};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use tricolor_gc::{Gc, Trace, Tracer};

/// A field `U` inside a collected `T`: the object and the field's byte offset. Two words;
/// `Copy`; derefs to `&U`. It keeps the whole object alive where a `Gc<T>` would (a goroutine
/// stack, a traced field: it traces as its object).
///
/// ```
/// use tricolor_gc::Gc;
/// use tricolor_weak::{Field, Weak};
/// tricolor_runtime::block_on(|| {
///     let point = Gc::new((3u64, 4u64));
///     let y = Field::new(point, |p| &p.1);
///     assert_eq!((*y, y.offset()), (4, 8));
///     assert!(Gc::ptr_eq(y.object(), point));
///     // Go's rule: weak pointers made from the same field are equal.
///     assert_eq!(Weak::new(&y), Weak::field(point, |p| &p.1));
///     assert_ne!(Weak::new(&y), Weak::field(point, |p| &p.0));
/// });
/// ```
pub struct Field<T, U> {
    obj: Gc<T>,
    offset: usize,
    _field: PhantomData<*const U>,
}

impl<T, U> Field<T, U> {
    /// The field of `obj` that `project` returns, e.g. `Field::new(x, |x| &x.f)`.
    ///
    /// # Panics
    /// If `project` returns a reference that is not inside the object itself (a static, or
    /// memory another pointer in the object names): the message says which.
    #[track_caller]
    pub fn new(obj: Gc<T>, project: impl for<'a> FnOnce(&'a T) -> &'a U) -> Field<T, U> {
        let base = obj.addr();
        let end = base + std::mem::size_of::<T>();
        let at = project(&*obj) as *const U as usize;
        if at < base || at >= end || at + std::mem::size_of::<U>() > end {
            panic!(
                "weak::Field::new: the projection returned a reference outside the object ({at:#x}, the {}-byte {} is at \
                 {base:#x}): it must name a field of the object itself, not memory the object points to",
                std::mem::size_of::<T>(),
                std::any::type_name::<T>()
            );
        }
        Field { obj, offset: at - base, _field: PhantomData }
    }

    /// The object the field is in.
    pub fn object(self) -> Gc<T> {
        self.obj
    }

    /// The field's byte offset in the object.
    pub fn offset(self) -> usize {
        self.offset
    }
}

impl<T, U> Weak<Field<T, U>> {
    /// A weak pointer to the field of `obj` that `project` returns (Go's `weak.Make(&x.f)`):
    /// `Weak::new(&Field::new(obj, project))`. It reads empty once the whole object is
    /// unreachable, and not before.
    ///
    /// # Panics
    /// As `Field::new` and `Weak::new`.
    #[track_caller]
    pub fn field(obj: Gc<T>, project: impl for<'a> FnOnce(&'a T) -> &'a U) -> Weak<Field<T, U>> {
        Weak::new(&Field::new(obj, project))
    }
}

impl<T, U> std::ops::Deref for Field<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        let obj: &T = &self.obj;
        // The object is alive while this `Field` is reachable (the module's rule, as for `Gc`),
        // and its memory is only ever reached through shared references, so the `U` is
        // unchanged but for its own interior mutability.
        // SAFETY: `new` checked that a `&U` (aligned, initialised) lies at `offset` in the `T`.
        unsafe { &*(obj as *const T).cast::<u8>().add(self.offset).cast::<U>() }
    }
}

impl<T, U> Clone for Field<T, U> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, U> Copy for Field<T, U> {}

// SAFETY: a `Field` hands out `&U` and `Gc<T>` (which is Send/Sync when `T: Sync`).
unsafe impl<T: Sync, U: Sync> Send for Field<T, U> {}
// SAFETY: as above.
unsafe impl<T: Sync, U: Sync> Sync for Field<T, U> {}

impl<T, U> PartialEq for Field<T, U> {
    /// The same field of the same object (identity, like `Gc`'s).
    fn eq(&self, o: &Self) -> bool {
        Gc::ptr_eq(self.obj, o.obj) && self.offset == o.offset
    }
}
impl<T, U> Eq for Field<T, U> {}

impl<T, U> Hash for Field<T, U> {
    fn hash<S: Hasher>(&self, h: &mut S) {
        (self.obj.addr() + self.offset).hash(h)
    }
}

impl<T, U> fmt::Debug for Field<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field<{}>({:#x} + {})", std::any::type_name::<U>(), self.obj.addr(), self.offset)
    }
}

// SAFETY: reports its object, which keeps the field alive.
unsafe impl<T, U> Trace for Field<T, U> {
    fn trace(&self, t: &mut Tracer<'_>) {
        self.obj.trace(t)
    }
}

// SAFETY: `weak_addr` is the field's address, inside the live object (`new`'s check);
// `from_weak_addr` finds that object again (the collector resolves interior addresses) and
// rebuilds the same object and offset; equal fields have equal addresses.
unsafe impl<T, U> WeakTarget for Field<T, U> {
    fn weak_addr(self) -> usize {
        self.obj.addr() + self.offset
    }
    unsafe fn from_weak_addr(addr: usize) -> Self {
        let base = match tricolor_gc::raw::object_info(addr) {
            Some(info) => info.payload,
            None => tricolor_runtime::throw!("weak: an upgraded field address {addr:#x} is in no live object"),
        };
        // SAFETY: `base` is the payload of the live object containing `addr`, which a
        // `Field<T, U>` was made from (the contract), so it is a `T`'s `Gc::addr`.
        Field { obj: unsafe { Gc::from_addr(base) }, offset: addr - base, _field: PhantomData }
    }
}
