//! The interpreter: clox's `vm.c`. The value stack and the call frames are arrays in the
//! running goroutine's own stack frame (`interpret`), so they are roots the way any
//! goroutine's locals are: scanned (conservatively, NaN-boxed words decoded through the
//! registered tagging) when the collector scans the stack, with no barrier on pushes and pops
//! — Go's rule that a goroutine's writes to its own stack need no barrier. That rule is why
//! an open upvalue (a heap object pointing into a VM's stack) may be used only by the VM that
//! owns that stack: another goroutine's VM reaching it (through a global or a field) gets a
//! Lox runtime error instead of a racy, unbarriered access to a foreign stack. `spawn` copies
//! the open variables its function captures (see `spawn`).
//!
//! Lox goroutines (`spawn`, `Channel`): each runs its own VM on its own Tricolor goroutine
//! over the one shared heap and the one globals table. What a data race may do: every heap
//! slot (globals, fields, methods, closed upvalues) is one atomic word behind the write
//! barrier, so racing reads and writes see one of the values written (or, for a key being
//! inserted, its absence), and racing writers may lose updates; no race can tear a value,
//! free a live object or break the VM.

mod natives;

use crate::chunk::Op;
use crate::object::*;
use crate::table::Table;
use crate::value::{Value, FALSE, NIL, TRUE};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tricolor_gc::Gc;

/// Set when any VM stops on a runtime error (the process then exits with 70).
pub static FAILED: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub const FRAMES_MAX: usize = 64;
pub const STACK_MAX: usize = FRAMES_MAX * 256;

#[derive(Clone, Copy)]
struct Frame {
    closure: *const Closure,
    ip: *const u8,
    slots: *mut Value,
}

const NO_FRAME: Frame = Frame { closure: std::ptr::null(), ip: std::ptr::null(), slots: std::ptr::null_mut() };

/// What every VM of the process shares: the globals and the `init` string.
#[derive(Clone, Copy)]
pub struct Shared {
    pub globals: Gc<Table>,
    pub init: Value,
    join: Value,
    send: Value,
    receive: Value,
}

impl Shared {
    pub fn new() -> Shared {
        let globals = alloc(Table::new());
        for (name, f) in [("clock", NativeFn::Clock), ("spawn", NativeFn::Spawn), ("Channel", NativeFn::Channel)] {
            let name = intern(name);
            let native = new_native(f);
            globals.set(name, native);
        }
        Shared { globals, init: intern("init"), join: intern("join"), send: intern("send"), receive: intern("receive") }
    }
}

pub struct Vm<'a> {
    id: u64,
    stack_base: *mut Value,
    stack_end: *mut Value,
    frames: &'a mut [Frame; FRAMES_MAX],
    frame_count: usize,
    sp: *mut Value,
    open_upvalues: Option<Gc<Upvalue>>,
    shared: Shared,
    out: std::io::BufWriter<std::io::Stdout>,
    line: String,
}

#[cold]
fn foreign_variable() -> String {
    "Can't use a local variable of a function running on another goroutine.".to_string()
}

#[cold]
#[inline(never)]
fn call_error(arity: usize, argc: usize) -> String {
    if argc != arity {
        format!("Expected {arity} arguments but got {argc}.")
    } else {
        "Stack overflow.".to_string()
    }
}

/// A runtime error: already reported on stderr.
#[derive(Debug)]
pub struct RuntimeError;

/// Runs the compiled script `f` on this goroutine.
pub fn interpret(shared: Shared, f: Value) -> Result<(), RuntimeError> {
    let mut stack = [NIL; STACK_MAX];
    let mut frames = [NO_FRAME; FRAMES_MAX];
    let mut vm = Vm::new(&mut stack, &mut frames, shared);
    let r = vm.run_script(f).map(|_| ());
    vm.flush();
    r
}

macro_rules! err {
    ($vm:expr, $ip:expr, $($fmt:tt)*) => {{
        $vm.frames[$vm.frame_count - 1].ip = $ip;
        return Err($vm.runtime_error(format!($($fmt)*)));
    }};
}

impl<'a> Vm<'a> {
    fn new(stack: &'a mut [Value; STACK_MAX], frames: &'a mut [Frame; FRAMES_MAX], shared: Shared) -> Vm<'a> {
        let sp = stack.as_mut_ptr();
        // SAFETY: one past the end of the array.
        let stack_end = unsafe { sp.add(STACK_MAX) };
        Vm {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            stack_base: sp,
            stack_end,
            frames,
            frame_count: 0,
            sp,
            open_upvalues: None,
            shared,
            out: std::io::BufWriter::new(std::io::stdout()),
            line: String::new(),
        }
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
    }

    fn run_script(&mut self, f: Value) -> Result<Value, RuntimeError> {
        self.push(f);
        // SAFETY: `compile` returns a function value.
        let function = unsafe { as_obj::<Function>(f) };
        let closure = new_closure(function, &[]);
        self.pop();
        self.push(closure);
        // SAFETY: `new_closure` returns a closure value; it stays in stack slot 0.
        let c = unsafe { as_obj::<Closure>(closure) };
        self.call(c, 0).map_err(|msg| self.runtime_error(msg))?;
        self.run_to_end()
    }

    fn run_to_end(&mut self) -> Result<Value, RuntimeError> {
        let r = self.run();
        if r.is_err() {
            // Nothing may point into a stack that is going away.
            self.close_upvalues(self.stack_base);
        }
        r
    }

    #[inline(always)]
    fn push(&mut self, v: Value) {
        debug_assert!(self.sp < self.stack_end);
        // SAFETY: below `stack_end`: the pushes outside `run` are at the script's start and
        // a native's result after popping its arguments; `run`'s `push!` checks.
        unsafe {
            *self.sp = v;
            self.sp = self.sp.add(1);
        }
    }

    #[inline(always)]
    fn pop(&mut self) -> Value {
        // SAFETY: the compiler emits balanced code: a pop never goes below the frame's base.
        unsafe {
            self.sp = self.sp.sub(1);
            *self.sp
        }
    }

    #[inline(always)]
    fn peek(&self, n: usize) -> Value {
        // SAFETY: as `pop`: the code only peeks at values it pushed.
        unsafe { *self.sp.sub(n + 1) }
    }

    #[inline(always)]
    fn set_peek(&mut self, n: usize, v: Value) {
        // SAFETY: as `peek`.
        unsafe { *self.sp.sub(n + 1) = v }
    }

    fn runtime_error(&mut self, msg: String) -> RuntimeError {
        self.flush();
        let mut s = msg;
        s.push('\n');
        for i in (0..self.frame_count).rev() {
            let fr = self.frames[i];
            // SAFETY: every live frame's closure is in its slot 0.
            let function = unsafe { &*fr.closure }.function;
            let at = fr.ip as usize - function.code.as_ptr() as usize - 1;
            let line = function.lines[at.min(function.lines.len() - 1)];
            if function.name.is_nil() {
                s.push_str(&format!("[line {line}] in script\n"));
            } else {
                // SAFETY: a function's name is nil or a string.
                s.push_str(&format!("[line {line}] in {}()\n", unsafe { as_str(function.name) }));
            }
        }
        eprint!("{s}");
        FAILED.store(true, Ordering::Relaxed);
        RuntimeError
    }

    /// Pushes a frame for `closure` called with `argc` arguments (on the stack).
    #[inline(always)]
    fn call(&mut self, closure: Gc<Closure>, argc: usize) -> Result<(), String> {
        let arity = closure.function.arity as usize;
        if argc != arity || self.frame_count == FRAMES_MAX {
            return Err(call_error(arity, argc));
        }
        // SAFETY: the callee and its arguments are on the stack.
        let slots = unsafe { self.sp.sub(argc + 1) };
        self.frames[self.frame_count] = Frame { closure: closure.as_ptr(), ip: closure.function.code.as_ptr(), slots };
        self.frame_count += 1;
        Ok(())
    }

    #[inline(always)]
    fn call_value(&mut self, callee: Value, argc: usize) -> Result<(), String> {
        match callee.kind() {
            Some(Kind::BoundMethod) => {
                // SAFETY: the kind byte names the object's type; the callee is on the stack.
                let b = unsafe { as_obj::<BoundMethod>(callee) };
                self.set_peek(argc, b.receiver);
                self.call(b.method, argc)
            }
            Some(Kind::Class) => {
                // SAFETY: as above.
                let class = unsafe { as_obj::<Class>(callee) };
                let inst = new_instance(class);
                self.set_peek(argc, inst);
                if let Some(init) = class.methods.get(self.shared.init) {
                    // SAFETY: methods are closures.
                    self.call(unsafe { as_obj::<Closure>(init) }, argc)
                } else if argc != 0 {
                    Err(format!("Expected 0 arguments but got {argc}."))
                } else {
                    Ok(())
                }
            }
            // SAFETY: the kind byte names the object's type; the callee is on the stack.
            Some(Kind::Closure) => self.call(unsafe { as_obj::<Closure>(callee) }, argc),
            Some(Kind::Native) => {
                // SAFETY: as above.
                let n = unsafe { as_obj::<Native>(callee) };
                let r = self.call_native(n.f, argc)?;
                // SAFETY: the callee and its arguments are on the stack.
                self.sp = unsafe { self.sp.sub(argc + 1) };
                self.push(r);
                Ok(())
            }
            _ => Err("Can only call functions and classes.".to_string()),
        }
    }

    #[inline(always)]
    fn invoke_from_class(&mut self, class: Gc<Class>, name: Value, argc: usize) -> Result<(), String> {
        match class.methods.get(name) {
            // SAFETY: methods are closures.
            Some(m) => self.call(unsafe { as_obj::<Closure>(m) }, argc),
            // SAFETY: property names are strings.
            None => Err(format!("Undefined property '{}'.", unsafe { as_str(name) })),
        }
    }

    #[inline(always)]
    fn invoke(&mut self, name: Value, argc: usize) -> Result<(), String> {
        let receiver = self.peek(argc);
        if !receiver.is(Kind::Instance) {
            if receiver.is(Kind::Handle) || receiver.is(Kind::Channel) {
                self.flush();
                let r = self.native_method(receiver, name, argc)?;
                // SAFETY: the receiver and its arguments are on the stack.
                self.sp = unsafe { self.sp.sub(argc + 1) };
                self.push(r);
                return Ok(());
            }
            return Err("Only instances have methods.".to_string());
        }
        // SAFETY: checked just above.
        let inst = unsafe { as_obj::<Instance>(receiver) };
        if let Some(v) = inst.fields.get(name) {
            self.set_peek(argc, v);
            return self.call_value(v, argc);
        }
        self.invoke_from_class(inst.class, name, argc)
    }

    fn bind_method(&mut self, class: Gc<Class>, name: Value) -> Result<(), String> {
        let Some(m) = class.methods.get(name) else {
            // SAFETY: property names are strings.
            return Err(format!("Undefined property '{}'.", unsafe { as_str(name) }));
        };
        // SAFETY: methods are closures.
        let bound = new_bound_method(self.peek(0), unsafe { as_obj::<Closure>(m) });
        self.set_peek(0, bound);
        Ok(())
    }

    fn capture_upvalue(&mut self, slot: *mut Value) -> Gc<Upvalue> {
        let mut prev: Option<Gc<Upvalue>> = None;
        let mut up = self.open_upvalues;
        while let Some(u) = up {
            let at = u.open.load(Ordering::Relaxed);
            if at <= slot as usize {
                if at == slot as usize {
                    return u;
                }
                break;
            }
            prev = Some(u);
            up = u.next.get();
        }
        let created = new_upvalue(self.id, slot, up);
        match prev {
            None => self.open_upvalues = Some(created),
            Some(p) => p.next.set(Some(created)),
        }
        created
    }

    /// Closes every open upvalue at or above `last`.
    #[inline(always)]
    fn close_upvalues(&mut self, last: *mut Value) {
        if let Some(u) = self.open_upvalues {
            if u.open.load(Ordering::Relaxed) >= last as usize {
                self.close_upvalues_slow(last);
            }
        }
    }

    #[inline(never)]
    fn close_upvalues_slow(&mut self, last: *mut Value) {
        while let Some(u) = self.open_upvalues {
            let at = u.open.load(Ordering::Relaxed);
            if at < last as usize {
                break;
            }
            // SAFETY: an open upvalue's slot is on this VM's stack, below `sp`.
            u.closed.set(unsafe { *(at as *const Value) });
            u.open.store(0, Ordering::Relaxed);
            self.open_upvalues = u.next.get();
            u.next.set(None);
        }
    }

    /// Stores `v` in the variable `u`; false if it is open on another VM's stack.
    #[inline(always)]
    fn set_upvalue(&self, u: Gc<Upvalue>, v: Value) -> bool {
        let p = u.open.load(Ordering::Relaxed);
        if p == 0 {
            u.closed.set(v);
            return true;
        }
        if u.owner != self.id {
            return false;
        }
        // SAFETY: see `Upvalue::get`: the slot is on our own stack, live while the upvalue is
        // open; our own stack needs no barrier.
        unsafe { *(p as *mut Value) = v };
        true
    }

    fn print(&mut self, v: Value) {
        self.line.clear();
        print_value(v, &mut self.line);
        self.line.push('\n');
        let _ = self.out.write_all(self.line.as_bytes());
    }

    fn concatenate(&mut self) {
        let (b, a) = (self.peek(0), self.peek(1));
        // SAFETY: both are strings (checked by the caller) and on the stack.
        let (sa, sb) = unsafe { (as_str(a), as_str(b)) };
        let mut s = String::with_capacity(sa.len() + sb.len());
        s.push_str(sa);
        s.push_str(sb);
        let v = intern(&s);
        self.pop();
        self.set_peek(0, v);
    }

    fn run(&mut self) -> Result<Value, RuntimeError> {
        let mut fr = self.frames[self.frame_count - 1];
        let mut ip = fr.ip;
        // SAFETY: the frame's closure is in its slot 0.
        let mut consts = unsafe { &*fr.closure }.function.constants.as_ptr();
        macro_rules! byte {
            () => {{
                // SAFETY: `ip` stays inside the function's code: the compiler ends every
                // function with a return, and jumps land on instructions.
                let b = unsafe { *ip };
                // SAFETY: as above: at most one past the function's last byte.
                ip = unsafe { ip.add(1) };
                b
            }};
        }
        macro_rules! short {
            () => {{
                let hi = byte!() as usize;
                (hi << 8) | byte!() as usize
            }};
        }
        macro_rules! constant {
            () => {{
                let i = byte!() as usize;
                // SAFETY: the compiler emits only indices of the chunk's constants.
                unsafe { *consts.add(i) }
            }};
        }
        macro_rules! reload {
            () => {{
                fr = self.frames[self.frame_count - 1];
                ip = fr.ip;
                // SAFETY: as above.
                consts = unsafe { &*fr.closure }.function.constants.as_ptr();
            }};
        }
        macro_rules! save {
            () => {
                self.frames[self.frame_count - 1].ip = ip;
            };
        }
        // The stack top lives in a local (a register) inside the loop; `self.sp` is brought up
        // to date around every call out that reads or moves it.
        let mut sp = self.sp;
        let stack_end = self.stack_end;
        macro_rules! pop {
            () => {{
                // SAFETY: as `Vm::pop`: the compiler emits balanced code.
                sp = unsafe { sp.sub(1) };
                // SAFETY: as above.
                let v: Value = unsafe { *sp };
                v
            }};
        }
        macro_rules! peek {
            ($n:expr) => {{
                // SAFETY: as `Vm::peek`.
                unsafe { *sp.sub($n + 1) }
            }};
        }
        macro_rules! set_peek {
            ($n:expr, $v:expr) => {{
                let v = $v;
                // SAFETY: as `Vm::peek`.
                unsafe { *sp.sub($n + 1) = v }
            }};
        }
        macro_rules! out {
            ($e:expr) => {{
                self.sp = sp;
                let r = $e;
                sp = self.sp;
                r
            }};
        }
        macro_rules! try_call {
            ($e:expr) => {{
                save!();
                if let Err(msg) = out!($e) {
                    return Err(self.runtime_error(msg));
                }
                reload!();
            }};
        }
        macro_rules! push {
            ($v:expr) => {{
                let v = $v;
                if sp == stack_end {
                    err!(self, ip, "Stack overflow.");
                }
                // SAFETY: below `stack_end`, checked just above.
                unsafe {
                    *sp = v;
                    sp = sp.add(1);
                }
            }};
        }
        macro_rules! num_op {
            ($op:tt, $wrap:expr) => {{
                let (b, a) = (peek!(0), peek!(1));
                if !a.is_number() || !b.is_number() {
                    err!(self, ip, "Operands must be numbers.");
                }
                pop!();
                set_peek!(0, $wrap(a.as_number() $op b.as_number()));
            }};
        }
        loop {
            let op = byte!();
            // SAFETY: every opcode byte was written from an `Op` by the compiler.
            match unsafe { Op::from_byte(op) } {
                Op::Constant => {
                    let v = constant!();
                    push!(v);
                }
                Op::Nil => push!(NIL),
                Op::True => push!(TRUE),
                Op::False => push!(FALSE),
                Op::Pop => {
                    pop!();
                }
                Op::GetLocal => {
                    let i = byte!() as usize;
                    // SAFETY: the compiler resolves locals to slots of the current frame.
                    let v = unsafe { *fr.slots.add(i) };
                    push!(v);
                }
                Op::SetLocal => {
                    let i = byte!() as usize;
                    // SAFETY: as above.
                    let v = peek!(0);
                    // SAFETY: as above.
                    unsafe { *fr.slots.add(i) = v };
                }
                Op::GetGlobal => {
                    let name = constant!();
                    match self.shared.globals.get(name) {
                        Some(v) => push!(v),
                        // SAFETY: global names are strings.
                        None => err!(self, ip, "Undefined variable '{}'.", unsafe { as_str(name) }),
                    }
                }
                Op::DefineGlobal => {
                    let name = constant!();
                    self.shared.globals.set(name, peek!(0));
                    pop!();
                }
                Op::SetGlobal => {
                    let name = constant!();
                    if self.shared.globals.get(name).is_none() {
                        // SAFETY: global names are strings.
                        err!(self, ip, "Undefined variable '{}'.", unsafe { as_str(name) });
                    }
                    self.shared.globals.set(name, peek!(0));
                }
                Op::GetUpvalue => {
                    let i = byte!() as usize;
                    // SAFETY: the frame's closure is alive (slot 0); the compiler emits
                    // indices below its upvalue count.
                    let v = unsafe { (&*fr.closure).upvalues.get_unchecked(i) }.get(self.id);
                    let Some(v) = v else { err!(self, ip, "{}", foreign_variable()) };
                    push!(v);
                }
                Op::SetUpvalue => {
                    let i = byte!() as usize;
                    // SAFETY: as above.
                    let u = *unsafe { (&*fr.closure).upvalues.get_unchecked(i) };
                    if !self.set_upvalue(u, peek!(0)) {
                        err!(self, ip, "{}", foreign_variable());
                    }
                }
                Op::GetProperty => {
                    let receiver = peek!(0);
                    if !receiver.is(Kind::Instance) {
                        err!(self, ip, "Only instances have properties.");
                    }
                    // SAFETY: checked just above.
                    let inst = unsafe { as_obj::<Instance>(receiver) };
                    let name = constant!();
                    if let Some(v) = inst.fields.get(name) {
                        set_peek!(0, v);
                    } else {
                        try_call!(self.bind_method(inst.class, name));
                    }
                }
                Op::SetProperty => {
                    let target = peek!(1);
                    if !target.is(Kind::Instance) {
                        err!(self, ip, "Only instances have fields.");
                    }
                    // SAFETY: checked just above.
                    let inst = unsafe { as_obj::<Instance>(target) };
                    let name = constant!();
                    save!();
                    inst.fields.set(name, peek!(0));
                    let v = pop!();
                    set_peek!(0, v);
                }
                Op::GetSuper => {
                    let name = constant!();
                    // SAFETY: the compiler loads `super`, a class, just before.
                    let class = pop!();
                    // SAFETY: see the comment above.
                    let class = unsafe { as_obj::<Class>(class) };
                    try_call!(self.bind_method(class, name));
                }
                Op::Equal => {
                    let b = pop!();
                    let a = peek!(0);
                    set_peek!(0, Value::bool(a.equals(b)));
                }
                Op::Greater => num_op!(>, Value::bool),
                Op::Less => num_op!(<, Value::bool),
                Op::Add => {
                    let (b, a) = (peek!(0), peek!(1));
                    if a.is_number() && b.is_number() {
                        pop!();
                        set_peek!(0, Value::num(a.as_number() + b.as_number()));
                    } else if a.is(Kind::String) && b.is(Kind::String) {
                        save!();
                        out!(self.concatenate());
                    } else {
                        err!(self, ip, "Operands must be two numbers or two strings.");
                    }
                }
                Op::Subtract => num_op!(-, Value::num),
                Op::Multiply => num_op!(*, Value::num),
                Op::Divide => num_op!(/, Value::num),
                Op::Not => {
                    let v = peek!(0);
                    set_peek!(0, Value::bool(v.is_falsey()));
                }
                Op::Negate => {
                    let v = peek!(0);
                    if !v.is_number() {
                        err!(self, ip, "Operand must be a number.");
                    }
                    set_peek!(0, Value::num(-v.as_number()));
                }
                Op::Print => {
                    let v = pop!();
                    self.print(v);
                }
                Op::Jump => {
                    let off = short!();
                    // SAFETY: the compiler's jumps land inside the function's code.
                    ip = unsafe { ip.add(off) };
                }
                Op::JumpIfFalse => {
                    let off = short!();
                    if peek!(0).is_falsey() {
                        // SAFETY: as above.
                        ip = unsafe { ip.add(off) };
                    }
                }
                Op::Loop => {
                    let off = short!();
                    // SAFETY: as above.
                    ip = unsafe { ip.sub(off) };
                    tricolor_runtime::safepoint();
                }
                Op::Call => {
                    let argc = byte!() as usize;
                    try_call!(self.call_value(peek!(argc), argc));
                }
                Op::Invoke => {
                    let name = constant!();
                    let argc = byte!() as usize;
                    try_call!(self.invoke(name, argc));
                }
                Op::SuperInvoke => {
                    let name = constant!();
                    let argc = byte!() as usize;
                    // SAFETY: the compiler loads `super`, a class, just before.
                    let class = pop!();
                    // SAFETY: see the comment above.
                    let class = unsafe { as_obj::<Class>(class) };
                    try_call!(self.invoke_from_class(class, name, argc));
                }
                Op::Closure => {
                    let f = constant!();
                    // SAFETY: the compiler emits a function constant here.
                    let function = unsafe { as_obj::<Function>(f) };
                    let n = function.upvalue_count as usize;
                    let mut ups: [Option<Gc<Upvalue>>; 256] = [None; 256];
                    save!();
                    for u in ups.iter_mut().take(n) {
                        let is_local = byte!();
                        let index = byte!() as usize;
                        *u = Some(if is_local != 0 {
                            // SAFETY: a local of the current frame.
                            self.capture_upvalue(unsafe { fr.slots.add(index) })
                        } else {
                            // SAFETY: the enclosing closure has that upvalue.
                            unsafe { *(&*fr.closure).upvalues.get_unchecked(index) }
                        });
                    }
                    let c = new_closure(function, &ups[..n]);
                    push!(c);
                }
                Op::CloseUpvalue => {
                    // SAFETY: the top of the stack is the slot being closed.
                    self.close_upvalues(unsafe { sp.sub(1) });
                    pop!();
                }
                Op::Return => {
                    let result = pop!();
                    self.close_upvalues(fr.slots);
                    self.frame_count -= 1;
                    if self.frame_count == 0 {
                        pop!();
                        self.sp = sp;
                        return Ok(result);
                    }
                    sp = fr.slots;
                    push!(result);
                    reload!();
                }
                Op::Class => {
                    let name = constant!();
                    save!();
                    let c = new_class(name);
                    push!(c);
                }
                Op::Inherit => {
                    let sup = peek!(1);
                    if !sup.is(Kind::Class) {
                        err!(self, ip, "Superclass must be a class.");
                    }
                    save!();
                    // SAFETY: checked just above; the compiler puts the new class on top.
                    let sub = peek!(0);
                    // SAFETY: see the comment above.
                    let (sup, sub) = unsafe { (as_obj::<Class>(sup), as_obj::<Class>(sub)) };
                    sub.methods.add_all(&sup.methods);
                    pop!();
                }
                Op::Method => {
                    let name = constant!();
                    save!();
                    // SAFETY: the compiler puts the class under the method's closure.
                    let class = peek!(1);
                    // SAFETY: see the comment above.
                    let class = unsafe { as_obj::<Class>(class) };
                    class.methods.set(name, peek!(0));
                    pop!();
                }
            }
        }
    }
}
