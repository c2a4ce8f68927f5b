// W6 "cleanup", the Go peer (Tricolor: benches/src/w6.rs and src/bin/w6.rs; C twin:
// benches/peers/bdwgc/w6_cleanup.c), with runtime.AddCleanup. Two phases:
//
//  1. register: 1,000,000 objects ([2]uint64, 16 bytes, no pointers), allocated untimed and
//     held by a slice; then, timed, one cleanup each: runtime.AddCleanup(o, f, uint64(1)),
//     where f(n) adds n to the global atomic counter ran (f captures nothing; the argument is
//     not the object). Metric register (ns per AddCleanup).
//  2. run_all: phase 1's function returns (the objects are garbage), then, timed, one
//     runtime.GC() (it sweeps everything before returning, so every dead object's cleanup is
//     queued) and a wait until the counter shows all 1,000,000 ran, or 30 s passed: the
//     counter is polled with time.Sleep between looks, 20 µs doubling to 1 ms (Tricolor's
//     wait_idle schedule). Metrics run_all (ms), cleanups_per_s (1,000,000 / run_all) and
//     not_run (count of cleanups not run at the end; 0 expected).
//
// Usage: w6_cleanup [-quick]   (-quick: 100,000 objects)
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"tricolorpeers/internal/peer"
)

const timeout = 30 * time.Second

type obj [2]uint64

// ran is what the cleanups add their argument to.
var ran atomic.Uint64

// register is phase 1: one cleanup per object, f(1) adding 1 to ran.
//
//go:noinline
func register(objs []*obj) time.Duration {
	start := time.Now()
	for _, o := range objs {
		runtime.AddCleanup(o, func(n uint64) { ran.Add(n) }, uint64(1))
	}
	return time.Since(start)
}

// allocAndRegister allocates n objects and registers a cleanup on each; once it has
// returned, nothing holds the objects. Returns the alloc (untimed) and register times.
//
//go:noinline
func allocAndRegister(n int) (alloc, reg time.Duration) {
	t0 := time.Now()
	objs := make([]*obj, n)
	for i := range objs {
		objs[i] = &obj{uint64(i), uint64(i)}
	}
	alloc = time.Since(t0)
	reg = register(objs)
	runtime.KeepAlive(objs)
	return alloc, reg
}

// runAll is phase 2: one runtime.GC(), then a wait until the counter is base+n or timeout
// passes. Returns the whole time, the runtime.GC() alone and the cleanups that ran.
//
//go:noinline
func runAll(base, n uint64, timeout time.Duration) (elapsed, collect time.Duration, got uint64) {
	start := time.Now()
	runtime.GC()
	collect = time.Since(start)
	nap := 20 * time.Microsecond
	for ran.Load()-base < n && time.Since(start) < timeout {
		time.Sleep(nap)
		nap = min(nap*2, time.Millisecond)
	}
	return time.Since(start), collect, ran.Load() - base
}

func main() {
	quick := flag.Bool("quick", false, "smoke test: 100,000 objects (not W6's count)")
	flag.Parse()
	n := 1_000_000
	if *quick {
		n = 100_000
	}
	peer.Procs()
	fmt.Printf("info w6 go %s n=%d timeout_s=%g\n", runtime.Version(), n, timeout.Seconds())
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	base := ran.Load()
	alloc, reg := allocAndRegister(n)
	elapsed, collect, got := runAll(base, uint64(n), timeout)
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	fmt.Printf("info alloc of %d objects (untimed): %d ms\n", n, alloc.Milliseconds())
	peer.Metric("register", float64(reg.Nanoseconds())/float64(n), "ns/op")
	peer.Ms("run_all", elapsed)
	peer.Metric("cleanups_per_s", float64(n)/elapsed.Seconds(), "ops/s")
	notRun := uint64(n) - min(got, uint64(n))
	peer.Metric("not_run", float64(notRun), "count")
	fmt.Printf("info run_all: runtime.GC() %.2f ms, then %.2f ms until %d of %d cleanups ran; %d GC cycles in all\n",
		float64(collect.Nanoseconds())/1e6, float64((elapsed-collect).Nanoseconds())/1e6, got, n, ms1.NumGC-ms0.NumGC)
	if got > uint64(n) {
		fmt.Fprintf(os.Stderr, "w6: %d cleanups ran for %d registered: one ran twice\n", got, n)
		os.Exit(1)
	}
	if notRun > 0 {
		fmt.Printf("info %d of %d cleanups had not run %g s after the collection\n", notRun, n, timeout.Seconds())
	}
}
