//! Declarations and statements: classes, functions, variables, control flow (clox's
//! `compiler.c`, statements half).

use super::*;

impl<'s> Compiler<'s> {
    // --- statements ------------------------------------------------------------------------

    pub(super) fn declaration(&mut self) {
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

    pub(super) fn block(&mut self) {
        while !self.check(T::RightBrace) && !self.check(T::Eof) {
            self.declaration();
        }
        self.consume(T::RightBrace, "Expect '}' after block.");
    }

    pub(super) fn function(&mut self, kind: FnType) {
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

    pub(super) fn method(&mut self) {
        self.consume(T::Identifier, "Expect method name.");
        let name = self.previous.text;
        let c = self.identifier_constant(name);
        let kind = if name == "init" { FnType::Initializer } else { FnType::Method };
        self.function(kind);
        self.emit2(Op::Method, c);
    }

    pub(super) fn class_declaration(&mut self) {
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

    pub(super) fn fun_declaration(&mut self) {
        let global = self.parse_variable("Expect function name.");
        self.mark_initialized();
        self.function(FnType::Function);
        self.define_variable(global);
    }

    pub(super) fn var_declaration(&mut self) {
        let global = self.parse_variable("Expect variable name.");
        if self.matches(T::Equal) {
            self.expression();
        } else {
            self.emit_op(Op::Nil);
        }
        self.consume(T::Semicolon, "Expect ';' after variable declaration.");
        self.define_variable(global);
    }

    pub(super) fn expression_statement(&mut self) {
        self.expression();
        self.consume(T::Semicolon, "Expect ';' after expression.");
        self.emit_op(Op::Pop);
    }

    pub(super) fn for_statement(&mut self) {
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

    pub(super) fn if_statement(&mut self) {
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

    pub(super) fn print_statement(&mut self) {
        self.expression();
        self.consume(T::Semicolon, "Expect ';' after value.");
        self.emit_op(Op::Print);
    }

    pub(super) fn return_statement(&mut self) {
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

    pub(super) fn while_statement(&mut self) {
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

    pub(super) fn statement(&mut self) {
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
