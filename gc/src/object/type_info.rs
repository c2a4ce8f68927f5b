//! `TypeInfo`: what the collector knows about an object's type — its payload size and where its
//! pointers are. Every object in a scanned span carries a pointer to its `TypeInfo` in a header
//! word just before the payload (`object/gc.rs`); objects in noscan spans have no header.
//!
//! Layouts:
//! - `NoScan`: no pointers (noscan spans, never scanned).
//! - `Words(bitmap)`: bit i set ⇔ payload word i holds a heap pointer or 0 (VMs describing their
//!   own layouts through the raw API; the fastest to scan).
//! - `Trace(f)`: a trace function (Rust types, via `Trace`).
//! - `Array(elem)`: a length word, then that many elements of type `elem` (`GcArray`).

use super::trace::{Trace, Tracer};
use std::fmt;

/// A type's name: a string for runtime-built types, `type_name` for Rust types (not callable in
/// const context, hence the function).
#[derive(Clone, Copy)]
pub(crate) enum TypeName {
    Str(&'static str),
    Fn(fn() -> &'static str),
}

/// An object type as the collector sees it.
pub struct TypeInfo {
    pub(crate) name: TypeName,
    /// Payload bytes (for `Array`: the element size).
    pub(crate) size: usize,
    pub(crate) layout: Layout,
}

/// Where an object's pointers are.
#[derive(Clone, Copy, Debug)]
pub enum Layout {
    /// No pointers.
    NoScan,
    /// One bit per payload word.
    Words(&'static [u64]),
    /// A trace function over the payload.
    Trace(unsafe fn(*const u8, &mut Tracer<'_>)),
    /// A length word then elements of this type.
    Array(&'static TypeInfo),
}

impl fmt::Debug for TypeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.layout {
            Layout::NoScan => "noscan",
            Layout::Words(_) => "bitmap",
            Layout::Trace(_) => "trace",
            Layout::Array(_) => "array",
        };
        write!(f, "TypeInfo({}, {} bytes, {kind})", self.name(), self.size)
    }
}

/// Why a `TypeInfo` could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeError {
    /// The bitmap marks a word at or beyond the payload's end.
    BitmapBeyondSize {
        /// The type's name.
        name: String,
        /// Payload size in bytes.
        size: usize,
        /// The first word index marked outside it.
        word: usize,
    },
    /// A payload size of zero, or above the limit of one object.
    BadSize {
        /// The type's name.
        name: String,
        /// The size given.
        size: usize,
    },
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeError::BitmapBeyondSize { name, size, word } => write!(
                f,
                "TypeInfo::from_bitmap({name:?}): the pointer bitmap marks word {word}, but a \
                 {size}-byte payload has only {} words",
                size / 8
            ),
            TypeError::BadSize { name, size } => {
                write!(f, "TypeInfo::from_bitmap({name:?}): payload size {size} is not in 1..=2^40")
            }
        }
    }
}

impl std::error::Error for TypeError {}

impl TypeInfo {
    /// The type's name (for diagnostics: checkmark failures, heap dumps).
    pub fn name(&self) -> &'static str {
        match self.name {
            TypeName::Str(s) => s,
            TypeName::Fn(f) => f(),
        }
    }

    /// Payload size in bytes (the element size for arrays).
    pub fn size(&self) -> usize {
        self.size
    }

    /// The pointer layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Whether objects of this type hold no pointers.
    pub fn is_noscan(&self) -> bool {
        matches!(self.layout, Layout::NoScan)
            || matches!(self.layout, Layout::Array(e) if e.is_noscan())
            || matches!(self.layout, Layout::Words(b) if b.iter().all(|w| *w == 0))
    }

    /// Describes a VM-defined type: `size` payload bytes whose pointer words are the set bits of
    /// `bitmap` (bit i of word i/64 ↔ payload bytes [8i, 8i+8)). The result lives forever.
    ///
    /// # Errors
    /// `TypeError::BitmapBeyondSize` if a bit marks a word past `size`; `BadSize` for 0 or
    /// absurd sizes.
    pub fn from_bitmap(name: &str, size: usize, bitmap: &[u64]) -> Result<&'static TypeInfo, TypeError> {
        let owned_name = name.to_string();
        if size == 0 || size > 1 << 40 {
            return Err(TypeError::BadSize { name: owned_name, size });
        }
        let words = size / 8;
        for (i, w) in bitmap.iter().enumerate() {
            for b in 0..64 {
                if w >> b & 1 == 1 && i * 64 + b >= words {
                    return Err(TypeError::BitmapBeyondSize { name: owned_name, size, word: i * 64 + b });
                }
            }
        }
        let bits: &'static [u64] = Box::leak(bitmap.to_vec().into_boxed_slice());
        let name: &'static str = Box::leak(owned_name.into_boxed_str());
        let layout = if bits.iter().all(|w| *w == 0) { Layout::NoScan } else { Layout::Words(bits) };
        Ok(Box::leak(Box::new(TypeInfo { name: TypeName::Str(name), size, layout })))
    }

    /// The `TypeInfo` of arrays (`GcArray`) whose elements are `elem`. Lives forever.
    pub fn array_of(elem: &'static TypeInfo) -> &'static TypeInfo {
        Box::leak(Box::new(TypeInfo { name: elem.name, size: elem.size, layout: Layout::Array(elem) }))
    }
}

/// Per-type info of Rust types, as an associated constant (one static per type).
pub trait GcType: Trace + Sized {
    /// The type's `TypeInfo`.
    const TYPE_INFO: &'static TypeInfo;
}

impl<T: Trace> GcType for T {
    const TYPE_INFO: &'static TypeInfo = &TypeInfo {
        name: TypeName::Fn(std::any::type_name::<T>),
        size: std::mem::size_of::<T>(),
        layout: if T::NO_TRACE { Layout::NoScan } else { Layout::Trace(trace_erased::<T>) },
    };
}

/// # Safety
/// `p` points to a live, initialised `T` (the payload of an object whose header is
/// `T::TYPE_INFO`).
unsafe fn trace_erased<T: Trace>(p: *const u8, t: &mut Tracer<'_>) {
    // SAFETY: the caller guarantees `p` is a valid `T`.
    unsafe { &*(p as *const T) }.trace(t)
}
