// W8 "sched", the Go peer of benches/src/bin/w8.rs (kernels in benches/src/w8.rs): the same
// operations, counts and waves, printing the same `metric <name> <ns> ns/op` lines.
//
// Joining: Tricolor's JoinHandle is one allocation per goroutine (closure + result slot) that
// the joiner parks on. The closest Go equivalent is one result channel of capacity 1 per
// goroutine, received from by the joiner, so spawnJoinWaves and spawnJoinSerial join that
// way. spawnWaitWavesWG joins with one sync.WaitGroup per wave on both sides (the cheapest
// join either offers). See benches/README.md, "Fairness".
//
// GOMAXPROCS is set by the harness (benches/run.sh), as TRICOLOR_PROCS is for our side. Each
// kernel first runs once with `wave` operations, untimed, as ours does.
//
// Usage: w8_sched [-quick] [-ops N]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

const (
	opsDefault = 1_000_000 // W8's count: goroutines, or round trips
	wave       = 10_000    // goroutines alive at once in the "all then wait" runs
)

// sink keeps results observable, as std::hint::black_box does on our side.
var sink uint64

func check(name string, sum, n uint64) {
	if want := n * (n - 1) / 2; n > 0 && sum != want {
		fmt.Fprintf(os.Stderr, "w8 %s: wrong sum %d, want %d\n", name, sum, want)
		os.Exit(1)
	}
}

// spawnJoinWaves: start a wave of goroutines, each sending its index on its own channel,
// then receive from each channel in spawn order ("all then wait").
func spawnJoinWaves(n, w uint64) time.Duration {
	chans := make([]chan uint64, 0, w)
	var sum uint64
	start := time.Now()
	for next := uint64(0); next < n; {
		end := min(next+w, n)
		for i := next; i < end; i++ {
			ch := make(chan uint64, 1)
			go func() { ch <- i }()
			chans = append(chans, ch)
		}
		for _, ch := range chans {
			sum += <-ch
		}
		clear(chans) // drop references, as draining our Vec of JoinHandles does
		chans = chans[:0]
		next = end
	}
	elapsed := time.Since(start)
	check("spawnJoinWaves", sum, n)
	sink += sum
	return elapsed
}

// spawnWaitWavesWG: the same waves, joined with one WaitGroup per wave.
func spawnWaitWavesWG(n, w uint64) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for next := uint64(0); next < n; {
		end := min(next+w, n)
		wg.Add(int(end - next))
		for i := next; i < end; i++ {
			go func() { wg.Done() }()
		}
		wg.Wait()
		next = end
	}
	return time.Since(start)
}

// spawnJoinSerial: spawn one goroutine and join it, n times ("one at a time").
func spawnJoinSerial(n uint64) time.Duration {
	var sum uint64
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		ch := make(chan uint64, 1)
		go func() { ch <- i }()
		sum += <-ch
	}
	elapsed := time.Since(start)
	check("spawnJoinSerial", sum, n)
	sink += sum
	return elapsed
}

// chanPingPong: n round trips over two unbuffered channels with an echoing partner, which
// is started before and joined after the timed part.
func chanPingPong(n uint64) time.Duration {
	ping := make(chan uint64)
	pong := make(chan uint64)
	done := make(chan struct{})
	go func() {
		for v := range ping {
			pong <- v
		}
		close(done)
	}()
	var sum uint64
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		ping <- i
		sum += <-pong
	}
	elapsed := time.Since(start)
	close(ping)
	<-done
	check("chanPingPong", sum, n)
	sink += sum
	return elapsed
}

func report(name string, d time.Duration, ops uint64) {
	fmt.Printf("metric %s %.2f ns/op\n", name, float64(d.Nanoseconds())/float64(max(ops, 1)))
}

func main() {
	quick := flag.Bool("quick", false, "smoke test: ops = 10000 (figures are not W8's)")
	ops := flag.Uint64("ops", opsDefault, "goroutines / round trips per measured run")
	flag.Parse()
	n := *ops
	if *quick {
		n = wave
	}
	// run.sh checks this line against the procs it asked for.
	fmt.Printf("procs %d\n", runtime.GOMAXPROCS(0))
	fmt.Printf("info w8 go %s ops=%d wave=%d\n", runtime.Version(), n, wave)
	warm := min(uint64(wave), n)

	spawnJoinWaves(warm, wave)
	report("spawn_join_waves", spawnJoinWaves(n, wave), n)
	spawnWaitWavesWG(warm, wave)
	report("spawn_wait_waves_wg", spawnWaitWavesWG(n, wave), n)
	spawnJoinSerial(warm)
	report("spawn_join_serial", spawnJoinSerial(n), n)
	chanPingPong(warm)
	report("chan_ping_pong", chanPingPong(n), n)
}
