//! The official Lox test suite (vendored in `suite/test`, clox's selection: all but `scanning/`,
//! `expressions/` and `benchmark/`), run through the `lox` binary with the expectations of
//! the book's runner (`tool/bin/test.dart`): stdout lines in order, the set of compile errors
//! on stderr, a runtime error's message on stderr's first line and its `[line N]` after it,
//! and the exit code. Each test below runs the whole selection in one mode and reports every
//! failure with its differences.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

fn suite_dir() -> PathBuf {
    match std::env::var_os("LOX_TEST_DIR") {
        Some(d) => PathBuf::from(d),
        // Vendored (suite/README.md): a clean checkout has nothing beside the repository.
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("suite/test"),
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "lox") {
            out.push(p);
        }
    }
}

/// Every test file of clox's selection.
pub fn tests() -> Vec<PathBuf> {
    let root = suite_dir();
    assert!(root.is_dir(), "the Lox test suite is not at {} (set LOX_TEST_DIR)", root.display());
    let mut all = Vec::new();
    for d in std::fs::read_dir(&root).unwrap() {
        let p = d.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            if !["scanning", "expressions", "benchmark"].contains(&name.as_str()) {
                collect(&p, &mut all);
            }
        } else if name.ends_with(".lox") {
            all.push(p);
        }
    }
    all.sort();
    all
}

struct Expect {
    output: Vec<(usize, String)>,
    errors: BTreeSet<String>,
    runtime: Option<(String, usize)>,
    exit: i32,
}

/// The expectations of one file, as `test.dart` parses them; `None` for a non-test.
fn parse(src: &str) -> Option<Expect> {
    let mut e = Expect { output: Vec::new(), errors: BTreeSet::new(), runtime: None, exit: 0 };
    for (i, line) in src.lines().enumerate() {
        let n = i + 1;
        if line.contains("// nontest") {
            return None;
        }
        if let Some(p) = line.find("// expect: ") {
            e.output.push((n, line[p + 11..].to_string()));
        } else if let Some(p) = line.find("// expect:") {
            e.output.push((n, line[p + 10..].to_string()));
        } else if let Some(p) = line.find("// Error") {
            e.errors.insert(format!("[{n}] {}", &line[p + 3..]));
            e.exit = 65;
        } else if let Some(p) = line.find("// [") {
            // `// [line N] Error...` or `// [c line N] Error...` (the `java` ones are not ours).
            let rest = &line[p + 4..];
            let rest = rest.strip_prefix("c ").unwrap_or(rest);
            if let Some(rest) = rest.strip_prefix("line ") {
                if let Some((num, msg)) = rest.split_once("] ") {
                    if num.chars().all(|c| c.is_ascii_digit()) && msg.starts_with("Error") {
                        e.errors.insert(format!("[{num}] {msg}"));
                        e.exit = 65;
                    }
                }
            }
        } else if let Some(p) = line.find("// expect runtime error: ") {
            e.runtime = Some((line[p + 25..].to_string(), n));
            e.exit = 70;
        }
    }
    Some(e)
}

/// `[line N] Error...` anywhere in a line: (N, "Error...").
fn syntax_error(line: &str) -> Option<(String, String)> {
    let open = line.find('[')?;
    let rest = &line[open..];
    let l = rest.find("line ")?;
    let after = &rest[l + 5..];
    let close = after.find(']')?;
    let num = &after[..close];
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let msg = after[close + 1..].trim_start();
    msg.starts_with("Error").then(|| (num.to_string(), msg.to_string()))
}

fn stack_line(line: &str) -> Option<usize> {
    let p = line.find("[line ")?;
    let rest = &line[p + 6..];
    rest[..rest.find(']')?].parse().ok()
}

/// Runs one file; the list of failures (empty: it passed).
fn run_one(path: &Path, args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let src = std::fs::read_to_string(path).unwrap();
    let Some(exp) = parse(&src) else { return Vec::new() };
    let out = Command::new(env!("CARGO_BIN_EXE_lox")).args(args).arg(path).envs(env.iter().copied()).output().expect("running lox");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut fails = Vec::new();
    let err_lines: Vec<&str> = stderr.lines().collect();
    if let Some((msg, line)) = &exp.runtime {
        if err_lines.len() < 2 {
            fails.push(format!("Expected runtime error '{msg}' and got none."));
        } else {
            if err_lines[0] != msg {
                fails.push(format!("Expected runtime error '{msg}' and got: {}", err_lines[0]));
            }
            match err_lines[1..].iter().find_map(|l| stack_line(l)) {
                None => fails.push(format!("Expected stack trace and got: {:?}", &err_lines[1..])),
                Some(n) if n != *line => fails.push(format!("Expected runtime error on line {line} but was on line {n}.")),
                _ => {}
            }
        }
    } else {
        let mut found = BTreeSet::new();
        for l in &err_lines {
            match syntax_error(l) {
                Some((n, msg)) => {
                    let e = format!("[{n}] {msg}");
                    if exp.errors.contains(&e) {
                        found.insert(e);
                    } else {
                        fails.push(format!("Unexpected error: {l}"));
                    }
                }
                None if !l.is_empty() => fails.push(format!("Unexpected output on stderr: {l}")),
                None => {}
            }
        }
        for e in exp.errors.difference(&found) {
            fails.push(format!("Missing expected error: {e}"));
        }
    }
    let code = out.status.code().unwrap_or(-1);
    if code != exp.exit {
        fails.push(format!(
            "Expected return code {} and got {code} ({}). Stderr: {:?}",
            exp.exit,
            out.status,
            err_lines.iter().take(10).collect::<Vec<_>>()
        ));
    }
    let mut lines: Vec<&str> = stdout.lines().collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    for (i, l) in lines.iter().enumerate() {
        match exp.output.get(i) {
            None => fails.push(format!("Got output '{l}' when none was expected.")),
            Some((n, e)) if e != l => fails.push(format!("Expected output '{e}' on line {n} and got '{l}'.")),
            _ => {}
        }
    }
    for (n, e) in exp.output.iter().skip(lines.len()) {
        fails.push(format!("Missing expected output '{e}' on line {n}."));
    }
    fails
}

/// Runs `files` (on a few threads) in one mode; panics listing every failure.
fn run_suite(files: &[PathBuf], args: &[&str], env: &[(&str, &str)], expect_count: Option<usize>) {
    let next = AtomicUsize::new(0);
    let report = Mutex::new(Vec::new());
    let ran = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = files.get(i) else { break };
                let fails = run_one(p, args, env);
                ran.fetch_add(1, Ordering::Relaxed);
                if !fails.is_empty() {
                    report.lock().unwrap().push(format!("FAIL {}\n    {}", p.display(), fails.join("\n    ")));
                }
            });
        }
    });
    if let Some(n) = expect_count {
        assert_eq!(files.len(), n, "clox's selection of the suite has {n} files");
    }
    let report = report.into_inner().unwrap();
    assert!(report.is_empty(), "{} of {} tests failed ({args:?} {env:?}):\n{}", report.len(), files.len(), report.join("\n"));
}

#[test]
fn official_suite() {
    run_suite(&tests(), &[], &[], Some(246));
}

/// A collection before every allocation (clox's DEBUG_STRESS_GC).
#[test]
fn official_suite_stress_gc() {
    run_suite(&tests(), &["--stress-gc"], &[], None);
}

/// Every collection's marks verified from scratch; with the concurrent collector (the
/// default) and with the stop-the-world one.
#[test]
fn official_suite_gccheckmark() {
    run_suite(&tests(), &["--stress-gc"], &[("TRICOLOR_DEBUG", "gccheckmark=1")], None);
    run_suite(&tests(), &["--stress-gc=3"], &[("TRICOLOR_DEBUG", "gccheckmark=1,gcstoptheworld=1")], None);
}

/// The checker itself fails on each kind of mismatch (a harness that cannot fail proves
/// nothing).
#[test]
fn checker_reports_mismatches() {
    let dir = std::env::temp_dir().join(format!("lox-suite-self-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = |name: &str, src: &str| {
        let p = dir.join(name);
        std::fs::write(&p, src).unwrap();
        run_one(&p, &[], &[])
    };
    assert!(case("ok.lox", "print 1; // expect: 1\n").is_empty());
    let f = case("out.lox", "print 1; // expect: 2\n");
    assert!(f.iter().any(|l| l.contains("Expected output '2' on line 1 and got '1'")), "{f:?}");
    let f = case("missing.lox", "print 1; // expect: 1\n// expect: 3\n");
    assert!(f.iter().any(|l| l.contains("Missing expected output '3'")), "{f:?}");
    let f = case("rt.lox", "print -nil; // expect runtime error: Operands must be numbers.\n");
    assert!(f.iter().any(|l| l.contains("got: Operand must be a number.")), "{f:?}");
    let f = case("rtline.lox", "\nprint -nil;\n// expect runtime error: Operand must be a number.\n");
    assert!(f.iter().any(|l| l.contains("on line 3 but was on line 2")), "{f:?}");
    let f = case("ce.lox", "print; // Error at ';': Expect something.\n");
    assert!(f.iter().any(|l| l.contains("Unexpected error")) && f.iter().any(|l| l.contains("Missing expected error")), "{f:?}");
    let f = case("exit.lox", "print -nil;\n");
    assert!(f.iter().any(|l| l.contains("Expected return code 0 and got 70")), "{f:?}");
}
