//! The REPL (`lox` with no file), driven through a pipe: lines share globals, errors are
//! reported and the session goes on.

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn repl_lines_share_globals_and_survive_errors() {
    let home = std::env::temp_dir().join(format!("lox-repl-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lox"))
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running lox");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"var a = 3;\nprint a + 1;\nprint b;\nprint (;\nclass C { m() { return a * 2; } }\nprint C().m();\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout).replace("> ", ""), "4\n6\n");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Undefined variable 'b'.\n[line 1] in script"), "{err}");
    assert!(err.contains("[line 1] Error at ';': Expect expression."), "{err}");
}
