//! `RawError`: what a misuse of the raw API was. Addresses print in hex, `Debug` included.

use std::fmt;

/// A misuse of the raw API.
#[derive(Clone, PartialEq, Eq)]
pub enum RawError {
    /// The address is not the start of a live heap object's payload.
    NotAnObject(usize),
    /// The offset is outside the object's payload.
    OffsetOutOfBounds {
        /// The object.
        object: usize,
        /// The offset given.
        offset: usize,
        /// The payload size.
        size: usize,
    },
    /// The offset is not a pointer word of the object's type.
    NotAPointerSlot {
        /// The object.
        object: usize,
        /// The offset given.
        offset: usize,
        /// The type's name.
        type_name: &'static str,
    },
    /// The offset is not a value word of the object's type.
    NotAValueSlot {
        /// The object.
        object: usize,
        /// The offset given.
        offset: usize,
        /// The type's name.
        type_name: &'static str,
    },
    /// The offset is a pointer, value or length word, or inside a Rust-traced value: plain
    /// data accessors may not touch it (a store there would bypass the write barrier).
    NotADataWord {
        /// The object.
        object: usize,
        /// The offset given.
        offset: usize,
        /// The type's name.
        type_name: &'static str,
    },
    /// The value stored is neither 0 nor an address inside a live heap object (for a value
    /// word: its tagging decodes it as a pointer to something else).
    ValueNotAnObject(usize),
    /// The object has no length word (it is not of a variable-length raw type).
    NotVarLen(usize),
}

impl fmt::Debug for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawError::NotAnObject(a) => write!(f, "NotAnObject({a:#x})"),
            RawError::ValueNotAnObject(v) => write!(f, "ValueNotAnObject({v:#x})"),
            RawError::NotVarLen(a) => write!(f, "NotVarLen({a:#x})"),
            RawError::OffsetOutOfBounds { object, offset, size } => {
                write!(f, "OffsetOutOfBounds {{ object: {object:#x}, offset: {offset}, size: {size} }}")
            }
            RawError::NotAPointerSlot { object, offset, type_name } => {
                write!(f, "NotAPointerSlot {{ object: {object:#x}, offset: {offset}, type_name: {type_name:?} }}")
            }
            RawError::NotAValueSlot { object, offset, type_name } => {
                write!(f, "NotAValueSlot {{ object: {object:#x}, offset: {offset}, type_name: {type_name:?} }}")
            }
            RawError::NotADataWord { object, offset, type_name } => {
                write!(f, "NotADataWord {{ object: {object:#x}, offset: {offset}, type_name: {type_name:?} }}")
            }
        }
    }
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawError::NotAnObject(a) => write!(f, "raw: {a:#x} is not the payload of a live heap object"),
            RawError::OffsetOutOfBounds { object, offset, size } => {
                write!(f, "raw: offset {offset} is outside object {object:#x}'s {size}-byte payload")
            }
            RawError::NotAPointerSlot { object, offset, type_name } => {
                write!(f, "raw: offset {offset} of object {object:#x} ({type_name}) is not a pointer word in its type's bitmap")
            }
            RawError::NotAValueSlot { object, offset, type_name } => {
                write!(f, "raw: offset {offset} of object {object:#x} ({type_name}) is not a value word of its type")
            }
            RawError::NotADataWord { object, offset, type_name } => write!(
                f,
                "raw: offset {offset} of object {object:#x} ({type_name}) is a pointer, value or length word, not data \
                 (store pointers and values with write_ptr/write_value, which run the write barrier)"
            ),
            RawError::ValueNotAnObject(v) => {
                write!(f, "raw: storing {v:#x}, which is neither 0 nor a pointer into a live heap object")
            }
            RawError::NotVarLen(a) => write!(f, "raw: object {a:#x} is not of a variable-length type (TypeInfo::var_len)"),
        }
    }
}

impl std::error::Error for RawError {}
