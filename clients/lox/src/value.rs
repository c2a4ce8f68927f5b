//! Lox values: clox's NaN boxing in one `u64`. A number is any double that is not a quiet NaN
//! with our tag bits; `nil`, `false` and `true` are quiet NaNs with payload 1, 2, 3; an object
//! is sign bit + quiet NaN + the object's payload address (`Tagging::NAN_BOX`, which the
//! collector decodes in heap slots, `Rooted` memory and on goroutine stacks).

use crate::object::Kind;
use tricolor_gc::{Tagging, Trace, Tracer};

const SIGN: u64 = 1 << 63;
const QNAN: u64 = 0x7ffc_0000_0000_0000;
const PTR: u64 = SIGN | QNAN;

/// One Lox value (see the module comment for the encoding).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Value(pub u64);

pub const NIL: Value = Value(QNAN | 1);
pub const FALSE: Value = Value(QNAN | 2);
pub const TRUE: Value = Value(QNAN | 3);

impl Value {
    #[inline(always)]
    pub fn num(n: f64) -> Value {
        Value(n.to_bits())
    }

    #[inline(always)]
    pub fn bool(b: bool) -> Value {
        if b {
            TRUE
        } else {
            FALSE
        }
    }

    /// The value of an object whose payload starts at `addr` (see `object::Kind`).
    #[inline(always)]
    pub fn obj(addr: usize) -> Value {
        Value(PTR | addr as u64)
    }

    #[inline(always)]
    pub fn is_number(self) -> bool {
        self.0 & QNAN != QNAN
    }

    #[inline(always)]
    pub fn as_number(self) -> f64 {
        f64::from_bits(self.0)
    }

    #[inline(always)]
    pub fn is_obj(self) -> bool {
        self.0 & PTR == PTR
    }

    #[inline(always)]
    pub fn addr(self) -> usize {
        (self.0 & !PTR) as usize
    }

    #[inline(always)]
    pub fn is_nil(self) -> bool {
        self == NIL
    }

    #[inline(always)]
    pub fn is_falsey(self) -> bool {
        self == NIL || self == FALSE
    }

    /// The kind of the object this value refers to, if it is one.
    #[inline(always)]
    pub fn kind(self) -> Option<Kind> {
        if self.is_obj() {
            // SAFETY: an object value holds the payload address of a live Lox object (it is
            // reachable: we hold the value), and every Lox object is `repr(C)` with its `Kind`
            // byte first (`object.rs`).
            Some(unsafe { *(self.addr() as *const Kind) })
        } else {
            None
        }
    }

    #[inline(always)]
    pub fn is(self, k: Kind) -> bool {
        self.kind() == Some(k)
    }

    /// Lox's `==`: numbers by IEEE equality (so `nan != nan`), everything else by identity
    /// (strings are interned, so identity is content).
    #[inline(always)]
    pub fn equals(self, o: Value) -> bool {
        if self.is_number() && o.is_number() {
            self.as_number() == o.as_number()
        } else {
            self.0 == o.0
        }
    }
}

// SAFETY: `to_bits`/`from_bits` are the identity on the word; an object word is built only by
// `Value::obj` from the payload address of a live Lox object; main registers
// `Tagging::NAN_BOX` before any value exists.
unsafe impl tricolor_gc::Value for Value {
    const TAGGING: Tagging = Tagging::NAN_BOX;
    #[inline(always)]
    fn to_bits(self) -> u64 {
        self.0
    }
    #[inline(always)]
    unsafe fn from_bits(bits: u64) -> Value {
        Value(bits)
    }
}

// SAFETY: reports the one object an object value refers to (NAN_BOX decodes exactly the
// words `Value::obj` builds); numbers and constants hold no pointer.
unsafe impl Trace for Value {
    #[inline]
    fn trace(&self, t: &mut Tracer<'_>) {
        if let Some(a) = Tagging::NAN_BOX.decode(self.0) {
            t.edge(a)
        }
    }
}

/// C's `printf("%g", n)`, which clox prints numbers with: six significant digits, trailing
/// zeros dropped, exponent form below 1e-4 and from 1e6.
pub fn fmt_number(n: f64, out: &mut String) {
    use std::fmt::Write;
    if n.is_nan() {
        out.push_str(if n.is_sign_negative() { "-nan" } else { "nan" });
        return;
    }
    if n.is_infinite() {
        out.push_str(if n < 0.0 { "-inf" } else { "inf" });
        return;
    }
    if n == n.trunc() && n.abs() < 1e6 {
        if n == 0.0 && n.is_sign_negative() {
            out.push_str("-0");
        } else {
            let _ = write!(out, "{}", n as i64);
        }
        return;
    }
    let e = format!("{n:.5e}");
    let (mant, exp) = e.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    if (-4..6).contains(&exp) {
        let s = format!("{:.*}", (5 - exp) as usize, n);
        out.push_str(strip_zeros(&s));
    } else {
        out.push_str(strip_zeros(mant));
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(n: f64) -> String {
        let mut s = String::new();
        fmt_number(n, &mut s);
        s
    }

    #[test]
    fn numbers_print_as_percent_g() {
        assert_eq!(g(1.0), "1");
        assert_eq!(g(-0.0), "-0");
        assert_eq!(g(2.5), "2.5");
        assert_eq!(g(1.0 / 3.0), "0.333333");
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(1234567.0), "1.23457e+06");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001), "1e-05");
        assert_eq!(g(123.456789), "123.457");
        assert_eq!(g(1e100), "1e+100");
        assert_eq!(g(f64::INFINITY), "inf");
    }

    #[test]
    fn nan_boxing_round_trips() {
        assert!(Value::num(1.5).is_number() && Value::num(1.5).as_number() == 1.5);
        assert!(!NIL.is_number() && !TRUE.is_obj() && NIL.is_falsey() && FALSE.is_falsey());
        assert!(Value::num(f64::NAN).is_number());
        let v = Value::obj(0x7f00_1234_5678);
        assert!(v.is_obj() && v.addr() == 0x7f00_1234_5678);
        assert_eq!(Tagging::NAN_BOX.decode(v.0), Some(0x7f00_1234_5678));
        assert_eq!(Tagging::NAN_BOX.decode(NIL.0), None);
        assert_eq!(Tagging::NAN_BOX.decode(Value::num(-1.0).0), None);
    }
}
