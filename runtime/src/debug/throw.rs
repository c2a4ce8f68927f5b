//! `throw`: a broken runtime or collector invariant (Go's `throw`). It prints
//! `fatal error: <message>` with the M and goroutine it happened on, and aborts the process —
//! on any thread, a scheduler thread included. Unwinding instead would leave a half-updated
//! scheduler or heap behind (a panic on an M thread used to kill that thread, and the process
//! then hung: issue 9 item 2). User misuse still panics, in the user's goroutine, with a
//! message naming the misuse.
//!
//! No allocation: the message is formatted into a fixed buffer on this stack (truncated past
//! it), so `throw` works with the system allocator's lock held or memory exhausted.

use std::fmt::{self, Write};

struct Fixed {
    b: [u8; 1024],
    n: usize,
}

impl Write for Fixed {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let k = s.len().min(self.b.len() - self.n);
        self.b[self.n..self.n + k].copy_from_slice(&s.as_bytes()[..k]);
        self.n += k;
        Ok(())
    }
}

/// Prints `fatal error: msg` and where, then aborts. Use the `throw!` macro.
#[cold]
#[inline(never)]
pub fn throw(msg: fmt::Arguments<'_>) -> ! {
    let mut out = Fixed { b: [0; 1024], n: 0 };
    let _ = write!(out, "fatal error: {msg}");
    let m = crate::m::current_m_raw();
    // SAFETY: Ms are never freed; a non-null pointer is this thread's M.
    if let Some(m) = unsafe { m.as_ref() } {
        let _ = match m.curg() {
            Some(g) => write!(out, "\n[on M{}, goroutine {}]", m.id, g.goid()),
            None => write!(out, "\n[on M{}, scheduler stack]", m.id),
        };
    }
    let _ = out.write_str("\n");
    // SAFETY: write(2) from a valid buffer; a partial write is acceptable for a diagnostic.
    unsafe { libc::write(2, out.b.as_ptr().cast(), out.n) };
    // SAFETY: abort has no preconditions.
    unsafe { libc::abort() }
}
