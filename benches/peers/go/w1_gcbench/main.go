// W1 "GCBench", the Go peer (Hans Boehm's GCBench, as in benches/README.md and its C twin
// benches/peers/bdwgc/w1_gcbench.c): a temporary stretch tree of depth 18; a long-lived tree
// of depth 16 and an array of 500,000 doubles kept live to the end; then for depths
// d = 4, 6, ..., 16, NumIters(d) = 2*TreeSize(18)/TreeSize(d) temporary trees built top-down
// (Populate: parent first, then children stored into it) and as many bottom-up (MakeTree:
// children first), TreeSize(i) = 2^(i+1) - 1.
//
// Node is GCBench's: two pointers and two 32-bit ints (24 bytes, as in the C original).
// Each temporary tree is held by the package-level root tempTree while it is built, as the
// Java original's local and the C peer's volatile global, so neither compiler can drop it.
//
// Metrics: total (ms, everything after runtime start: stretch tree, long-lived data,
// all depths), peak_rss (VmHWM, KiB), gc_count (completed GC cycles, runtime.MemStats.NumGC).
// The per-depth times of the original's output are printed as `info` lines.
//
// Usage: w1_gcbench [-quick]   (-quick is accepted and changes nothing: W1 takes under a
// second at full size, so the smoke test runs it as defined)
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
	arraySize = 500_000
	minDepth  = 4

	stretchDepth   = 18
	longLivedDepth = 16
	maxDepth       = 16
)

type Node struct {
	left, right *Node
	i, j        int32
}

// tempTree is the root of the temporary tree being built.
var tempTree *Node

func treeSize(i int) int { return (1 << (i + 1)) - 1 }

func numIters(i int) int { return 2 * treeSize(stretchDepth) / treeSize(i) }

// populate builds a tree top-down: the node exists first, its children are stored into it.
func populate(depth int, n *Node) {
	if depth <= 0 {
		return
	}
	depth--
	n.left = &Node{}
	n.right = &Node{}
	populate(depth, n.left)
	populate(depth, n.right)
}

// makeTree builds a tree bottom-up: children first, then the parent pointing at them.
func makeTree(depth int) *Node {
	if depth <= 0 {
		return &Node{}
	}
	left := makeTree(depth - 1)
	right := makeTree(depth - 1)
	return &Node{left: left, right: right}
}

func timeConstruction(depth int) {
	iters := numIters(depth)
	fmt.Printf("info creating %d trees of depth %d\n", iters, depth)

	start := time.Now()
	for i := 0; i < iters; i++ {
		tempTree = &Node{}
		populate(depth, tempTree)
		tempTree = nil
	}
	fmt.Printf("info top-down construction took %d ms\n", time.Since(start).Milliseconds())

	start = time.Now()
	for i := 0; i < iters; i++ {
		tempTree = makeTree(depth)
		tempTree = nil
	}
	fmt.Printf("info bottom-up construction took %d ms\n", time.Since(start).Milliseconds())
}

func main() {
	flag.Bool("quick", false, "accepted for run.sh; W1 runs at full size either way")
	flag.Parse()
	peer.Procs()
	fmt.Printf("info w1 go %s stretch=%d long_lived=%d depths=%d..%d array=%d\n",
		runtime.Version(), stretchDepth, longLivedDepth, minDepth, maxDepth, arraySize)

	start := time.Now()

	fmt.Printf("info stretching memory with a binary tree of depth %d\n", stretchDepth)
	tempTree = makeTree(stretchDepth)
	tempTree = nil

	fmt.Printf("info creating a long-lived binary tree of depth %d\n", longLivedDepth)
	longLived := &Node{}
	populate(longLivedDepth, longLived)

	fmt.Printf("info creating a long-lived array of %d doubles\n", arraySize)
	array := make([]float64, arraySize)
	for i := 0; i < arraySize/2; i++ {
		array[i] = 1.0 / float64(i)
	}

	for d := minDepth; d <= maxDepth; d += 2 {
		timeConstruction(d)
	}

	if longLived == nil || array[1000] != 1.0/1000 {
		fmt.Fprintln(os.Stderr, "w1: failed: the long-lived data did not survive")
		os.Exit(1)
	}
	elapsed := time.Since(start)
	runtime.KeepAlive(longLived)
	runtime.KeepAlive(array)

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("info completed in %d ms\n", elapsed.Milliseconds())
	peer.Ms("total", elapsed)
	peer.PeakRSS()
	peer.Metric("gc_count", float64(ms.NumGC), "GCs")
}
