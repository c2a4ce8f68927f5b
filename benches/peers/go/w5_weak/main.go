// W5 "weak", the Go peer (Tricolor: benches/src/w5.rs and src/bin/w5.rs; C twin:
// benches/peers/bdwgc/w5_weak.c), with Go's weak package (weak.Make, Pointer.Value). Four
// phases:
//
//  1. create: 1,000,000 objects {id, canary} (16 bytes, no pointers), allocated untimed and
//     held by a slice; then, timed, one weak pointer each, stored into a
//     []weak.Pointer[obj]. Metric create (ns per weak.Make and store).
//  2. upgrade of a live object, after an untimed runtime.GC() (every side starts from a
//     finished, swept cycle): upgrade_hot calls Value() on the same pointer 100,000,000 times;
//     upgrade_walk calls it on the 1,000,000 distinct pointers in order, 10 passes. Every
//     result is used (its id summed, its canary compared) and the sums are checked; Value()
//     is a call into the runtime the compiler cannot hoist. Metrics in ns per upgrade; each
//     loop first runs untimed (1/100 of the hot count, one walk pass).
//  3. clear: phase 1's function returns only the weak pointers (the objects are garbage), one
//     runtime.GC() is timed (it sweeps everything before returning, so every dead object's
//     weak handle is cleared), then every pointer must read nil. Metrics clear_gc (ms) and
//     not_cleared (count of pointers still non-nil; 0 expected).
//  4. concurrent, 5 s: a set of 4,096 slots, each an atomic pointer to an entry {id, weak
//     pointer}; even slots' objects are also held strongly, odd ones only weakly (they live
//     until the next collection). 2 reader goroutines walk the set (from slots 0 and 2,048)
//     calling Value() on each entry's pointer and checking the object (its id must be the
//     entry's and its canary the id's: a freed or reused object fails); a collector
//     goroutine calls runtime.GC() back to back; a replacer goroutine puts a new object and
//     entry into the next slot, round and round. Every loop looks at the stop flag once per
//     64 operations. Metrics upgrades_per_s (both readers), bad_upgrades (count; must be 0),
//     gcs_per_s (runtime.GC calls), replaces_per_s.
//
// Usage: w5_weak [-quick] [-seconds S]   (phase 4 lasts S seconds, default 5; -quick: 1 s,
// 10,000,000 hot upgrades, 2 walk passes)
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"weak"

	"tricolorpeers/internal/peer"
)

const (
	n       = 1_000_000
	setSize = 4096 // a power of two
	batch   = 64
)

type obj struct{ id, canary uint64 }

func canary(id uint64) uint64 { return id*0x9E3779B97F4A7C15 ^ 0x5BD1E9955BD1E995 }

func newObj(id uint64) *obj { return &obj{id: id, canary: canary(id)} }

type upgrades struct {
	elapsed time.Duration
	ops     uint64
	idSum   uint64
	bad     uint64
}

// upgradeHot: iters upgrades of the same live pointer to object id.
//
//go:noinline
func upgradeHot(w weak.Pointer[obj], id uint64, iters uint64) upgrades {
	var sum, bad uint64
	c := canary(id)
	start := time.Now()
	for i := uint64(0); i < iters; i++ {
		o := w.Value()
		if o == nil {
			bad++
			continue
		}
		sum += o.id
		if o.canary != c {
			bad++
		}
	}
	return upgrades{time.Since(start), iters, sum, bad}
}

// upgradeWalk: passes passes upgrading ws[0..n] in order (object i at slot i).
//
//go:noinline
func upgradeWalk(ws []weak.Pointer[obj], passes uint64) upgrades {
	var sum, bad uint64
	start := time.Now()
	for p := uint64(0); p < passes; p++ {
		for i := range ws {
			o := ws[i].Value()
			if o == nil {
				bad++
				continue
			}
			sum += o.id
			if o.canary != canary(uint64(i)) {
				bad++
			}
		}
	}
	return upgrades{time.Since(start), passes * uint64(len(ws)), sum, bad}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "w5: "+format+"\n", args...)
	os.Exit(1)
}

// livePhases runs phases 1 and 2 and returns only the weak pointers: once it has returned,
// nothing holds the objects.
func livePhases(hotIters, passes uint64) []weak.Pointer[obj] {
	t0 := time.Now()
	objs := make([]*obj, n)
	for i := range objs {
		objs[i] = newObj(uint64(i))
	}
	ws := make([]weak.Pointer[obj], n)
	alloc := time.Since(t0)
	fmt.Printf("info alloc of %d objects and weak slots (untimed): %d ms\n", n, alloc.Milliseconds())

	start := time.Now()
	for i, o := range objs {
		ws[i] = weak.Make(o)
	}
	create := time.Since(start)
	peer.Metric("create", float64(create.Nanoseconds())/n, "ns/op")

	runtime.GC() // untimed: start the upgrade loops from a finished, swept cycle
	mid := uint64(n / 2)
	upgradeHot(ws[mid], mid, hotIters/100) // warm-up
	hot := upgradeHot(ws[mid], mid, hotIters)
	if hot.bad != 0 || hot.idSum != mid*hotIters {
		fail("upgrade_hot: %d bad upgrades of a live object, id sum %d", hot.bad, hot.idSum)
	}
	upgradeWalk(ws, 1) // warm-up
	walk := upgradeWalk(ws, passes)
	if want := uint64(n*(n-1)/2) * passes; walk.bad != 0 || walk.idSum != want {
		fail("upgrade_walk: %d bad upgrades of live objects, id sum %d (want %d)", walk.bad, walk.idSum, want)
	}
	peer.Metric("upgrade_hot", float64(hot.elapsed.Nanoseconds())/float64(hot.ops), "ns/op")
	peer.Metric("upgrade_walk", float64(walk.elapsed.Nanoseconds())/float64(walk.ops), "ns/op")
	runtime.KeepAlive(objs)
	return ws
}

// clearPhase is phase 3: a timed runtime.GC() with every object of ws unreachable, then the
// number of pointers that still upgrade.
func clearPhase(ws []weak.Pointer[obj]) {
	start := time.Now()
	runtime.GC()
	elapsed := time.Since(start)
	notCleared := 0
	for i := range ws {
		if ws[i].Value() != nil {
			notCleared++
		}
	}
	peer.Ms("clear_gc", elapsed)
	peer.Metric("not_cleared", float64(notCleared), "count")
	if notCleared > 0 {
		fmt.Printf("info %d of %d weak pointers still upgrade after the clearing collection\n", notCleared, n)
	}
}

type entry struct {
	id uint64
	w  weak.Pointer[obj]
}

type set struct {
	entries [setSize]atomic.Pointer[entry]
	strong  [setSize]*obj // even slots' objects; written by the replacer only
}

// put puts a new object id into slot j: held strongly if j is even.
func (s *set) put(j int, id uint64) {
	o := newObj(id)
	e := &entry{id: id, w: weak.Make(o)}
	if j%2 == 0 {
		s.strong[j] = o
	} else {
		s.strong[j] = nil
	}
	s.entries[j].Store(e)
}

func newSet() *set {
	s := new(set)
	for j := 0; j < setSize; j++ {
		s.put(j, uint64(j))
	}
	return s
}

type readerStats struct{ upgrades, hits, bad uint64 }

func reader(s *set, start int, stop *atomic.Bool) readerStats {
	var st readerStats
	j := start & (setSize - 1)
	for !stop.Load() {
		for k := 0; k < batch; k++ {
			e := s.entries[j].Load()
			if o := e.w.Value(); o != nil {
				st.hits++
				if o.id != e.id || o.canary != canary(e.id) {
					st.bad++
				}
			}
			j = (j + 1) & (setSize - 1)
		}
		st.upgrades += batch
	}
	return st
}

func collector(stop *atomic.Bool) uint64 {
	var n uint64
	for !stop.Load() {
		runtime.GC()
		n++
	}
	return n
}

func replacer(s *set, firstID uint64, stop *atomic.Bool) uint64 {
	id := firstID
	for !stop.Load() {
		for k := 0; k < batch; k++ {
			s.put(int(id&(setSize-1)), id)
			id++
		}
	}
	return id - firstID
}

// concurrent is phase 4.
func concurrent(d time.Duration) {
	s := newSet()
	var stop atomic.Bool
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	readers := make(chan readerStats, 2)
	for r := 0; r < 2; r++ {
		go func() { readers <- reader(s, r*setSize/2, &stop) }()
	}
	gcs := make(chan uint64, 1)
	go func() { gcs <- collector(&stop) }()
	reps := make(chan uint64, 1)
	go func() { reps <- replacer(s, setSize, &stop) }()
	time.Sleep(d)
	stop.Store(true)
	var r readerStats
	for i := 0; i < 2; i++ {
		x := <-readers
		r.upgrades += x.upgrades
		r.hits += x.hits
		r.bad += x.bad
	}
	collections := <-gcs
	replaced := <-reps
	secs := time.Since(start).Seconds()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	peer.Metric("upgrades_per_s", float64(r.upgrades)/secs, "ops/s")
	peer.Metric("bad_upgrades", float64(r.bad), "count")
	peer.Metric("gcs_per_s", float64(collections)/secs, "ops/s")
	peer.Metric("replaces_per_s", float64(replaced)/secs, "ops/s")
	fmt.Printf("info concurrent: %.2f s, %d upgrades (%.1f%% returned an object), %d bad, %d runtime.GC calls (%d cycles in all), %d replacements\n",
		secs, r.upgrades, 100*float64(r.hits)/float64(max(r.upgrades, 1)), r.bad, collections, ms1.NumGC-ms0.NumGC, replaced)
	runtime.KeepAlive(s)
	if r.bad > 0 {
		fail("%d bad upgrades: Value() returned a freed or reused object", r.bad)
	}
}

func main() {
	quick := flag.Bool("quick", false, "smoke test: phase 4 for 1 s, fewer upgrades (not W5's counts)")
	seconds := flag.Float64("seconds", 5, "length of phase 4")
	flag.Parse()
	hot, passes, d := uint64(100_000_000), uint64(10), time.Duration(*seconds*float64(time.Second))
	if *quick {
		hot, passes, d = 10_000_000, 2, time.Second
	}
	peer.Procs()
	fmt.Printf("info w5 go %s n=%d hot=%d walk_passes=%d set=%d seconds=%g\n", runtime.Version(), n, hot, passes, setSize, d.Seconds())
	ws := livePhases(hot, passes)
	clearPhase(ws)
	ws = nil
	concurrent(d)
}
