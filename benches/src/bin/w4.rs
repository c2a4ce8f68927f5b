//! W4 "pauses": the Tricolor side of `benches/run.sh`'s comparison with
//! `peers/go/w4_pauses` and `peers/bdwgc/w4_pauses.c` (definition in `tricolor_benches::w4`).
//!
//! Usage: `w4 [--quick] [--mib M] [--secs S]` (M MiB of live trees, default 1024; S seconds of
//! replacements, default 10; `--quick`: 64 MiB, 2 s). Procs come from `TRICOLOR_PROCS`.

use tricolor_benches::w4;
use tricolor_runtime::Runtime;

fn main() {
    let (mut mib, mut secs) = (1024usize, 10.0f64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" | "-quick" => (mib, secs) = (64, 2.0),
            "--mib" | "-mib" => mib = args.next().and_then(|v| v.parse().ok()).expect("w4: --mib needs a number"),
            "--secs" | "-secs" => secs = args.next().and_then(|v| v.parse().ok()).expect("w4: --secs needs a number"),
            other => panic!("w4: unknown argument {other:?}; usage: w4 [--quick] [--mib M] [--secs S]"),
        }
    }
    let rt = Runtime::global();
    println!("procs {}", rt.config().procs);
    println!("info w4 tricolor mib={mib} secs={secs}");
    rt.block_on(move || {
        let r = w4::run(mib, secs);
        println!("info {} pauses in the replacement phase", r.pauses);
        w4::report(&r);
    });
}
