//! Expressions: the Pratt parser's rule table and one function per prefix or infix rule
//! (clox's `compiler.c`, expressions half).

use super::*;

impl<'s> Compiler<'s> {
    // --- expressions -----------------------------------------------------------------------

    pub(super) fn rule(kind: T) -> (Option<ParseFn<'s>>, Option<ParseFn<'s>>, Prec) {
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

    pub(super) fn parse_precedence(&mut self, prec: Prec) {
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

    pub(super) fn expression(&mut self) {
        self.parse_precedence(Prec::Assignment);
    }

    pub(super) fn grouping(&mut self, _: bool) {
        self.expression();
        self.consume(T::RightParen, "Expect ')' after expression.");
    }

    pub(super) fn number(&mut self, _: bool) {
        let n: f64 = self.previous.text.parse().expect("the scanner makes valid numbers");
        self.emit_constant(Value::num(n));
    }

    pub(super) fn string(&mut self, _: bool) {
        let t = self.previous.text;
        let v = intern(&t[1..t.len() - 1]);
        self.emit_constant(v);
    }

    pub(super) fn literal(&mut self, _: bool) {
        match self.previous.kind {
            T::False => self.emit_op(Op::False),
            T::True => self.emit_op(Op::True),
            _ => self.emit_op(Op::Nil),
        }
    }

    pub(super) fn variable(&mut self, can_assign: bool) {
        self.named_variable(self.previous.text, can_assign);
    }

    pub(super) fn unary(&mut self, _: bool) {
        let op = self.previous.kind;
        self.parse_precedence(Prec::Unary);
        self.emit_op(if op == T::Minus { Op::Negate } else { Op::Not });
    }

    pub(super) fn binary(&mut self, _: bool) {
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

    pub(super) fn and(&mut self, _: bool) {
        let end = self.emit_jump(Op::JumpIfFalse);
        self.emit_op(Op::Pop);
        self.parse_precedence(Prec::And);
        self.patch_jump(end);
    }

    pub(super) fn or(&mut self, _: bool) {
        let else_jump = self.emit_jump(Op::JumpIfFalse);
        let end = self.emit_jump(Op::Jump);
        self.patch_jump(else_jump);
        self.emit_op(Op::Pop);
        self.parse_precedence(Prec::Or);
        self.patch_jump(end);
    }

    pub(super) fn argument_list(&mut self) -> u8 {
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

    pub(super) fn call(&mut self, _: bool) {
        let n = self.argument_list();
        self.emit2(Op::Call, n);
    }

    pub(super) fn dot(&mut self, can_assign: bool) {
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

    pub(super) fn this(&mut self, _: bool) {
        if self.classes.is_empty() {
            self.error("Can't use 'this' outside of a class.");
            return;
        }
        self.variable(false);
    }

    pub(super) fn super_(&mut self, _: bool) {
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
}
