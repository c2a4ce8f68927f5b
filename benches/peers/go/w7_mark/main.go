// W7 "mark", the Go peer (C twin: benches/peers/bdwgc/w7_mark.c): 256 MiB live of 4-pointer
// nodes (32 bytes each, 8,388,608 nodes), then 5 explicit full collections timed; reported
// as MB (10^6 bytes) of live nodes marked per second. Two heap shapes, one after the other:
//
//   - random: links 0 and 1 form a binary tree laid over a random permutation of the nodes
//     (the node at tree position t has its children at tree positions 2t+1 and 2t+2), so every
//     tree edge goes to a random place in the heap; links 2 and 3 point to uniformly random
//     nodes.
//   - local: links 0 and 1 form a binary tree in pre-order allocation order (the left child is
//     the next node allocated, the right child follows the left subtree), links 2 and 3 point
//     to a random node within 32 nodes (1 KiB) either side in allocation order.
//
// Every node is reachable from the tree's root, the only root once the graph is built (the
// slice used to build it is dropped and collected before the timing starts). Links 0 and 1
// are nil at the tree's leaves; links 2 and 3 are never nil. The random numbers come from
// the same xorshift64* generator and seed as the C peer, so both build the same graph.
//
// mark_rate = the nodes' bytes (nodes * 32, the same figure on every side) * 5 / time of the
// 5 runtime.GC() calls (each one a full cycle: mark, and the sweep runtime.GC finishes before
// returning). live_<shape> is the live heap as the runtime sees it after a collection
// (runtime.MemStats.HeapAlloc): the nodes plus the runtime's own small objects, within 0.1%
// of the nodes' bytes. After the timing the tree is walked and its nodes counted, so a
// collector that lost nodes fails instead of looking fast.
//
// Metrics per shape: mark_rate_<shape> (MB/s), gc_<shape> (ms per collection), live_<shape>
// (MB, as measured).
//
// Usage: w7_mark [-quick] [-mib M]   (M MiB of nodes, default 256; -quick: 32)
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
	collections = 5
	nodeSize    = 32 // bytes: 4 pointers
	window      = 32 // local links reach this many nodes either side
	seed        = 0x9E3779B97F4A7C15
)

type Node struct{ link [4]*Node }

type rng struct{ x uint64 }

// next is xorshift64* (Vigna), as in the C peer.
func (r *rng) next() uint64 {
	r.x ^= r.x >> 12
	r.x ^= r.x << 25
	r.x ^= r.x >> 27
	return r.x * 0x2545F4914F6CDD1D
}

func (r *rng) below(n uint64) uint64 { return r.next() % n }

// allocNodes allocates n zeroed nodes in order and returns them in a slice (a root while the
// graph is linked).
func allocNodes(n int) []*Node {
	nodes := make([]*Node, n)
	for i := range nodes {
		nodes[i] = &Node{}
	}
	return nodes
}

// buildRandom links nodes as the random shape and returns the root.
func buildRandom(nodes []*Node, r *rng) *Node {
	n := len(nodes)
	perm := make([]uint32, n)
	for i := range perm {
		perm[i] = uint32(i)
	}
	for i := n - 1; i > 0; i-- {
		j := r.below(uint64(i + 1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	for t := 0; t < n; t++ {
		node := nodes[perm[t]]
		if c := 2*t + 1; c < n {
			node.link[0] = nodes[perm[c]]
		}
		if c := 2*t + 2; c < n {
			node.link[1] = nodes[perm[c]]
		}
	}
	for i := 0; i < n; i++ {
		nodes[i].link[2] = nodes[r.below(uint64(n))]
		nodes[i].link[3] = nodes[r.below(uint64(n))]
	}
	return nodes[perm[0]]
}

// linkPreorder makes nodes[lo] the root of a tree of size n laid out in pre-order.
func linkPreorder(nodes []*Node, lo, n int) {
	left := (n - 1) / 2
	right := n - 1 - left
	if left > 0 {
		nodes[lo].link[0] = nodes[lo+1]
		linkPreorder(nodes, lo+1, left)
	}
	if right > 0 {
		nodes[lo].link[1] = nodes[lo+1+left]
		linkPreorder(nodes, lo+1+left, right)
	}
}

// buildLocal links nodes as the local shape and returns the root.
func buildLocal(nodes []*Node, r *rng) *Node {
	n := len(nodes)
	linkPreorder(nodes, 0, n)
	for i := 0; i < n; i++ {
		for k := 2; k < 4; k++ {
			off := int(r.below(2*window+1)) - window
			nodes[i].link[k] = nodes[((i+off)%n+n)%n]
		}
	}
	return nodes[0]
}

// countTree counts the nodes reachable through links 0 and 1.
func countTree(root *Node) int {
	if root == nil {
		return 0
	}
	return 1 + countTree(root.link[0]) + countTree(root.link[1])
}

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func measure(shape string, n int, build func([]*Node, *rng) *Node) {
	r := &rng{x: seed}
	buildStart := time.Now()
	nodes := allocNodes(n)
	root := build(nodes, r)
	nodes = nil
	fmt.Printf("info %s: built %d nodes in %d ms\n", shape, n, time.Since(buildStart).Milliseconds())

	runtime.GC() // collects the build slices; the graph is all that is left
	runtime.GC()
	live := heapAlloc()

	start := time.Now()
	for i := 0; i < collections; i++ {
		runtime.GC()
	}
	elapsed := time.Since(start)

	if got := countTree(root); got != n {
		fmt.Fprintf(os.Stderr, "w7 %s: the tree has %d nodes after the collections, want %d\n", shape, got, n)
		os.Exit(1)
	}
	runtime.KeepAlive(root)
	nodesMB := float64(n*nodeSize) / 1e6
	fmt.Printf("info %s: live %d bytes (nodes alone: %d), %d collections in %d ms\n",
		shape, live, n*nodeSize, collections, elapsed.Milliseconds())
	peer.Metric("mark_rate_"+shape, nodesMB*collections/elapsed.Seconds(), "MB/s")
	peer.Metric("gc_"+shape, float64(elapsed.Nanoseconds())/1e6/collections, "ms")
	peer.Metric("live_"+shape, float64(live)/1e6, "MB")
}

func main() {
	quick := flag.Bool("quick", false, "smoke test: 32 MiB of nodes (not W7's size)")
	mib := flag.Int("mib", 256, "MiB of live nodes")
	flag.Parse()
	m := *mib
	if *quick {
		m = 32
	}
	n := m << 20 / nodeSize
	peer.Procs()
	fmt.Printf("info w7 go %s mib=%d nodes=%d collections=%d\n", runtime.Version(), m, n, collections)
	measure("random", n, buildRandom)
	runtime.GC()
	measure("local", n, buildLocal)
}
