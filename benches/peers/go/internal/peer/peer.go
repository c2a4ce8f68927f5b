// Package peer holds what every Go peer program prints besides its own work: the `procs <n>`
// line run.sh checks, `metric <name> <value> <unit>` lines (the format of
// benches/src/report.rs), and the process's peak resident set size.
package peer

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Procs prints the `procs <n>` line: GOMAXPROCS as the runtime actually got it.
func Procs() {
	fmt.Printf("procs %d\n", runtime.GOMAXPROCS(0))
}

// Metric prints one `metric` line; name and unit must not contain spaces.
func Metric(name string, value float64, unit string) {
	fmt.Printf("metric %s %.2f %s\n", name, value, unit)
}

// Ms prints a duration as a `ms` metric.
func Ms(name string, d time.Duration) {
	Metric(name, float64(d.Nanoseconds())/1e6, "ms")
}

// PeakRSSKiB returns VmHWM from /proc/self/status: the most resident memory the process has
// had so far, in KiB (0 if the file cannot be read).
func PeakRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			fields := strings.Fields(rest) // "123456 kB"
			if len(fields) > 0 {
				v, _ := strconv.ParseInt(fields[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// PeakRSS prints PeakRSSKiB as the `peak_rss` metric in KiB.
func PeakRSS() {
	Metric("peak_rss", float64(PeakRSSKiB()), "KiB")
}
