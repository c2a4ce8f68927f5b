// W9c, seed 000's program (Go issue 9186) with a message counter: 100 loopback TCP pairs
// ping-ponging 100-byte messages, goroutines recursing deeply with 100-byte frames, and a
// goroutine collecting back to back. Prints messages per second, the Go side of
// `cargo run --release --example seed000_soak -- SECS PROCS` (GOMAXPROCS = procs).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"time"
)

var messages, recursions, collections atomic.Int64

func netguy(r, w net.Conn) {
	buf := make([]byte, 100)
	for {
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		messages.Add(1)
		if _, err := w.Write(buf); err != nil {
			return
		}
	}
}

var g int

//go:noinline
func bigstack(n int) {
	var buf [100]byte
	if n > 0 {
		bigstack(n - 1)
	} else {
		time.Sleep(200 * time.Microsecond)
	}
	g = int(buf[0]) + int(buf[99])
}

func main() {
	secs := flag.Int("secs", 10, "seconds")
	flag.Parse()
	for i := 0; i < 100; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		ch := make(chan net.Conn, 1)
		go func() {
			c1, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				panic(err)
			}
			ch <- c1
		}()
		c2, err := l.Accept()
		if err != nil {
			panic(err)
		}
		c1 := <-ch
		go netguy(c1, c2)
		go netguy(c2, c1)
		c1.Write(make([]byte, 100))
	}
	for i := 0; i < 8; i++ {
		go func() {
			for {
				bigstack(400)
				recursions.Add(1)
				time.Sleep(200 * time.Microsecond)
			}
		}()
	}
	go func() {
		for {
			runtime.GC()
			collections.Add(1)
		}
	}()
	start := time.Now()
	time.Sleep(time.Duration(*secs) * time.Second)
	el := time.Since(start).Seconds()
	fmt.Printf("procs %d\n", runtime.GOMAXPROCS(0))
	fmt.Printf("metric messages_per_sec %.0f msg/s\n", float64(messages.Load())/el)
	fmt.Printf("metric collections %d cycles\n", collections.Load())
}
