//! The bytecode: clox's opcodes, one byte each, operands after them.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Op {
    Constant,
    Nil,
    True,
    False,
    Pop,
    GetLocal,
    SetLocal,
    GetGlobal,
    DefineGlobal,
    SetGlobal,
    GetUpvalue,
    SetUpvalue,
    GetProperty,
    SetProperty,
    GetSuper,
    Equal,
    Greater,
    Less,
    Add,
    Subtract,
    Multiply,
    Divide,
    Not,
    Negate,
    Print,
    Jump,
    JumpIfFalse,
    Loop,
    Call,
    Invoke,
    SuperInvoke,
    Closure,
    CloseUpvalue,
    Return,
    Class,
    Inherit,
    Method,
}

impl Op {
    /// The opcode `b` encodes.
    ///
    /// # Safety
    /// `b` was written from an `Op` (the VM reads opcodes only where the compiler wrote them).
    #[inline(always)]
    pub unsafe fn from_byte(b: u8) -> Op {
        debug_assert!(b <= Op::Method as u8);
        // SAFETY: `Op` is `repr(u8)` with contiguous discriminants 0..=Method, and `b` is one
        // of them (the caller's contract).
        unsafe { std::mem::transmute::<u8, Op>(b) }
    }
}
