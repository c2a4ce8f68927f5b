//! `lox`: a bytecode VM for Lox (*Crafting Interpreters*) whose every value lives in
//! Tricolor's collected heap: clox's design (single-pass compiler, NaN-boxed values, interned
//! strings, open-addressing tables) over `Gc` objects, `GcArray`s, `GcValue` slots and
//! `weak::Interner`, run on a goroutine.
//!
//! `lox FILE` runs a file (exit codes as clox: 65 compile error, 70 runtime error, 74 file
//! error), `lox` alone is a REPL (`repl.rs`); `--stress-gc[=N]` collects before every Nth allocation (default 1, like clox's
//! DEBUG_STRESS_GC); the `TRICOLOR_*` variables work as for any Tricolor program.

mod chunk;
mod compiler;
mod object;
mod repl;
mod scanner;
mod table;
mod value;
mod vm;

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;
use tricolor_gc::Tagging;

/// Goroutine stacks for Lox VMs: the value stack (128 KiB) and the frames live there, and the
/// compiler's recursion (bounded by `compiler::MAX_NESTING`) runs there too.
const STACK_SIZE: usize = 4 << 20;

static START: OnceLock<Instant> = OnceLock::new();

pub fn start_time() -> Instant {
    *START.get_or_init(Instant::now)
}

fn usage() -> ExitCode {
    eprintln!("Usage: lox [--stress-gc[=N]] [path]");
    ExitCode::from(64)
}

fn main() -> ExitCode {
    start_time();
    let mut path = None;
    for a in std::env::args().skip(1) {
        if a == "--stress-gc" {
            object::set_stress(1);
        } else if let Some(n) = a.strip_prefix("--stress-gc=") {
            match n.parse::<usize>() {
                Ok(n) if n > 0 => object::set_stress(n),
                _ => {
                    eprintln!("--stress-gc=N: N must be a positive integer, got '{n}'.");
                    return usage();
                }
            }
        } else if a.starts_with("--") || path.is_some() {
            return usage();
        } else {
            path = Some(a);
        }
    }
    let rt = match tricolor_runtime::Runtime::builder().stack_size(STACK_SIZE).build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lox: cannot start the runtime: {e}");
            return ExitCode::from(70);
        }
    };
    let Some(path) = path else {
        return rt.block_on(|| {
            Tagging::NAN_BOX.register();
            repl::run()
        });
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("Could not open file \"{path}\": {e}.");
            return ExitCode::from(74);
        }
    };
    let src = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Could not read file \"{path}\": not valid UTF-8 (byte {}).", e.utf8_error().valid_up_to());
            return ExitCode::from(74);
        }
    };
    rt.block_on(move || run(&src))
}

fn run(src: &str) -> ExitCode {
    Tagging::NAN_BOX.register();
    let shared = vm::Shared::new();
    let Some(f) = compiler::compile(src) else {
        return ExitCode::from(65);
    };
    match vm::interpret(shared, f) {
        // A spawned goroutine's runtime error fails the run too.
        Ok(()) if !vm::FAILED.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::SUCCESS,
        _ => ExitCode::from(70),
    }
}
