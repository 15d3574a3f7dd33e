// Command go_bench is the Go twin of gocsp_bench: it runs the benchmark
// workloads defined in design/targets.md with goroutines and channels and
// prints one result line per run in the same format as the C++ runner:
//
//	WORKLOAD n=N total_ms=X ns_per_op=Y [key=value ...]
//
// Usage:
//
//	go_bench WORKLOAD [N]
//	go_bench --list
//
// GOMAXPROCS follows Go's default (number of cores, or the GOMAXPROCS
// environment variable); only the yield workload pins it to 1 while it runs.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// result is what a workload reports besides its wall time.
type result struct {
	elapsed time.Duration // measured region
	ops     int           // operations measured, when not N (ns_per_op = elapsed / ops)
	extra   []string      // additional "key=value" fields, in print order
}

// workload describes one benchmark.
type workload struct {
	name     string
	defaultN int
	run      func(n int) (result, error)
}

var workloads = []workload{
	{"pingpong", 1_000_000, runPingPong},
	{"spawn", 1_000_000, runSpawn},
	{"skynet", 1_000_000, runSkynet},
	{"spsc0", 1_000_000, func(n int) (result, error) { return runSPSC(n, 0) }},
	{"spsc1", 1_000_000, func(n int) (result, error) { return runSPSC(n, 1) }},
	{"spsc1024", 1_000_000, func(n int) (result, error) { return runSPSC(n, 1024) }},
	{"mpmc0", 1_000_000, func(n int) (result, error) { return runMPMC(n, 0) }},
	{"mpmc1024", 1_000_000, func(n int) (result, error) { return runMPMC(n, 1024) }},
	{"select4", 1_000_000, runSelect4},
	{"sieve", 5_000, runSieve},
	{"parked", 100_000, runParked},
	{"yield", 1_000_000, runYield},
	{"echo", 1_000, runEcho},
	{"timers", 10_000, runTimers},
	{"burst", 100_000, runBurst},
	{"fanout", 1_000, runFanout},
	{"churn", 100, runChurn},
	{"dialecho", 1_000, runDialEcho},
	{"walk", 100_000, runWalk},
	{"mutex_uncontended", 10_000_000, func(n int) (result, error) { return runMutex(n, 1) }},
	{"mutex2", 1_000_000, func(n int) (result, error) { return runMutex(n, 2) }},
	{"mutex8", 1_000_000, func(n int) (result, error) { return runMutex(n, 8) }},
	{"mutex1000", 1_000_000, func(n int) (result, error) { return runMutex(n, 1000) }},
	{"cancel", 1_000, runCancel},
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: go_bench WORKLOAD [N]")
	fmt.Fprintln(os.Stderr, "       go_bench --list")
	fmt.Fprint(os.Stderr, "workloads:")
	for _, w := range workloads {
		fmt.Fprintf(os.Stderr, " %s", w.name)
	}
	fmt.Fprintln(os.Stderr)
}

func main() {
	args := os.Args[1:]
	if len(args) == 1 && args[0] == "--list" {
		for _, w := range workloads {
			fmt.Println(w.name)
		}
		return
	}
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		usage()
		return
	}
	if len(args) < 1 || len(args) > 2 {
		usage()
		os.Exit(2)
	}

	var w *workload
	for i := range workloads {
		if workloads[i].name == args[0] {
			w = &workloads[i]
		}
	}
	if w == nil {
		fmt.Fprintf(os.Stderr, "go_bench: unknown workload %q (try --list)\n", args[0])
		os.Exit(2)
	}

	n := w.defaultN
	if len(args) == 2 {
		v, err := strconv.ParseInt(strings.TrimSpace(args[1]), 0, 64)
		if err != nil || v < 1 || v > 1<<40 {
			fmt.Fprintf(os.Stderr, "go_bench: invalid N %q (want a positive integer)\n", args[1])
			os.Exit(2)
		}
		n = int(v)
	}

	// Start every workload from a collected heap so leftovers of process
	// start-up do not land in the measured region.
	runtime.GC()

	res, err := w.run(n)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go_bench: %s: %v\n", w.name, err)
		os.Exit(1)
	}

	ns := float64(res.elapsed.Nanoseconds())
	ops := n
	if res.ops > 0 {
		ops = res.ops
	}
	line := fmt.Sprintf("%s n=%d total_ms=%.3f ns_per_op=%.2f", w.name, n, ns/1e6, ns/float64(ops))
	for _, f := range res.extra {
		line += " " + f
	}
	line += fmt.Sprintf(" gomaxprocs=%d", runtime.GOMAXPROCS(0))
	fmt.Println(line)
}
