//! The single-pass compiler: clox's `compiler.c` (a Pratt parser emitting bytecode as it
//! goes), with clox's error messages and panic-mode recovery. In-progress functions keep their
//! constants in `RootedVec`s: they hold strings and nested functions before any heap object
//! refers to them, in Rust memory the collector does not scan otherwise.

mod expr;
mod stmt;

use crate::chunk::Op;
use crate::object::{intern, new_function};
use crate::scanner::{Scanner, Token, T};
use crate::value::{Value, NIL};
use tricolor_gc::RootedVec;

/// The deepest nesting of expressions and statements the compiler accepts: its recursion
/// stays far inside a goroutine stack (see `main.rs`), whatever the input.
pub const MAX_NESTING: u32 = 256;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    None,
    Assignment,
    Or,
    And,
    Equality,
    Comparison,
    Term,
    Factor,
    Unary,
    Call,
    Primary,
}

impl Prec {
    fn next(self) -> Prec {
        use Prec::*;
        match self {
            None => Assignment,
            Assignment => Or,
            Or => And,
            And => Equality,
            Equality => Comparison,
            Comparison => Term,
            Term => Factor,
            Factor => Unary,
            Unary => Call,
            Call | Primary => Primary,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FnType {
    Function,
    Initializer,
    Method,
    Script,
}

struct Local<'s> {
    name: &'s str,
    depth: i32,
    captured: bool,
}

struct FnState<'s> {
    kind: FnType,
    name: &'s str,
    arity: u8,
    code: Vec<u8>,
    lines: Vec<u32>,
    constants: RootedVec<Value>,
    locals: Vec<Local<'s>>,
    upvalues: Vec<(u8, bool)>,
    scope_depth: i32,
}

impl<'s> FnState<'s> {
    fn new(kind: FnType, name: &'s str) -> FnState<'s> {
        // Slot 0 holds the callee: `this` in methods, unnamed otherwise.
        let slot0 = if kind == FnType::Function || kind == FnType::Script { "" } else { "this" };
        FnState {
            kind,
            name,
            arity: 0,
            code: Vec::new(),
            lines: Vec::new(),
            constants: RootedVec::new(),
            locals: vec![Local { name: slot0, depth: 0, captured: false }],
            upvalues: Vec::new(),
            scope_depth: 0,
        }
    }
}

struct ClassState {
    has_superclass: bool,
}

pub struct Compiler<'s> {
    scanner: Scanner<'s>,
    current: Token<'s>,
    previous: Token<'s>,
    had_error: bool,
    panic_mode: bool,
    fns: Vec<FnState<'s>>,
    classes: Vec<ClassState>,
    depth: u32,
}

/// Compiles `src` to the top-level function, or reports its errors on stderr and returns
/// `None` (exit code 65).
pub fn compile(src: &str) -> Option<Value> {
    let eof = Token { kind: T::Eof, text: "", line: 1 };
    let mut c = Compiler {
        scanner: Scanner::new(src),
        current: eof,
        previous: eof,
        had_error: false,
        panic_mode: false,
        fns: vec![FnState::new(FnType::Script, "")],
        classes: Vec::new(),
        depth: 0,
    };
    c.advance();
    while !c.matches(T::Eof) {
        c.declaration();
    }
    let (f, _) = c.end_function();
    if c.had_error {
        None
    } else {
        Some(f)
    }
}

type ParseFn<'s> = fn(&mut Compiler<'s>, bool);

impl<'s> Compiler<'s> {
    // --- tokens and errors -----------------------------------------------------------------

    fn advance(&mut self) {
        self.previous = self.current;
        loop {
            self.current = self.scanner.scan();
            if self.current.kind != T::Error {
                break;
            }
            let msg = self.current.text;
            self.error_at_current(msg);
        }
    }

    fn consume(&mut self, kind: T, msg: &str) {
        if self.current.kind == kind {
            self.advance();
        } else {
            self.error_at_current(msg);
        }
    }

    fn check(&self, kind: T) -> bool {
        self.current.kind == kind
    }

    fn matches(&mut self, kind: T) -> bool {
        if !self.check(kind) {
            return false;
        }
        self.advance();
        true
    }

    fn error_at(&mut self, tok: Token<'s>, msg: &str) {
        if self.panic_mode {
            return;
        }
        self.panic_mode = true;
        let at = match tok.kind {
            T::Eof => " at end".to_string(),
            T::Error => String::new(),
            _ => format!(" at '{}'", tok.text),
        };
        eprintln!("[line {}] Error{at}: {msg}", tok.line);
        self.had_error = true;
    }

    fn error(&mut self, msg: &str) {
        self.error_at(self.previous, msg);
    }

    fn error_at_current(&mut self, msg: &str) {
        self.error_at(self.current, msg);
    }

    fn synchronize(&mut self) {
        self.panic_mode = false;
        while self.current.kind != T::Eof {
            if self.previous.kind == T::Semicolon {
                return;
            }
            match self.current.kind {
                T::Class | T::Fun | T::Var | T::For | T::If | T::While | T::Print | T::Return => return,
                _ => self.advance(),
            }
        }
    }

    /// Enters one level of nesting; false (after an error) past `MAX_NESTING`.
    fn nest(&mut self) -> bool {
        if self.depth >= MAX_NESTING {
            self.error_at_current("Too much nesting.");
            // Skip the rest of the input: recovery inside a too-deep nest would recurse again.
            while self.current.kind != T::Eof {
                self.advance();
            }
            return false;
        }
        self.depth += 1;
        true
    }

    // --- emitting --------------------------------------------------------------------------

    fn f(&mut self) -> &mut FnState<'s> {
        self.fns.last_mut().expect("a function is being compiled")
    }

    fn emit(&mut self, b: u8) {
        let line = self.previous.line;
        let f = self.f();
        f.code.push(b);
        f.lines.push(line);
    }

    fn emit_op(&mut self, op: Op) {
        self.emit(op as u8);
    }

    fn emit2(&mut self, op: Op, b: u8) {
        self.emit(op as u8);
        self.emit(b);
    }

    fn emit_loop(&mut self, start: usize) {
        self.emit_op(Op::Loop);
        let offset = self.f().code.len() - start + 2;
        if offset > u16::MAX as usize {
            self.error("Loop body too large.");
        }
        self.emit((offset >> 8) as u8);
        self.emit(offset as u8);
    }

    fn emit_jump(&mut self, op: Op) -> usize {
        self.emit_op(op);
        self.emit(0xff);
        self.emit(0xff);
        self.f().code.len() - 2
    }

    fn patch_jump(&mut self, at: usize) {
        let jump = self.f().code.len() - at - 2;
        if jump > u16::MAX as usize {
            self.error("Too much code to jump over.");
        }
        let code = &mut self.f().code;
        code[at] = (jump >> 8) as u8;
        code[at + 1] = jump as u8;
    }

    fn emit_return(&mut self) {
        if self.f().kind == FnType::Initializer {
            self.emit2(Op::GetLocal, 0);
        } else {
            self.emit_op(Op::Nil);
        }
        self.emit_op(Op::Return);
    }

    fn make_constant(&mut self, v: Value) -> u8 {
        let consts = &mut self.f().constants;
        consts.push(v);
        let i = consts.len() - 1;
        if i > u8::MAX as usize {
            self.error("Too many constants in one chunk.");
            return 0;
        }
        i as u8
    }

    fn emit_constant(&mut self, v: Value) {
        let c = self.make_constant(v);
        self.emit2(Op::Constant, c);
    }

    /// Finishes the innermost function: its value and its upvalues' descriptors.
    fn end_function(&mut self) -> (Value, Vec<(u8, bool)>) {
        self.emit_return();
        let f = self.fns.pop().expect("a function is being compiled");
        let name = if f.kind == FnType::Script { NIL } else { intern(f.name) };
        // `name` is a local (seen by the stack scan) and the constants are rooted while the
        // function's arrays are allocated.
        let v = new_function(f.arity, f.upvalues.len() as u8, name, &f.code, &f.lines, f.constants.as_slice());
        (v, f.upvalues)
    }

    // --- variables -------------------------------------------------------------------------

    fn identifier_constant(&mut self, name: &str) -> u8 {
        let v = intern(name);
        self.make_constant(v)
    }

    fn resolve_local(&mut self, fi: usize, name: &str) -> Option<u8> {
        let f = &self.fns[fi];
        for (i, l) in f.locals.iter().enumerate().rev() {
            if l.name == name {
                if l.depth == -1 {
                    self.error("Can't read local variable in its own initializer.");
                }
                return Some(i as u8);
            }
        }
        None
    }

    fn add_upvalue(&mut self, fi: usize, index: u8, is_local: bool) -> u8 {
        let ups = &self.fns[fi].upvalues;
        if let Some(i) = ups.iter().position(|&u| u == (index, is_local)) {
            return i as u8;
        }
        if ups.len() == 256 {
            self.error("Too many closure variables in function.");
            return 0;
        }
        self.fns[fi].upvalues.push((index, is_local));
        (self.fns[fi].upvalues.len() - 1) as u8
    }

    fn resolve_upvalue(&mut self, fi: usize, name: &str) -> Option<u8> {
        if fi == 0 {
            return None;
        }
        if let Some(local) = self.resolve_local(fi - 1, name) {
            self.fns[fi - 1].locals[local as usize].captured = true;
            return Some(self.add_upvalue(fi, local, true));
        }
        if let Some(up) = self.resolve_upvalue(fi - 1, name) {
            return Some(self.add_upvalue(fi, up, false));
        }
        None
    }

    fn add_local(&mut self, name: &'s str) {
        if self.f().locals.len() == 256 {
            self.error("Too many local variables in function.");
            return;
        }
        self.f().locals.push(Local { name, depth: -1, captured: false });
    }

    fn declare_variable(&mut self) {
        if self.f().scope_depth == 0 {
            return;
        }
        let name = self.previous.text;
        let f = self.fns.last().expect("a function");
        let dup = f.locals.iter().rev().take_while(|l| l.depth == -1 || l.depth >= f.scope_depth).any(|l| l.name == name);
        if dup {
            self.error("Already a variable with this name in this scope.");
        }
        self.add_local(name);
    }

    fn parse_variable(&mut self, msg: &str) -> u8 {
        self.consume(T::Identifier, msg);
        self.declare_variable();
        if self.f().scope_depth > 0 {
            return 0;
        }
        let name = self.previous.text;
        self.identifier_constant(name)
    }

    fn mark_initialized(&mut self) {
        let f = self.f();
        if f.scope_depth == 0 {
            return;
        }
        let d = f.scope_depth;
        f.locals.last_mut().expect("a local").depth = d;
    }

    fn define_variable(&mut self, global: u8) {
        if self.f().scope_depth > 0 {
            self.mark_initialized();
            return;
        }
        self.emit2(Op::DefineGlobal, global);
    }

    fn named_variable(&mut self, name: &'s str, can_assign: bool) {
        let fi = self.fns.len() - 1;
        let (get, set, arg) = if let Some(i) = self.resolve_local(fi, name) {
            (Op::GetLocal, Op::SetLocal, i)
        } else if let Some(i) = self.resolve_upvalue(fi, name) {
            (Op::GetUpvalue, Op::SetUpvalue, i)
        } else {
            let i = self.identifier_constant(name);
            (Op::GetGlobal, Op::SetGlobal, i)
        };
        if can_assign && self.matches(T::Equal) {
            self.expression();
            self.emit2(set, arg);
        } else {
            self.emit2(get, arg);
        }
    }

    fn begin_scope(&mut self) {
        self.f().scope_depth += 1;
    }

    fn end_scope(&mut self) {
        self.f().scope_depth -= 1;
        loop {
            let f = self.f();
            let Some(l) = f.locals.last() else { break };
            if l.depth <= f.scope_depth {
                break;
            }
            let captured = l.captured;
            f.locals.pop();
            self.emit_op(if captured { Op::CloseUpvalue } else { Op::Pop });
        }
    }
}
