//! What `lox` does with input the suite does not cover: missing and non-UTF-8 files, deep
//! recursion in Lox, deep nesting in the compiler, and stack-hungry expressions.

use std::process::{Command, Output};

fn lox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lox")).args(args).output().expect("running lox")
}

fn run_src(name: &str, src: &[u8]) -> Output {
    let dir = std::env::temp_dir().join(format!("lox-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, src).unwrap();
    lox(&[p.to_str().unwrap()])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn missing_file_exits_74() {
    let o = lox(&["/nonexistent/dir/x.lox"]);
    assert_eq!(o.status.code(), Some(74));
    assert!(stderr(&o).starts_with("Could not open file \"/nonexistent/dir/x.lox\""), "{}", stderr(&o));
}

#[test]
fn non_utf8_file_exits_74() {
    let o = run_src("latin1.lox", b"print \"caf\xe9\";\n");
    assert_eq!(o.status.code(), Some(74));
    assert!(stderr(&o).contains("not valid UTF-8"), "{}", stderr(&o));
}

#[test]
fn bad_flag_is_a_usage_error() {
    let o = lox(&["--stress-gc=0", "x.lox"]);
    assert_eq!(o.status.code(), Some(64));
    let o = lox(&["--bogus", "x.lox"]);
    assert_eq!(o.status.code(), Some(64));
}

#[test]
fn lox_recursion_is_a_lox_stack_overflow() {
    let o = run_src("rec.lox", b"fun f(n) { return f(n + 1); }\nf(0);\n");
    assert_eq!(o.status.code(), Some(70), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.starts_with("Stack overflow.\n[line 1] in f()\n"), "{e}");
    assert!(e.ends_with("[line 2] in script\n"), "{e}");
}

#[test]
fn deep_nesting_is_a_compile_error_not_a_crash() {
    for (open, close) in [("(", ")"), ("-", ""), ("!", ""), ("{", "}")] {
        let n = 100_000;
        let body = if open == "{" {
            format!("{}{}", open.repeat(n), close.repeat(n))
        } else {
            format!("print {}1{};", open.repeat(n), close.repeat(n))
        };
        let o = run_src("deep.lox", body.as_bytes());
        assert_eq!(o.status.code(), Some(65), "{open}: {}", stderr(&o));
        assert!(stderr(&o).contains("Error at '"), "{open}: {}", stderr(&o));
        assert!(stderr(&o).contains("Too much nesting."), "{open}: {}", stderr(&o));
    }
    // Nesting below the limit compiles and runs.
    let o = run_src("ok.lox", format!("print {}1{};", "(".repeat(200), ")".repeat(200)).as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "1\n");
}

#[test]
fn temporaries_past_the_value_stack_are_a_stack_overflow() {
    // Each nested call pushes 200 arguments before calling: 60 levels need 12,000 slots in
    // one frame chain, 100 levels more than the 16,384-slot stack holds.
    let args = |inner: &str| format!("f({}{inner})", "x, ".repeat(200));
    let mut e = "x".to_string();
    for _ in 0..100 {
        e = args(&e);
    }
    let src = format!(
        "fun f({}) {{ return 1; }}\nfun g() {{ var x = 1; print {e}; }}\ng();\n",
        (0..201).map(|i| format!("a{i}")).collect::<Vec<_>>().join(", ")
    );
    let o = run_src("wide.lox", src.as_bytes());
    assert_eq!(o.status.code(), Some(70), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("Stack overflow."), "{}", stderr(&o));
}
