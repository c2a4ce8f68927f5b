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
//! - `Values { pointers, values, tagging }`: pointer words and VM value words (tagged or
//!   NaN-boxed, decoded by `tagging`) — raw VM layouts (`TypeInfo::builder`).
//! - `VarLen { head, elem }`: a length word, a fixed part, then that many elements — raw
//!   variable-length objects (`TypeInfo::var_len`, `raw::alloc_array`).
//!
//! Raw layouts are interned: building the same layout twice returns the same `TypeInfo`, so a
//! VM that builds its types on demand does not leak.

use super::trace::{Trace, Tracer};
use super::value::Tagging;
use std::collections::HashMap;
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
    /// Pointer words (`pointers`, one bit per payload word) and VM value words (`values`),
    /// whose pointers `tagging` decodes.
    Values {
        /// Words holding a heap pointer or 0.
        pointers: &'static [u64],
        /// Words holding a VM value.
        values: &'static [u64],
        /// How the value words encode pointers.
        tagging: Tagging,
    },
    /// A length word, a fixed part of type `head` (none: no fixed part), then that many
    /// elements of type `elem`. Payload: `[len][head][elem 0][elem 1]...`.
    VarLen {
        /// The fixed part, right after the length word.
        head: Option<&'static TypeInfo>,
        /// The element type.
        elem: &'static TypeInfo,
    },
}

/// What one payload word of a raw-layout object holds (`TypeInfo::word_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WordKind {
    /// A heap pointer or 0.
    Pointer,
    /// A VM value decoded by this tagging.
    Value(Tagging),
    /// Not scanned.
    Data,
    /// A variable-length object's length word (written by the allocator only).
    Length,
    /// Inside a Rust-traced value: unknown to the raw API.
    Traced,
}

impl fmt::Debug for TypeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.layout {
            Layout::NoScan => "noscan",
            Layout::Words(_) => "bitmap",
            Layout::Trace(_) => "trace",
            Layout::Array(_) => "array",
            Layout::Values { .. } => "values",
            Layout::VarLen { .. } => "var-len",
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
    /// A pointer or value offset that is not 8-aligned or not inside the payload.
    BadOffset {
        /// The type's name.
        name: String,
        /// The offset given.
        offset: usize,
        /// Payload size in bytes.
        size: usize,
    },
    /// An offset named both a pointer word and a value word.
    PointerAndValue {
        /// The type's name.
        name: String,
        /// The offset given twice.
        offset: usize,
    },
    /// The head or element type of a variable-length layout is not a raw fixed layout
    /// (no-scan, bitmap or values).
    NotRawFixed {
        /// The type's name.
        name: String,
        /// The offending type's name.
        part: String,
    },
    /// Two value taggings in one layout.
    TwoTaggings {
        /// The type's name.
        name: String,
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
                write!(f, "TypeInfo({name:?}): payload size {size} is not in 1..=2^40")
            }
            TypeError::BadOffset { name, offset, size } => {
                write!(f, "TypeInfo({name:?}): offset {offset} is not an 8-aligned word of the {size}-byte payload")
            }
            TypeError::PointerAndValue { name, offset } => {
                write!(f, "TypeInfo({name:?}): offset {offset} is named both as a pointer word and as a value word")
            }
            TypeError::NotRawFixed { name, part } => write!(
                f,
                "TypeInfo::var_len({name:?}): part {part:?} is not a fixed raw layout (no-scan, bitmap or values); \
                 Rust-traced types and arrays cannot be parts"
            ),
            TypeError::TwoTaggings { name } => {
                write!(f, "TypeInfo::var_len({name:?}): the head and the element use different value taggings")
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
        match self.layout {
            Layout::NoScan => true,
            Layout::Array(e) => e.is_noscan(),
            Layout::Words(b) => b.iter().all(|w| *w == 0),
            Layout::Values { .. } => false,
            Layout::VarLen { head, elem } => head.is_none_or(|h| h.is_noscan()) && elem.is_noscan(),
            Layout::Trace(_) => false,
        }
    }

    /// Describes a VM-defined type: `size` payload bytes whose pointer words are the set bits of
    /// `bitmap` (bit i of word i/64 ↔ payload bytes [8i, 8i+8)). Interned: the same name, size
    /// and bitmap give the same `TypeInfo`, which lives forever.
    ///
    /// # Errors
    /// `TypeError::BitmapBeyondSize` if a bit marks a word past `size`; `BadSize` for 0 or
    /// absurd sizes.
    pub fn from_bitmap(name: &str, size: usize, bitmap: &[u64]) -> Result<&'static TypeInfo, TypeError> {
        check_size(name, size)?;
        let words = size / 8;
        for (i, w) in bitmap.iter().enumerate() {
            for b in 0..64 {
                if w >> b & 1 == 1 && i * 64 + b >= words {
                    return Err(TypeError::BitmapBeyondSize { name: name.to_string(), size, word: i * 64 + b });
                }
            }
        }
        Ok(intern(Key { name: name.to_string(), size, pointers: trimmed(bitmap), values: Vec::new(), tagging: None, parts: None }))
    }

    /// Starts a raw VM layout of `size` payload bytes; name its pointer and value words, then
    /// `build` it.
    ///
    /// ```
    /// use tricolor_gc::{Tagging, TypeInfo};
    /// // A closure object: word 0 its function (a pointer), words 1-2 two NaN-boxed values,
    /// // word 3 an integer.
    /// let ty = TypeInfo::builder("Closure", 32).pointers(&[0]).values(&[8, 16], Tagging::NAN_BOX).build().unwrap();
    /// assert_eq!(ty.size(), 32);
    /// let again = TypeInfo::builder("Closure", 32).pointers(&[0]).values(&[8, 16], Tagging::NAN_BOX).build().unwrap();
    /// assert!(std::ptr::eq(ty, again), "layouts are interned");
    /// ```
    pub fn builder(name: &str, size: usize) -> TypeBuilder {
        TypeBuilder { name: name.to_string(), size, pointers: Vec::new(), values: Vec::new(), tagging: None }
    }

    /// A variable-length raw layout: a length word, a fixed part `head` (or none), then
    /// elements of type `elem` (`raw::alloc_array` gives the length). Both parts are raw fixed
    /// layouts (`from_bitmap`, `builder`). Interned.
    ///
    /// # Errors
    /// `NotRawFixed` if a part is a Rust-traced type, an array or itself variable-length;
    /// `TwoTaggings` if the parts decode values differently.
    pub fn var_len(name: &str, head: Option<&'static TypeInfo>, elem: &'static TypeInfo) -> Result<&'static TypeInfo, TypeError> {
        let mut tagging = None;
        for part in head.into_iter().chain([elem]) {
            if !part.size.is_multiple_of(8) {
                // Elements and the parts after the head must stay 8-aligned.
                return Err(TypeError::BadSize { name: format!("{name}: part {}", part.name()), size: part.size });
            }
            match part.layout {
                Layout::NoScan | Layout::Words(_) => {}
                Layout::Values { tagging: t, .. } => {
                    if tagging.is_some_and(|u| u != t) {
                        return Err(TypeError::TwoTaggings { name: name.to_string() });
                    }
                    tagging = Some(t);
                }
                _ => return Err(TypeError::NotRawFixed { name: name.to_string(), part: part.name().to_string() }),
            }
        }
        let size = head.map_or(0, |h| h.size);
        Ok(intern(Key {
            name: name.to_string(),
            size,
            pointers: Vec::new(),
            values: Vec::new(),
            tagging,
            parts: Some((head.map(addr_of), addr_of(elem))),
        }))
    }

    /// The `TypeInfo` of arrays (`GcArray`) whose elements are `elem`. Interned per `elem`;
    /// lives forever.
    pub fn array_of(elem: &'static TypeInfo) -> &'static TypeInfo {
        let mut t = ARRAYS.lock();
        t.get_or_insert_with(HashMap::new)
            .entry(addr_of(elem))
            .or_insert_with(|| Box::leak(Box::new(TypeInfo { name: elem.name, size: elem.size, layout: Layout::Array(elem) })))
    }

    /// Bytes of payload of an object of this type with `len` elements (variable-length
    /// layouts; `len` is ignored otherwise). `None` on overflow.
    pub fn payload_size(&self, len: usize) -> Option<usize> {
        match self.layout {
            Layout::VarLen { elem, .. } => len.checked_mul(elem.size)?.checked_add(8 + self.size),
            Layout::Array(_) => len.checked_mul(self.size)?.checked_add(8),
            _ => Some(self.size),
        }
    }

    /// Whether objects of this type have a length word (`raw::alloc_array`).
    pub fn is_var_len(&self) -> bool {
        matches!(self.layout, Layout::VarLen { .. })
    }

    /// Offset of element `i`'s first byte from the payload (variable-length layouts).
    pub fn element_offset(&self, i: usize) -> Option<usize> {
        match self.layout {
            Layout::VarLen { elem, .. } => i.checked_mul(elem.size)?.checked_add(8 + self.size),
            _ => None,
        }
    }

    /// What payload word `offset` (8-aligned, inside the payload) holds.
    pub(crate) fn word_kind(&self, offset: usize) -> WordKind {
        match self.layout {
            Layout::NoScan => WordKind::Data,
            Layout::Words(bits) => bit_kind(bits, &[], None, offset),
            Layout::Values { pointers, values, tagging } => bit_kind(pointers, values, Some(tagging), offset),
            Layout::VarLen { head, elem } => {
                if offset < 8 {
                    WordKind::Length
                } else if offset < 8 + self.size {
                    head.map_or(WordKind::Data, |h| h.word_kind(offset - 8))
                } else {
                    elem.word_kind((offset - 8 - self.size) % elem.size)
                }
            }
            Layout::Trace(_) | Layout::Array(_) => WordKind::Traced,
        }
    }
}

fn bit_kind(pointers: &[u64], values: &[u64], tagging: Option<Tagging>, offset: usize) -> WordKind {
    let (w, b) = (offset / 8 / 64, offset / 8 % 64);
    let set = |bits: &[u64]| bits.get(w).is_some_and(|x| x >> b & 1 == 1);
    if set(pointers) {
        WordKind::Pointer
    } else if let (true, Some(t)) = (set(values), tagging) {
        WordKind::Value(t)
    } else {
        WordKind::Data
    }
}

fn check_size(name: &str, size: usize) -> Result<(), TypeError> {
    if size == 0 || size > 1 << 40 {
        return Err(TypeError::BadSize { name: name.to_string(), size });
    }
    Ok(())
}

fn addr_of(t: &'static TypeInfo) -> usize {
    t as *const TypeInfo as usize
}

/// A bitmap without trailing zero words (so equal layouts intern equal).
fn trimmed(bits: &[u64]) -> Vec<u64> {
    let n = bits.iter().rposition(|w| *w != 0).map_or(0, |i| i + 1);
    bits[..n].to_vec()
}

/// A raw layout being described (`TypeInfo::builder`).
#[derive(Clone, Debug)]
pub struct TypeBuilder {
    name: String,
    size: usize,
    pointers: Vec<usize>,
    values: Vec<usize>,
    tagging: Option<Tagging>,
}

impl TypeBuilder {
    /// Payload byte offsets (8-aligned) of words that hold a heap pointer or 0.
    pub fn pointers(mut self, offsets: &[usize]) -> TypeBuilder {
        self.pointers.extend_from_slice(offsets);
        self
    }

    /// Payload byte offsets (8-aligned) of words that hold a VM value encoded by `tagging`.
    /// One tagging per layout: a later call replaces it.
    pub fn values(mut self, offsets: &[usize], tagging: Tagging) -> TypeBuilder {
        self.values.extend_from_slice(offsets);
        self.tagging = Some(tagging);
        self
    }

    /// The interned `TypeInfo`. Registers the tagging (`Tagging::register`) if the layout has
    /// value words.
    ///
    /// # Errors
    /// `BadSize`, `BadOffset` (unaligned or outside the payload), `PointerAndValue`.
    pub fn build(self) -> Result<&'static TypeInfo, TypeError> {
        check_size(&self.name, self.size)?;
        let words = self.size / 8;
        let bitmap = |offsets: &[usize]| -> Result<Vec<u64>, TypeError> {
            let mut bits = vec![0u64; words.div_ceil(64)];
            for &o in offsets {
                if !o.is_multiple_of(8) || o / 8 >= words {
                    return Err(TypeError::BadOffset { name: self.name.clone(), offset: o, size: self.size });
                }
                bits[o / 8 / 64] |= 1 << (o / 8 % 64);
            }
            Ok(bits)
        };
        let pointers = bitmap(&self.pointers)?;
        let values = bitmap(&self.values)?;
        if let Some(o) = self.values.iter().find(|o| self.pointers.contains(o)) {
            return Err(TypeError::PointerAndValue { name: self.name, offset: *o });
        }
        let values = trimmed(&values);
        let tagging = if values.is_empty() { None } else { self.tagging };
        if let Some(t) = tagging {
            t.register();
        }
        Ok(intern(Key { name: self.name, size: self.size, pointers: trimmed(&pointers), values, tagging, parts: None }))
    }
}

/// What identifies a raw layout.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    name: String,
    size: usize,
    pointers: Vec<u64>,
    values: Vec<u64>,
    tagging: Option<Tagging>,
    /// Variable-length: the head's and element's `TypeInfo` addresses (themselves interned).
    parts: Option<(Option<usize>, usize)>,
}

/// Raw layouts built so far.
static LAYOUTS: crate::sync::NpMutex<Option<HashMap<Key, &'static TypeInfo>>> = crate::sync::NpMutex::new(None);
/// `array_of`'s types, by element type address.
static ARRAYS: crate::sync::NpMutex<Option<HashMap<usize, &'static TypeInfo>>> = crate::sync::NpMutex::new(None);

fn intern(k: Key) -> &'static TypeInfo {
    let mut t = LAYOUTS.lock();
    let t = t.get_or_insert_with(HashMap::new);
    if let Some(ty) = t.get(&k) {
        return ty;
    }
    let name: &'static str = Box::leak(k.name.clone().into_boxed_str());
    let layout = match (&k.parts, k.tagging) {
        (Some((head, elem)), _) => {
            // SAFETY: the parts' addresses are of interned, leaked (immortal) `TypeInfo`s.
            let part = |a: usize| unsafe { &*(a as *const TypeInfo) };
            Layout::VarLen { head: head.map(part), elem: part(*elem) }
        }
        (None, Some(tagging)) => Layout::Values { pointers: leak(&k.pointers), values: leak(&k.values), tagging },
        (None, None) if k.pointers.is_empty() => Layout::NoScan,
        (None, None) => Layout::Words(leak(&k.pointers)),
    };
    let ty: &'static TypeInfo = Box::leak(Box::new(TypeInfo { name: TypeName::Str(name), size: k.size, layout }));
    t.insert(k, ty);
    ty
}

fn leak(bits: &[u64]) -> &'static [u64] {
    Box::leak(bits.to_vec().into_boxed_slice())
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
