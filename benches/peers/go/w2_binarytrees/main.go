// W2 "binary-trees", the Go peer: the Benchmarks Game program, single-threaded version
// (C twin: benches/peers/bdwgc/w2_binarytrees.c). maxDepth = max(6, N); a stretch tree of
// depth maxDepth+1 is built, checked and dropped; a long-lived tree of depth maxDepth is kept;
// then for depth = 4, 6, ..., maxDepth, 2^(maxDepth-depth+4) trees of that depth are built and
// checked one after another; finally the long-lived tree is checked. A tree of depth 0 is one
// node; check counts the nodes. Node is two pointers (16 bytes).
//
// The lines of the standard output ("stretch tree of depth ...", "... trees of depth ...",
// "long lived tree of depth ...") are the correctness check: run.sh compares them with
// benches/peers/expected/w2_binarytrees-<N>.txt. Then the metric lines: total (ms, from the
// stretch tree to the last line) and peak_rss (VmHWM, KiB).
//
// Usage: w2_binarytrees [-quick] [N]   (N defaults to 21, W2's size; -quick is N = 16)
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"tricolorpeers/internal/peer"
)

const minDepth = 4

type Node struct{ left, right *Node }

func bottomUpTree(depth int) *Node {
	if depth <= 0 {
		return &Node{}
	}
	depth--
	return &Node{bottomUpTree(depth), bottomUpTree(depth)}
}

func (n *Node) itemCheck() int {
	if n.left == nil {
		return 1
	}
	return 1 + n.left.itemCheck() + n.right.itemCheck()
}

func main() {
	quick := flag.Bool("quick", false, "smoke test: N = 16 (not W2's size)")
	flag.Parse()
	n := 21
	if *quick {
		n = 16
	}
	if flag.NArg() > 0 {
		v, err := strconv.Atoi(flag.Arg(0))
		if err != nil {
			fmt.Fprintf(os.Stderr, "w2: N must be a number, got %q\n", flag.Arg(0))
			os.Exit(2)
		}
		n = v
	}
	peer.Procs()
	fmt.Printf("info w2 go %s n=%d\n", runtime.Version(), n)

	start := time.Now()
	maxDepth := max(minDepth+2, n)
	stretchDepth := maxDepth + 1

	fmt.Printf("stretch tree of depth %d\t check: %d\n", stretchDepth, bottomUpTree(stretchDepth).itemCheck())

	longLived := bottomUpTree(maxDepth)

	for depth := minDepth; depth <= maxDepth; depth += 2 {
		iterations := 1 << uint(maxDepth-depth+minDepth)
		check := 0
		for i := 1; i <= iterations; i++ {
			check += bottomUpTree(depth).itemCheck()
		}
		fmt.Printf("%d\t trees of depth %d\t check: %d\n", iterations, depth, check)
	}
	fmt.Printf("long lived tree of depth %d\t check: %d\n", maxDepth, longLived.itemCheck())
	elapsed := time.Since(start)

	peer.Ms("total", elapsed)
	peer.PeakRSS()
}
