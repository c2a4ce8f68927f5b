//! The scanner: clox's `scanner.c`, token by token on demand over the source bytes.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum T {
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    Comma,
    Dot,
    Minus,
    Plus,
    Semicolon,
    Slash,
    Star,
    Bang,
    BangEqual,
    Equal,
    EqualEqual,
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
    Identifier,
    String,
    Number,
    And,
    Class,
    Else,
    False,
    For,
    Fun,
    If,
    Nil,
    Or,
    Print,
    Return,
    Super,
    This,
    True,
    Var,
    While,
    Error,
    Eof,
}

/// A token: its kind, its text (or, for `Error`, the message) and its line.
#[derive(Clone, Copy, Debug)]
pub struct Token<'s> {
    pub kind: T,
    pub text: &'s str,
    pub line: u32,
}

pub struct Scanner<'s> {
    src: &'s str,
    start: usize,
    current: usize,
    line: u32,
}

fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

impl<'s> Scanner<'s> {
    pub fn new(src: &'s str) -> Scanner<'s> {
        Scanner { src, start: 0, current: 0, line: 1 }
    }

    fn peek(&self) -> u8 {
        *self.src.as_bytes().get(self.current).unwrap_or(&0)
    }

    fn peek_next(&self) -> u8 {
        *self.src.as_bytes().get(self.current + 1).unwrap_or(&0)
    }

    fn at_end(&self) -> bool {
        self.current >= self.src.len()
    }

    fn advance(&mut self) -> u8 {
        let c = self.peek();
        self.current += 1;
        c
    }

    fn matches(&mut self, c: u8) -> bool {
        if self.at_end() || self.peek() != c {
            return false;
        }
        self.current += 1;
        true
    }

    fn make(&self, kind: T) -> Token<'s> {
        Token { kind, text: &self.src[self.start..self.current], line: self.line }
    }

    fn error(&self, msg: &'static str) -> Token<'s> {
        Token { kind: T::Error, text: msg, line: self.line }
    }

    fn skip_whitespace(&mut self) {
        loop {
            match self.peek() {
                b' ' | b'\r' | b'\t' => {
                    self.current += 1;
                }
                b'\n' => {
                    self.line += 1;
                    self.current += 1;
                }
                b'/' if self.peek_next() == b'/' => {
                    while self.peek() != b'\n' && !self.at_end() {
                        self.current += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn identifier_kind(&self) -> T {
        match &self.src[self.start..self.current] {
            "and" => T::And,
            "class" => T::Class,
            "else" => T::Else,
            "false" => T::False,
            "for" => T::For,
            "fun" => T::Fun,
            "if" => T::If,
            "nil" => T::Nil,
            "or" => T::Or,
            "print" => T::Print,
            "return" => T::Return,
            "super" => T::Super,
            "this" => T::This,
            "true" => T::True,
            "var" => T::Var,
            "while" => T::While,
            _ => T::Identifier,
        }
    }

    pub fn scan(&mut self) -> Token<'s> {
        self.skip_whitespace();
        self.start = self.current;
        if self.at_end() {
            return self.make(T::Eof);
        }
        let c = self.advance();
        if is_alpha(c) {
            while is_alpha(self.peek()) || self.peek().is_ascii_digit() {
                self.current += 1;
            }
            return self.make(self.identifier_kind());
        }
        if c.is_ascii_digit() {
            while self.peek().is_ascii_digit() {
                self.current += 1;
            }
            if self.peek() == b'.' && self.peek_next().is_ascii_digit() {
                self.current += 1;
                while self.peek().is_ascii_digit() {
                    self.current += 1;
                }
            }
            return self.make(T::Number);
        }
        let kind = match c {
            b'(' => T::LeftParen,
            b')' => T::RightParen,
            b'{' => T::LeftBrace,
            b'}' => T::RightBrace,
            b';' => T::Semicolon,
            b',' => T::Comma,
            b'.' => T::Dot,
            b'-' => T::Minus,
            b'+' => T::Plus,
            b'/' => T::Slash,
            b'*' => T::Star,
            b'!' => {
                if self.matches(b'=') {
                    T::BangEqual
                } else {
                    T::Bang
                }
            }
            b'=' => {
                if self.matches(b'=') {
                    T::EqualEqual
                } else {
                    T::Equal
                }
            }
            b'<' => {
                if self.matches(b'=') {
                    T::LessEqual
                } else {
                    T::Less
                }
            }
            b'>' => {
                if self.matches(b'=') {
                    T::GreaterEqual
                } else {
                    T::Greater
                }
            }
            b'"' => {
                while self.peek() != b'"' && !self.at_end() {
                    if self.peek() == b'\n' {
                        self.line += 1;
                    }
                    self.current += 1;
                }
                if self.at_end() {
                    return self.error("Unterminated string.");
                }
                self.current += 1;
                T::String
            }
            _ => {
                // Step over the rest of a multi-byte character, so token text stays on
                // character boundaries.
                while !self.src.is_char_boundary(self.current) {
                    self.current += 1;
                }
                return self.error("Unexpected character.");
            }
        };
        self.make(kind)
    }
}
