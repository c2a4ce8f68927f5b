//! `GcStr`: an immutable UTF-8 string in the collected heap, a `GcArray<u8>` underneath (the
//! array's layout and construction are in `array.rs`). Because it never changes, it is a value
//! the way `str` is: it compares, orders and hashes by content, and borrows as `&str`, so it
//! can key a map or an `Interner` looked up by `&str`.

use crate::object::array::GcArray;
use crate::object::cell::{GcHandle, GcPtr};
use crate::object::trace::{Trace, Tracer};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// An immutable UTF-8 string in the collected heap (noscan). `Copy`; derefs to `&str`.
///
/// Equality, ordering and hashing are by content and agree with `str`'s (`Borrow<str>`'s
/// contract), so a map keyed by `GcStr` is looked up with a `&str`; `ptr_eq` compares identity.
///
/// ```
/// use std::collections::HashMap;
/// use tricolor_gc::GcStr;
/// tricolor_runtime::block_on(|| {
///     let a = GcStr::new("lambda");
///     assert_eq!(a, "lambda");
///     assert_eq!(a, GcStr::new("lambda"));
///     assert!(!GcStr::ptr_eq(a, GcStr::new("lambda")));
///     assert_eq!(format!("{a}"), "lambda");
///     let mut globals: HashMap<GcStr, u32> = HashMap::new();
///     globals.insert(a, 1);
///     assert_eq!(globals.get("lambda"), Some(&1));
///     std::hint::black_box(a);
/// });
/// ```
#[derive(Clone, Copy)]
pub struct GcStr(GcArray<u8>);

impl GcStr {
    /// Copies `s` into the heap.
    ///
    /// # Panics
    /// As `Gc::new`.
    #[track_caller]
    pub fn new(s: &str) -> GcStr {
        let b = s.as_bytes();
        match GcArray::try_from_fn(b.len(), |i| b[i]) {
            Ok(a) => GcStr(a),
            Err(e) => crate::collector::alloc_failed("GcStr::new", &e),
        }
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        self
    }

    /// The payload address.
    pub fn addr(self) -> usize {
        self.0.addr()
    }

    /// Whether two handles name the same string object (`==` compares content).
    pub fn ptr_eq(a: Self, b: Self) -> bool {
        GcArray::ptr_eq(a.0, b.0)
    }

    /// Rebuilds a handle from its payload address.
    ///
    /// # Safety
    /// 1. `addr` was obtained from `GcStr::addr` or `GcPtr::to_word` of a `GcStr` (an arbitrary
    ///    `GcArray<u8>` may hold bytes that are not UTF-8), and
    /// 2. the string is still alive: reachable since, or rooted.
    ///
    /// # Panics
    /// If `addr` is 0 (use `Option<GcStr>`'s `GcPtr::from_word` for a word that may be 0).
    pub unsafe fn from_addr(addr: usize) -> GcStr {
        assert!(addr != 0, "GcStr::from_addr(0): a null word is no string (use Option<GcStr>)");
        // SAFETY: forwarded contract (a `GcStr`'s address is its array's).
        GcStr(unsafe { GcArray::from_addr(addr) })
    }
}

impl std::ops::Deref for GcStr {
    type Target = str;
    fn deref(&self) -> &str {
        // SAFETY: built from a `&str` and immutable since (`from_addr` takes only a `GcStr`'s
        // address, obligation 1).
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

impl AsRef<str> for GcStr {
    fn as_ref(&self) -> &str {
        self
    }
}

impl AsRef<[u8]> for GcStr {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for GcStr {
    fn borrow(&self) -> &str {
        self
    }
}

impl fmt::Debug for GcStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for GcStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl PartialEq for GcStr {
    fn eq(&self, o: &Self) -> bool {
        **self == **o
    }
}
impl Eq for GcStr {}

impl PartialEq<str> for GcStr {
    fn eq(&self, o: &str) -> bool {
        **self == *o
    }
}

impl PartialEq<&str> for GcStr {
    fn eq(&self, o: &&str) -> bool {
        **self == **o
    }
}

impl PartialEq<String> for GcStr {
    fn eq(&self, o: &String) -> bool {
        **self == **o
    }
}

impl PartialEq<GcStr> for String {
    fn eq(&self, o: &GcStr) -> bool {
        **self == **o
    }
}

impl PartialEq<GcStr> for str {
    fn eq(&self, o: &GcStr) -> bool {
        *self == **o
    }
}

impl PartialEq<GcStr> for &str {
    fn eq(&self, o: &GcStr) -> bool {
        **self == **o
    }
}

impl PartialOrd for GcStr {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for GcStr {
    fn cmp(&self, o: &Self) -> Ordering {
        (**self).cmp(&**o)
    }
}

impl Hash for GcStr {
    /// Hashes as the `str` it holds (required by `Borrow<str>`: a map or `Interner` hashes the
    /// `&str` it is asked for and must land on the same bucket).
    fn hash<H: Hasher>(&self, h: &mut H) {
        (**self).hash(h)
    }
}

// SAFETY: the array's payload address, never 0 (`GcArray`'s `GcPtr`); `from_word` is
// `from_addr`, whose UTF-8 obligation the `GcPtr` contract (same type) carries.
unsafe impl GcPtr for GcStr {
    fn to_word(self) -> usize {
        self.addr()
    }
    unsafe fn from_word(w: usize) -> Self {
        // SAFETY: forwarded contract.
        unsafe { GcStr::from_addr(w) }
    }
}
// SAFETY: as above: the payload address of the string's array object.
unsafe impl GcHandle for GcStr {}

// SAFETY: reports its own address.
unsafe impl Trace for GcStr {
    fn trace(&self, t: &mut Tracer<'_>) {
        t.edge(self.addr())
    }
}
