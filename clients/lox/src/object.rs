//! Lox's heap objects, every one a `Gc` object of Tricolor's heap. Each is `repr(C)` with a
//! `Kind` byte first, so a `Value` holding the payload address can tell what it points at
//! with one load (clox's `obj->type`). Fields that change are `GcCell`/`GcValue` slots (the
//! write barrier) or atomics; nothing here owns Rust memory, so no object needs a destructor.

use crate::table::Table;
use crate::value::{Value, NIL};
use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, OnceLock};
use tricolor_cleanup::Owned;
use tricolor_gc::{Gc, GcArray, GcCell, GcStr, GcValue, Trace};
use tricolor_runtime::gsync::chan::{Receiver, Sender};
use tricolor_runtime::gsync::Mutex;
use tricolor_runtime::JoinHandle;
use tricolor_weak::{Interned, Interner};

#[derive(Clone, Copy, PartialEq, Eq, Debug, Trace)]
#[repr(u8)]
pub enum Kind {
    String = 1,
    Function,
    Native,
    Closure,
    Upvalue,
    Class,
    Instance,
    BoundMethod,
    Handle,
    Channel,
}

/// A string: interned, so equal strings are one object and compare by address.
#[derive(Trace)]
#[repr(C)]
pub struct LoxString {
    kind: Kind,
    pub s: GcStr,
}

impl PartialEq for LoxString {
    fn eq(&self, o: &Self) -> bool {
        self.s == o.s
    }
}
impl Eq for LoxString {}
impl Hash for LoxString {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // As `str` hashes: lookups by `&str` must find entries made from `LoxString`s.
        self.s.as_str().hash(h)
    }
}
impl Borrow<str> for LoxString {
    fn borrow(&self) -> &str {
        self.s.as_str()
    }
}

/// A compiled function: immutable once built.
#[derive(Trace)]
#[repr(C)]
pub struct Function {
    kind: Kind,
    pub arity: u8,
    pub upvalue_count: u8,
    /// A string, or nil for the top-level script.
    pub name: Value,
    pub code: GcArray<u8>,
    pub lines: GcArray<u32>,
    pub constants: GcArray<Value>,
}

/// The natives Lox programs can call.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Trace)]
#[repr(u8)]
pub enum NativeFn {
    Clock,
    Spawn,
    Channel,
}

#[derive(Trace)]
#[repr(C)]
pub struct Native {
    kind: Kind,
    pub f: NativeFn,
}

#[derive(Trace)]
#[repr(C)]
pub struct Closure {
    kind: Kind,
    pub function: Gc<Function>,
    pub upvalues: GcArray<Gc<Upvalue>>,
}

/// A captured variable: open while `open` holds the address of its slot on the value stack
/// of the VM that created it, closed (value in `closed`) from then on.
#[derive(Trace)]
#[repr(C)]
pub struct Upvalue {
    kind: Kind,
    /// The id of the VM whose stack holds the variable while it is open.
    pub owner: u64,
    pub open: AtomicUsize,
    pub closed: GcValue<Value>,
    /// The next open upvalue of the same VM, lower on the stack (clox's sorted list).
    pub next: GcCell<Option<Gc<Upvalue>>>,
}

impl Upvalue {
    /// The variable's value, read by VM `vm`; `None` if it is open on another VM's stack
    /// (which only its own VM may touch: see `vm/mod.rs`).
    #[inline(always)]
    pub fn get(&self, vm: u64) -> Option<Value> {
        let p = self.open.load(Ordering::Acquire);
        if p != 0 {
            if self.owner != vm {
                return None;
            }
            // SAFETY: an open upvalue's slot is on the stack of a VM that is still running
            // the frame owning it (`close_upvalues` closes every upvalue above a frame's base
            // before the frame is popped, and all of them when a VM stops).
            Some(unsafe { *(p as *const Value) })
        } else {
            Some(self.closed.get())
        }
    }
}

#[derive(Trace)]
#[repr(C)]
pub struct Class {
    kind: Kind,
    pub name: Value,
    pub methods: Table,
}

#[derive(Trace)]
#[repr(C)]
pub struct Instance {
    kind: Kind,
    pub class: Gc<Class>,
    pub fields: Table,
}

/// `spawn(fn)`'s result: the goroutine running `fn`; `join()` waits for it and returns what
/// `fn` returned (the first join takes it from the runtime, later ones read `result`).
#[derive(Trace)]
#[repr(C)]
pub struct Handle {
    kind: Kind,
    pub result: GcValue<Value>,
    pub join: Owned<JoinSlot>,
}

/// The goroutine's join handle until the first `join()`; `Err` if it stopped on a runtime
/// error (already reported).
pub type JoinSlot = Mutex<Option<JoinHandle<Result<Value, ()>>>>;

/// `Channel()` / `Channel(capacity)`: a goroutine channel of Lox values (unbuffered by
/// default, as Go's); `send(v)` and `receive()` block as Go's do. Its buffer is a root of its
/// own (the runtime registers word-sized channel buffers and scans them).
#[derive(Trace)]
#[repr(C)]
pub struct Channel {
    kind: Kind,
    pub ch: Owned<(Sender<Value>, Receiver<Value>)>,
}

#[derive(Trace)]
#[repr(C)]
pub struct BoundMethod {
    kind: Kind,
    pub receiver: Value,
    pub method: Gc<Closure>,
}

// --- allocation ----------------------------------------------------------------------------

/// `--stress-gc=N`: collect before every Nth allocation (0: off).
static STRESS_EVERY: OnceLock<usize> = OnceLock::new();
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

pub fn set_stress(every: usize) {
    let _ = STRESS_EVERY.set(every);
}

#[inline(always)]
fn tick() {
    let every = *STRESS_EVERY.get().unwrap_or(&0);
    if every != 0 {
        stress(every);
    }
}

#[cold]
fn stress(every: usize) {
    if ALLOCS.fetch_add(1, Ordering::Relaxed).is_multiple_of(every) {
        tricolor_gc::collect();
    }
}

/// For allocations made outside this file (the tables' arrays).
pub fn tick_public() {
    tick();
}

/// Every Lox allocation comes through here (or `intern`), so `--stress-gc` sees them all.
#[inline(always)]
pub fn alloc<T: Trace>(v: T) -> Gc<T> {
    tick();
    Gc::new(v)
}

static STRINGS: LazyLock<Interner<LoxString>> = LazyLock::new(Interner::new);

/// The interned string `s` as a value; allocates only if no live string equals `s`.
pub fn intern(s: &str) -> Value {
    tick();
    let i = STRINGS.intern_by(s, |s: &str| LoxString { kind: Kind::String, s: GcStr::new(s) });
    Value::obj(Interned::addr(i))
}

// --- constructors --------------------------------------------------------------------------

pub fn new_function(arity: u8, upvalue_count: u8, name: Value, code: &[u8], lines: &[u32], constants: &[Value]) -> Value {
    tick();
    let code = GcArray::from_slice(code);
    let lines = GcArray::from_slice(lines);
    let constants = GcArray::from_slice(constants);
    let f = alloc(Function { kind: Kind::Function, arity, upvalue_count, name, code, lines, constants });
    Value::obj(f.addr())
}

pub fn new_native(f: NativeFn) -> Value {
    Value::obj(alloc(Native { kind: Kind::Native, f }).addr())
}

/// A closure of `function` over `upvalues` (every one `Some`).
pub fn new_closure(function: Gc<Function>, upvalues: &[Option<Gc<Upvalue>>]) -> Value {
    tick();
    let upvalues = GcArray::from_fn(upvalues.len(), |i| upvalues[i].expect("every upvalue is captured"));
    Value::obj(alloc(Closure { kind: Kind::Closure, function, upvalues }).addr())
}

pub fn new_upvalue(owner: u64, slot: *mut Value, next: Option<Gc<Upvalue>>) -> Gc<Upvalue> {
    alloc(Upvalue { kind: Kind::Upvalue, owner, open: AtomicUsize::new(slot as usize), closed: GcValue::new(NIL), next: GcCell::new(next) })
}

pub fn new_class(name: Value) -> Value {
    Value::obj(alloc(Class { kind: Kind::Class, name, methods: Table::new() }).addr())
}

pub fn new_instance(class: Gc<Class>) -> Value {
    Value::obj(alloc(Instance { kind: Kind::Instance, class, fields: Table::new() }).addr())
}

/// A closed upvalue holding `v` (for `spawn`'s copies).
pub fn new_closed_upvalue(v: Value) -> Gc<Upvalue> {
    alloc(Upvalue { kind: Kind::Upvalue, owner: 0, open: AtomicUsize::new(0), closed: GcValue::new(v), next: GcCell::new(None) })
}

pub fn new_handle(h: JoinHandle<Result<Value, ()>>) -> Value {
    tick();
    let join = Owned::new(Mutex::new(Some(h)));
    Value::obj(alloc(Handle { kind: Kind::Handle, result: GcValue::new(NIL), join }).addr())
}

pub fn new_channel(cap: usize) -> Value {
    tick();
    let ch = Owned::new(tricolor_runtime::gsync::chan::bounded(cap));
    Value::obj(alloc(Channel { kind: Kind::Channel, ch }).addr())
}

pub fn new_bound_method(receiver: Value, method: Gc<Closure>) -> Value {
    Value::obj(alloc(BoundMethod { kind: Kind::BoundMethod, receiver, method }).addr())
}

// --- access --------------------------------------------------------------------------------

/// The object `v` refers to, as a `T`.
///
/// # Safety
/// `v` is an object value whose kind is `T`'s (checked in debug builds by the callers'
/// `is(Kind::..)` tests), and the object is reachable while the handle is used.
#[inline(always)]
pub unsafe fn as_obj<T>(v: Value) -> Gc<T> {
    debug_assert!(v.is_obj());
    // SAFETY: the caller's contract; `Value::obj` stores payload addresses.
    unsafe { Gc::from_addr(v.addr()) }
}

/// The text of a string value.
///
/// # Safety
/// As `as_obj`: `v` is a string, and it stays reachable while the `&str` is used.
#[inline(always)]
pub unsafe fn as_str<'a>(v: Value) -> &'a str {
    debug_assert!(v.is(Kind::String));
    // SAFETY: the caller's contract; the `GcStr` inside is as immutable and as alive as the
    // string object.
    unsafe { &*(Gc::<LoxString>::from_addr(v.addr()).as_ptr()) }.s.as_str()
}

/// How `print` shows a value.
pub fn print_value(v: Value, out: &mut String) {
    if v.is_number() {
        crate::value::fmt_number(v.as_number(), out);
        return;
    }
    match v.kind() {
        None => out.push_str(if v == NIL {
            "nil"
        } else if v == crate::value::TRUE {
            "true"
        } else {
            "false"
        }),
        // The arms below: the kind byte says which object `v` is, and `v` (held by the
        // caller) keeps it and what it refers to alive.
        Some(Kind::String) => {
            // SAFETY: as said above.
            out.push_str(unsafe { as_str(v) })
        }
        // SAFETY: as above.
        Some(Kind::Function) => print_function(unsafe { as_obj::<Function>(v) }, out),
        Some(Kind::Native) => out.push_str("<native fn>"),
        // SAFETY: as above.
        Some(Kind::Closure) => print_function(unsafe { as_obj::<Closure>(v) }.function, out),
        Some(Kind::Upvalue) => out.push_str("upvalue"),
        // SAFETY: as above; a class's name is a string.
        Some(Kind::Class) => out.push_str(unsafe { as_str(as_obj::<Class>(v).name) }),
        Some(Kind::Instance) => {
            // SAFETY: as above.
            out.push_str(unsafe { as_str(as_obj::<Instance>(v).class.name) });
            out.push_str(" instance");
        }
        // SAFETY: as above.
        Some(Kind::BoundMethod) => print_function(unsafe { as_obj::<BoundMethod>(v) }.method.function, out),
        Some(Kind::Handle) => out.push_str("<goroutine>"),
        Some(Kind::Channel) => out.push_str("<channel>"),
    }
}

fn print_function(f: Gc<Function>, out: &mut String) {
    if f.name.is_nil() {
        out.push_str("<script>");
    } else {
        out.push_str("<fn ");
        // SAFETY: a function's name is nil or a string, kept alive by the function.
        out.push_str(unsafe { as_str(f.name) });
        out.push('>');
    }
}
