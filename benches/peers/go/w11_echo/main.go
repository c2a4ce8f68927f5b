// W11 "echo", the Go peer: a TCP echo server and client in one process over loopback, 100
// connections each sending 1 KiB messages and waiting for the echo, for a fixed time
// (GOMAXPROCS = procs). Prints the same metric lines as benches/src/bin/w11.rs.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	secs := flag.Int("secs", 10, "seconds")
	conns := flag.Int("conns", 100, "connections")
	flag.Parse()
	fmt.Printf("procs %d\n", runtime.GOMAXPROCS(0))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				panic(err)
			}
			go func(c net.Conn) {
				b := make([]byte, 1024)
				for {
					if _, err := io.ReadFull(c, b); err != nil {
						return
					}
					if _, err := c.Write(b); err != nil {
						return
					}
				}
			}(c)
		}
	}()
	var stop atomic.Bool
	var wg sync.WaitGroup
	lats := make([][]int64, *conns)
	start := time.Now()
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				panic(err)
			}
			msg := make([]byte, 1024)
			back := make([]byte, 1024)
			lat := make([]int64, 0, 1<<16)
			for !stop.Load() {
				t := time.Now()
				if _, err := c.Write(msg); err != nil {
					panic(err)
				}
				if _, err := io.ReadFull(c, back); err != nil {
					panic(err)
				}
				lat = append(lat, int64(time.Since(t)))
			}
			lats[i] = lat
		}(i)
	}
	time.Sleep(time.Duration(*secs) * time.Second)
	threads := 0
	if d, err := os.ReadDir("/proc/self/task"); err == nil {
		threads = len(d)
	}
	stop.Store(true)
	wg.Wait()
	el := time.Since(start)
	var all []int64
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	q := func(f float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(float64(len(all)) * f)
		if i >= len(all) {
			i = len(all) - 1
		}
		return float64(all[i]) / 1000
	}
	fmt.Printf("metric rtt_per_sec %.0f ops/s\n", float64(len(all))/el.Seconds())
	fmt.Printf("metric p50 %.1f us\n", q(0.50))
	fmt.Printf("metric p99 %.1f us\n", q(0.99))
	fmt.Printf("metric threads %d threads\n", threads)
}
