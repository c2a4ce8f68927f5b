//! The single-pass compiler: clox's `compiler.c` (a Pratt parser emitting bytecode as it
//! goes), with clox's error messages and panic-mode recovery. In-progress functions keep their
//! constants in `RootedVec`s: they hold strings and nested functions before any heap object
//! refers to them, in Rust memory the collector does not scan otherwise.

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

    // --- expressions -----------------------------------------------------------------------

    fn rule(kind: T) -> (Option<ParseFn<'s>>, Option<ParseFn<'s>>, Prec) {
        use T::*;
        match kind {
            LeftParen => (Some(Self::grouping), Some(Self::call), Prec::Call),
            Dot => (None, Some(Self::dot), Prec::Call),
            Minus => (Some(Self::unary), Some(Self::binary), Prec::Term),
            Plus => (None, Some(Self::binary), Prec::Term),
            Slash | Star => (None, Some(Self::binary), Prec::Factor),
            Bang => (Some(Self::unary), None, Prec::None),
            BangEqual | EqualEqual => (None, Some(Self::binary), Prec::Equality),
            Greater | GreaterEqual | Less | LessEqual => (None, Some(Self::binary), Prec::Comparison),
            Identifier => (Some(Self::variable), None, Prec::None),
            String => (Some(Self::string), None, Prec::None),
            Number => (Some(Self::number), None, Prec::None),
            And => (None, Some(Self::and), Prec::And),
            Or => (None, Some(Self::or), Prec::Or),
            False | True | Nil => (Some(Self::literal), None, Prec::None),
            Super => (Some(Self::super_), None, Prec::None),
            This => (Some(Self::this), None, Prec::None),
            _ => (None, None, Prec::None),
        }
    }

    fn parse_precedence(&mut self, prec: Prec) {
        if !self.nest() {
            return;
        }
        self.advance();
        let Some(prefix) = Self::rule(self.previous.kind).0 else {
            self.error("Expect expression.");
            self.depth -= 1;
            return;
        };
        let can_assign = prec <= Prec::Assignment;
        prefix(self, can_assign);
        while prec <= Self::rule(self.current.kind).2 {
            self.advance();
            let infix = Self::rule(self.previous.kind).1.expect("a rule with a precedence has an infix");
            infix(self, can_assign);
        }
        if can_assign && self.matches(T::Equal) {
            self.error("Invalid assignment target.");
        }
        self.depth -= 1;
    }

    fn expression(&mut self) {
        self.parse_precedence(Prec::Assignment);
    }

    fn grouping(&mut self, _: bool) {
        self.expression();
        self.consume(T::RightParen, "Expect ')' after expression.");
    }

    fn number(&mut self, _: bool) {
        let n: f64 = self.previous.text.parse().expect("the scanner makes valid numbers");
        self.emit_constant(Value::num(n));
    }

    fn string(&mut self, _: bool) {
        let t = self.previous.text;
        let v = intern(&t[1..t.len() - 1]);
        self.emit_constant(v);
    }

    fn literal(&mut self, _: bool) {
        match self.previous.kind {
            T::False => self.emit_op(Op::False),
            T::True => self.emit_op(Op::True),
            _ => self.emit_op(Op::Nil),
        }
    }

    fn variable(&mut self, can_assign: bool) {
        self.named_variable(self.previous.text, can_assign);
    }

    fn unary(&mut self, _: bool) {
        let op = self.previous.kind;
        self.parse_precedence(Prec::Unary);
        self.emit_op(if op == T::Minus { Op::Negate } else { Op::Not });
    }

    fn binary(&mut self, _: bool) {
        let op = self.previous.kind;
        self.parse_precedence(Self::rule(op).2.next());
        match op {
            T::BangEqual => {
                self.emit_op(Op::Equal);
                self.emit_op(Op::Not);
            }
            T::EqualEqual => self.emit_op(Op::Equal),
            T::Greater => self.emit_op(Op::Greater),
            T::GreaterEqual => {
                self.emit_op(Op::Less);
                self.emit_op(Op::Not);
            }
            T::Less => self.emit_op(Op::Less),
            T::LessEqual => {
                self.emit_op(Op::Greater);
                self.emit_op(Op::Not);
            }
            T::Plus => self.emit_op(Op::Add),
            T::Minus => self.emit_op(Op::Subtract),
            T::Star => self.emit_op(Op::Multiply),
            _ => self.emit_op(Op::Divide),
        }
    }

    fn and(&mut self, _: bool) {
        let end = self.emit_jump(Op::JumpIfFalse);
        self.emit_op(Op::Pop);
        self.parse_precedence(Prec::And);
        self.patch_jump(end);
    }

    fn or(&mut self, _: bool) {
        let else_jump = self.emit_jump(Op::JumpIfFalse);
        let end = self.emit_jump(Op::Jump);
        self.patch_jump(else_jump);
        self.emit_op(Op::Pop);
        self.parse_precedence(Prec::Or);
        self.patch_jump(end);
    }

    fn argument_list(&mut self) -> u8 {
        let mut n: usize = 0;
        if !self.check(T::RightParen) {
            loop {
                self.expression();
                if n == 255 {
                    self.error("Can't have more than 255 arguments.");
                }
                n += 1;
                if !self.matches(T::Comma) {
                    break;
                }
            }
        }
        self.consume(T::RightParen, "Expect ')' after arguments.");
        n.min(255) as u8
    }

    fn call(&mut self, _: bool) {
        let n = self.argument_list();
        self.emit2(Op::Call, n);
    }

    fn dot(&mut self, can_assign: bool) {
        self.consume(T::Identifier, "Expect property name after '.'.");
        let name = self.identifier_constant(self.previous.text);
        if can_assign && self.matches(T::Equal) {
            self.expression();
            self.emit2(Op::SetProperty, name);
        } else if self.matches(T::LeftParen) {
            let n = self.argument_list();
            self.emit2(Op::Invoke, name);
            self.emit(n);
        } else {
            self.emit2(Op::GetProperty, name);
        }
    }

    fn this(&mut self, _: bool) {
        if self.classes.is_empty() {
            self.error("Can't use 'this' outside of a class.");
            return;
        }
        self.variable(false);
    }

    fn super_(&mut self, _: bool) {
        match self.classes.last() {
            None => self.error("Can't use 'super' outside of a class."),
            Some(c) if !c.has_superclass => self.error("Can't use 'super' in a class with no superclass."),
            _ => {}
        }
        self.consume(T::Dot, "Expect '.' after 'super'.");
        self.consume(T::Identifier, "Expect superclass method name.");
        let name = self.identifier_constant(self.previous.text);
        self.named_variable("this", false);
        if self.matches(T::LeftParen) {
            let n = self.argument_list();
            self.named_variable("super", false);
            self.emit2(Op::SuperInvoke, name);
            self.emit(n);
        } else {
            self.named_variable("super", false);
            self.emit2(Op::GetSuper, name);
        }
    }

    // --- statements ------------------------------------------------------------------------

    fn declaration(&mut self) {
        if !self.nest() {
            return;
        }
        if self.matches(T::Class) {
            self.class_declaration();
        } else if self.matches(T::Fun) {
            self.fun_declaration();
        } else if self.matches(T::Var) {
            self.var_declaration();
        } else {
            self.statement();
        }
        if self.panic_mode {
            self.synchronize();
        }
        self.depth -= 1;
    }

    fn block(&mut self) {
        while !self.check(T::RightBrace) && !self.check(T::Eof) {
            self.declaration();
        }
        self.consume(T::RightBrace, "Expect '}' after block.");
    }

    fn function(&mut self, kind: FnType) {
        let name = self.previous.text;
        self.fns.push(FnState::new(kind, name));
        self.begin_scope();
        self.consume(T::LeftParen, "Expect '(' after function name.");
        if !self.check(T::RightParen) {
            loop {
                if self.f().arity == 255 {
                    self.error_at_current("Can't have more than 255 parameters.");
                } else {
                    self.f().arity += 1;
                }
                let c = self.parse_variable("Expect parameter name.");
                self.define_variable(c);
                if !self.matches(T::Comma) {
                    break;
                }
            }
        }
        self.consume(T::RightParen, "Expect ')' after parameters.");
        self.consume(T::LeftBrace, "Expect '{' before function body.");
        self.block();
        let (f, upvalues) = self.end_function();
        let c = self.make_constant(f);
        self.emit2(Op::Closure, c);
        for (index, is_local) in upvalues {
            self.emit(is_local as u8);
            self.emit(index);
        }
    }

    fn method(&mut self) {
        self.consume(T::Identifier, "Expect method name.");
        let name = self.previous.text;
        let c = self.identifier_constant(name);
        let kind = if name == "init" { FnType::Initializer } else { FnType::Method };
        self.function(kind);
        self.emit2(Op::Method, c);
    }

    fn class_declaration(&mut self) {
        self.consume(T::Identifier, "Expect class name.");
        let class_name = self.previous.text;
        let name = self.identifier_constant(class_name);
        self.declare_variable();
        self.emit2(Op::Class, name);
        self.define_variable(name);
        self.classes.push(ClassState { has_superclass: false });
        if self.matches(T::Less) {
            self.consume(T::Identifier, "Expect superclass name.");
            self.variable(false);
            if class_name == self.previous.text {
                self.error("A class can't inherit from itself.");
            }
            self.begin_scope();
            self.add_local("super");
            self.define_variable(0);
            self.named_variable(class_name, false);
            self.emit_op(Op::Inherit);
            self.classes.last_mut().expect("a class").has_superclass = true;
        }
        self.named_variable(class_name, false);
        self.consume(T::LeftBrace, "Expect '{' before class body.");
        while !self.check(T::RightBrace) && !self.check(T::Eof) {
            self.method();
        }
        self.consume(T::RightBrace, "Expect '}' after class body.");
        self.emit_op(Op::Pop);
        if self.classes.pop().expect("a class").has_superclass {
            self.end_scope();
        }
    }

    fn fun_declaration(&mut self) {
        let global = self.parse_variable("Expect function name.");
        self.mark_initialized();
        self.function(FnType::Function);
        self.define_variable(global);
    }

    fn var_declaration(&mut self) {
        let global = self.parse_variable("Expect variable name.");
        if self.matches(T::Equal) {
            self.expression();
        } else {
            self.emit_op(Op::Nil);
        }
        self.consume(T::Semicolon, "Expect ';' after variable declaration.");
        self.define_variable(global);
    }

    fn expression_statement(&mut self) {
        self.expression();
        self.consume(T::Semicolon, "Expect ';' after expression.");
        self.emit_op(Op::Pop);
    }

    fn for_statement(&mut self) {
        self.begin_scope();
        self.consume(T::LeftParen, "Expect '(' after 'for'.");
        if self.matches(T::Semicolon) {
        } else if self.matches(T::Var) {
            self.var_declaration();
        } else {
            self.expression_statement();
        }
        let mut loop_start = self.f().code.len();
        let mut exit = None;
        if !self.matches(T::Semicolon) {
            self.expression();
            self.consume(T::Semicolon, "Expect ';' after loop condition.");
            exit = Some(self.emit_jump(Op::JumpIfFalse));
            self.emit_op(Op::Pop);
        }
        if !self.matches(T::RightParen) {
            let body = self.emit_jump(Op::Jump);
            let inc_start = self.f().code.len();
            self.expression();
            self.emit_op(Op::Pop);
            self.consume(T::RightParen, "Expect ')' after for clauses.");
            self.emit_loop(loop_start);
            loop_start = inc_start;
            self.patch_jump(body);
        }
        self.statement();
        self.emit_loop(loop_start);
        if let Some(exit) = exit {
            self.patch_jump(exit);
            self.emit_op(Op::Pop);
        }
        self.end_scope();
    }

    fn if_statement(&mut self) {
        self.consume(T::LeftParen, "Expect '(' after 'if'.");
        self.expression();
        self.consume(T::RightParen, "Expect ')' after condition.");
        let then = self.emit_jump(Op::JumpIfFalse);
        self.emit_op(Op::Pop);
        self.statement();
        let else_jump = self.emit_jump(Op::Jump);
        self.patch_jump(then);
        self.emit_op(Op::Pop);
        if self.matches(T::Else) {
            self.statement();
        }
        self.patch_jump(else_jump);
    }

    fn print_statement(&mut self) {
        self.expression();
        self.consume(T::Semicolon, "Expect ';' after value.");
        self.emit_op(Op::Print);
    }

    fn return_statement(&mut self) {
        if self.f().kind == FnType::Script {
            self.error("Can't return from top-level code.");
        }
        if self.matches(T::Semicolon) {
            self.emit_return();
        } else {
            if self.f().kind == FnType::Initializer {
                self.error("Can't return a value from an initializer.");
            }
            self.expression();
            self.consume(T::Semicolon, "Expect ';' after return value.");
            self.emit_op(Op::Return);
        }
    }

    fn while_statement(&mut self) {
        let loop_start = self.f().code.len();
        self.consume(T::LeftParen, "Expect '(' after 'while'.");
        self.expression();
        self.consume(T::RightParen, "Expect ')' after condition.");
        let exit = self.emit_jump(Op::JumpIfFalse);
        self.emit_op(Op::Pop);
        self.statement();
        self.emit_loop(loop_start);
        self.patch_jump(exit);
        self.emit_op(Op::Pop);
    }

    fn statement(&mut self) {
        if !self.nest() {
            return;
        }
        if self.matches(T::Print) {
            self.print_statement();
        } else if self.matches(T::For) {
            self.for_statement();
        } else if self.matches(T::If) {
            self.if_statement();
        } else if self.matches(T::Return) {
            self.return_statement();
        } else if self.matches(T::While) {
            self.while_statement();
        } else if self.matches(T::LeftBrace) {
            self.begin_scope();
            self.block();
            self.end_scope();
        } else {
            self.expression_statement();
        }
        self.depth -= 1;
    }
}
