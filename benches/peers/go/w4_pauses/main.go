// W4 "pauses", the Go peer (C twin: benches/peers/bdwgc/w4_pauses.c; Tricolor side:
// benches/src/w4.rs): about 1 GiB of 32-byte two-pointer nodes in complete binary trees of
// depth 14 (1 MiB each), then for 10 s one goroutine replaces random depth-10 subtrees
// (64 KiB) with fresh ones while the collector runs. Reports the replacement phase's
// collections, the longest and 99th-percentile stop-the-world pause (from the runtime/metrics
// histogram /sched/pauses/total/gc:seconds, bucket upper bounds), the worst single
// replacement and replacements per second.
//
// Usage: w4_pauses [-quick] [-mib M] [-secs S]   (default 1024 MiB, 10 s; -quick: 64 MiB, 2 s)
package main

import (
	"flag"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"sort"
	"time"

	"tricolorpeers/internal/peer"
)

const (
	depth    = 14
	subDepth = 10
)

type Node struct {
	left, right *Node
	v, pad      int64
}

func build(d int) *Node {
	if d == 0 {
		return &Node{v: 0}
	}
	return &Node{left: build(d - 1), right: build(d - 1), v: int64(d)}
}

func count(n *Node) int64 {
	if n == nil {
		return 0
	}
	return 1 + count(n.left) + count(n.right)
}

const pauseMetric = "/sched/pauses/total/gc:seconds"

func pauses() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: pauseMetric}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

// quantile of the pauses added between h0 and h1: the upper bound of the bucket holding it.
func quantile(h0, h1 *metrics.Float64Histogram, q float64) (float64, uint64) {
	type b struct {
		top float64
		n   uint64
	}
	var bs []b
	var total uint64
	for i := range h1.Counts {
		n := h1.Counts[i] - h0.Counts[i]
		if n == 0 {
			continue
		}
		top := h1.Buckets[i+1]
		if math.IsInf(top, 1) {
			top = h1.Buckets[i]
		}
		bs = append(bs, b{top, n})
		total += n
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].top < bs[j].top })
	want := uint64(math.Ceil(q * float64(total)))
	if want < 1 {
		want = 1
	}
	var seen uint64
	for _, x := range bs {
		seen += x.n
		if seen >= want {
			return x.top, total
		}
	}
	return 0, total
}

func main() {
	quick := flag.Bool("quick", false, "64 MiB, 2 s")
	mib := flag.Int("mib", 1024, "MiB of live trees")
	secs := flag.Float64("secs", 10, "seconds of replacements")
	flag.Parse()
	if *quick {
		*mib, *secs = 64, 2
	}
	peer.Procs()
	fmt.Printf("info w4 go %s mib=%d secs=%g\n", runtime.Version(), *mib, *secs)
	trees := make([]*Node, *mib)
	t0 := time.Now()
	for i := range trees {
		trees[i] = build(depth)
	}
	fmt.Printf("info built %d trees in %v\n", *mib, time.Since(t0))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gc0 := ms.NumGC
	h0 := pauses()
	x := uint64(0x9E3779B97F4A7C15)
	next := func() uint64 {
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		return x * 0x2545F4914F6CDD1D
	}
	var ops int64
	var worst time.Duration
	start := time.Now()
	limit := time.Duration(*secs * float64(time.Second))
	for time.Since(start) < limit {
		t := time.Now()
		r := next()
		n := trees[r%uint64(*mib)]
		for level := 0; level < depth-subDepth-1; level++ {
			if (r>>(20+level))&1 == 0 {
				n = n.left
			} else {
				n = n.right
			}
		}
		fresh := build(subDepth)
		if (r>>40)&1 == 0 {
			n.left = fresh
		} else {
			n.right = fresh
		}
		if d := time.Since(t); d > worst {
			worst = d
		}
		ops++
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms)
	h1 := pauses()
	maxP, n := quantile(h0, h1, 1)
	p99, _ := quantile(h0, h1, 0.99)
	want := int64(1)<<(depth+1) - 1
	for _, t := range trees {
		if count(t) != want {
			panic("w4: a tree lost nodes")
		}
	}
	fmt.Printf("info %d pauses in the replacement phase\n", n)
	peer.Metric("gc_count", float64(ms.NumGC-gc0), "count")
	peer.Metric("max_pause", maxP*1e3, "ms")
	peer.Metric("p99_pause", p99*1e3, "ms")
	peer.Metric("worst_stall", float64(worst)/1e6, "ms")
	peer.Metric("ops", float64(ops)/elapsed.Seconds(), "ops/s")
	peer.PeakRSS()
}
