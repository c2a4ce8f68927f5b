// W3 "alloc", the Go peer (C twin: benches/peers/bdwgc/w3_alloc.c): 100 million allocations
// of a 16-byte object (two pointers) in a loop that keeps only the last 1,000 live, each new
// object stored into the next slot of a ring of 1,000 roots; the same with 64-byte (8
// pointers) and 512-byte (64 pointers) objects. Every object is pointerful, so it is
// allocated as scannable memory on both sides (Go: not the tiny allocator; bdwgc: GC_MALLOC).
//
// The ring is a package-level array: a real GC root, read at the end (every slot must hold an
// object), so the compiler can drop neither the stores nor the allocations. Each object's
// first field points at itself, a pointer store into the new object (the ring holds the only
// reference from outside it, so nothing older is kept alive). Each size first runs 1,000,000
// allocations untimed (warm-up), then the measured loop.
//
// Metrics: alloc_16b, alloc_64b, alloc_512b in ns per allocation (the loop, index update and
// root store included; GC work triggered by the loop included).
//
// Usage: w3_alloc [-quick] [-n N]   (N allocations per size, default 100,000,000; -quick: 10M)
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"tricolorpeers/internal/peer"
)

const (
	ringSize = 1_000
	warmup   = 1_000_000
)

type obj16 struct{ self, b *obj16 }

type obj64 struct {
	self *obj64
	p    [7]*obj64
}

type obj512 struct {
	self *obj512
	p    [63]*obj512
}

var (
	ring16  [ringSize]*obj16
	ring64  [ringSize]*obj64
	ring512 [ringSize]*obj512
)

func alloc16(n int) time.Duration {
	start := time.Now()
	j := 0
	for i := 0; i < n; i++ {
		o := new(obj16)
		o.self = o
		ring16[j] = o
		if j++; j == ringSize {
			j = 0
		}
	}
	return time.Since(start)
}

func alloc64(n int) time.Duration {
	start := time.Now()
	j := 0
	for i := 0; i < n; i++ {
		o := new(obj64)
		o.self = o
		ring64[j] = o
		if j++; j == ringSize {
			j = 0
		}
	}
	return time.Since(start)
}

func alloc512(n int) time.Duration {
	start := time.Now()
	j := 0
	for i := 0; i < n; i++ {
		o := new(obj512)
		o.self = o
		ring512[j] = o
		if j++; j == ringSize {
			j = 0
		}
	}
	return time.Since(start)
}

// checkRing reads every root: each must hold an object whose self field points at it.
func checkRing() {
	for j := 0; j < ringSize; j++ {
		if ring16[j] == nil || ring16[j].self != ring16[j] ||
			ring64[j] == nil || ring64[j].self != ring64[j] ||
			ring512[j] == nil || ring512[j].self != ring512[j] {
			fmt.Fprintf(os.Stderr, "w3: ring slot %d lost its object\n", j)
			os.Exit(1)
		}
	}
}

func main() {
	quick := flag.Bool("quick", false, "smoke test: n = 10,000,000 (not W3's count)")
	nFlag := flag.Int("n", 100_000_000, "allocations per object size")
	flag.Parse()
	n := *nFlag
	if *quick {
		n = 10_000_000
	}
	if n < ringSize {
		fmt.Fprintf(os.Stderr, "w3: n must be at least the ring size %d\n", ringSize)
		os.Exit(2)
	}
	peer.Procs()
	fmt.Printf("info w3 go %s n=%d ring=%d\n", runtime.Version(), n, ringSize)

	alloc16(warmup)
	peer.Metric("alloc_16b", float64(alloc16(n).Nanoseconds())/float64(n), "ns/op")
	alloc64(warmup)
	peer.Metric("alloc_64b", float64(alloc64(n).Nanoseconds())/float64(n), "ns/op")
	alloc512(warmup)
	peer.Metric("alloc_512b", float64(alloc512(n).Nanoseconds())/float64(n), "ns/op")
	checkRing()

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("info gc_count=%d\n", ms.NumGC)
}
