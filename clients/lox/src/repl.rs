//! `lox` with no file: clox's REPL (each line compiled and run against the same globals),
//! with line editing and history from `rustyline`. History lives in `$HOME/.lox_history`.

use crate::{compiler, vm};
use rustyline::error::ReadlineError;
use std::process::ExitCode;

fn history_path() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".lox_history"))
}

/// Runs the REPL on this goroutine until end of input (Ctrl-D) or Ctrl-C.
pub fn run() -> ExitCode {
    let mut ed = match rustyline::DefaultEditor::new() {
        Ok(ed) => ed,
        Err(e) => {
            eprintln!("lox: cannot start the line editor: {e}");
            return ExitCode::from(74);
        }
    };
    let history = history_path();
    if let Some(h) = &history {
        let _ = ed.load_history(h);
    }
    let shared = vm::Shared::new();
    loop {
        // Reading the terminal blocks in the kernel: off the P, so the collector and other
        // goroutines keep running meanwhile.
        let line = tricolor_runtime::blocking(|| ed.readline("> "));
        match line {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = ed.add_history_entry(line.as_str());
                // Errors are reported on stderr; the session goes on either way.
                if let Some(f) = compiler::compile(&line) {
                    let _ = vm::interpret(shared, f);
                }
            }
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("lox: reading input: {e}");
                return ExitCode::from(74);
            }
        }
    }
    if let Some(h) = &history {
        let _ = ed.save_history(h);
    }
    ExitCode::SUCCESS
}
