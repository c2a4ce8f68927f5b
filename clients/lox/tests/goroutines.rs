//! Lox goroutines: `spawn`, `join`, `Channel` (see `src/vm.rs` for the semantics of shared
//! variables and data races).

use std::process::{Command, Output};

fn lox_file(path: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lox")).args(args).arg(path).envs(env.iter().copied()).output().expect("running lox")
}

fn lox_src(name: &str, src: &str) -> Output {
    let dir = std::env::temp_dir().join(format!("lox-goroutines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, src).unwrap();
    lox_file(p.to_str().unwrap(), &[], &[("TRICOLOR_PROCS", "2")])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// binary_trees split across 4 goroutines on 2 procs gives the sequential output, with the
/// concurrent collector running (and every mark checked) while the interpreters run.
#[test]
fn concurrent_binary_trees_matches_sequential_under_gccheckmark() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lox/concurrent_trees.lox");
    let o =
        lox_file(path, &["--stress-gc=20000"], &[("TRICOLOR_PROCS", "2"), ("TRICOLOR_DEBUG", "gccheckmark=1,gcstoptheworld=0,gctrace=1")]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{err}");
    let (seq, conc) = out.split_once("concurrent\n").expect("both halves");
    let seq = seq.strip_prefix("sequential\n").expect("the sequential half");
    assert_eq!(seq.lines().count(), 5, "{out}");
    assert!(conc.starts_with(seq), "concurrent:\n{conc}\nsequential:\n{seq}");
    assert!(conc.ends_with("workers ran 4 depths\n"), "{conc}");
    assert!(seq.contains("num trees: 32, depth: 10, check: -32"), "{seq}");
    let cycles = err.lines().filter(|l| l.starts_with("gc ")).count();
    assert!(cycles >= 4, "expected collections during the run, gctrace shows {cycles}:\n{err}");
}

#[test]
fn spawn_join_and_channels() {
    let o = lox_src(
        "basic.lox",
        r#"
fun work(n) { var s = 0; for (var i = 0; i < n; i = i + 1) s = s + i; return s; }
fun w() { return work(1000); }
var h = spawn(w);
print h.join();
print h.join();
var ch = Channel();
fun producer() { for (var i = 0; i < 3; i = i + 1) ch.send(i); ch.send(nil); }
spawn(producer);
var v = ch.receive();
while (v != nil) { print v; v = ch.receive(); }
fun local() {
  var x = 5;
  fun inc() { x = x + 1; return x; }
  print spawn(inc).join();
  print x;
}
local();
print h;
print Channel(3);
"#,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "499500\n499500\n0\n1\n2\n6\n5\n<goroutine>\n<channel>\n");
}

/// Racing increments of a global and of a field from four goroutines: updates may be lost,
/// values are never torn or corrupt, and the VM and heap survive.
#[test]
fn data_races_lose_updates_but_never_corrupt() {
    let o = lox_src(
        "race.lox",
        r#"
class Box { init() { this.n = 0; } }
var b = Box();
var g = 0;
fun bump() {
  for (var i = 0; i < 20000; i = i + 1) {
    g = g + 1;
    b.n = b.n + 1;
    b.other = "s" + "t";
  }
  return 0;
}
var hs = Channel(4);
for (var k = 0; k < 4; k = k + 1) hs.send(spawn(bump));
for (var k = 0; k < 4; k = k + 1) hs.receive().join();
print g > 0 and g <= 80000;
print b.n > 0 and b.n <= 80000;
print b.other;
"#,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "true\ntrue\nst\n");
}

#[test]
fn errors_in_goroutines() {
    let o = lox_src("fail.lox", "fun bad() { return nil + 1; }\nvar h = spawn(bad);\nprint h.join();\n");
    assert_eq!(o.status.code(), Some(70));
    let e = text(&o.stderr);
    assert!(e.contains("Operands must be two numbers or two strings.\n[line 1] in bad()"), "{e}");
    assert!(e.contains("Joined goroutine stopped on a runtime error.\n[line 3] in script"), "{e}");

    let o = lox_src("notfn.lox", "spawn(1);\n");
    assert_eq!(o.status.code(), Some(70));
    assert!(text(&o.stderr).starts_with("spawn() needs a function.\n[line 1]"), "{}", text(&o.stderr));

    // A closure reaching a variable still open on another goroutine's stack (through a
    // global, not through spawn's copy) is a Lox error, not a foreign-stack access.
    let o = lox_src(
        "foreign.lox",
        r#"
var ch = Channel();
var G;
fun reader() { ch.receive(); G(); return 0; }
fun outer() {
  var x = 1;
  fun get() { return x; }
  G = get;
  var h = spawn(reader);
  ch.send(1);
  h.join();
}
outer();
"#,
    );
    assert_eq!(o.status.code(), Some(70), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).starts_with("Can't use a local variable of a function running on another goroutine.\n[line 7] in get()"),
        "{}",
        text(&o.stderr)
    );
}

/// Heap objects returned by goroutines (held by the runtime until joined) and handles in a
/// channel's buffer survive collections at every allocation, with every mark checked.
#[test]
fn results_and_channel_buffers_survive_stress_collections() {
    let dir = std::env::temp_dir().join(format!("lox-goroutines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("results.lox");
    std::fs::write(
        &p,
        r#"
fun mk() { var s = "a"; for (var i = 0; i < 50; i = i + 1) s = s + "b"; return s; }
class P { init(v) { this.v = v; } }
fun obj() { return P(mk()); }
var hs = Channel(8);
for (var k = 0; k < 6; k = k + 1) hs.send(spawn(obj));
var total = "";
for (var k = 0; k < 6; k = k + 1) { var o = hs.receive().join(); total = total + o.v; }
print total == mk() + mk() + mk() + mk() + mk() + mk();
"#,
    )
    .unwrap();
    for mode in ["gccheckmark=1", "gccheckmark=1,gcstoptheworld=1"] {
        let o = lox_file(p.to_str().unwrap(), &["--stress-gc"], &[("TRICOLOR_PROCS", "2"), ("TRICOLOR_DEBUG", mode)]);
        assert_eq!(o.status.code(), Some(0), "{mode}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout), "true\n", "{mode}");
    }
}
