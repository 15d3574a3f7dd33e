// chatload times a chat server delivering a burst: it starts the server given as its arguments,
// connects -clients clients, and has the first of them say -lines lines of -size bytes (newline
// included) in one write. It prints the time from that write until the last delivery (every
// client has received the last line, or nothing came for a second: a server may skip a client
// whose queue is full), the deliveries made, and the server's CPU time and context switches
// over the burst (from /proc), then stops the server.
//
//	chatload [-clients 500] [-lines 2000] [-size 200] -addr localhost:8000 -- SERVER [ARG ...]
//	chatload [flags] -pid PID     (a server already listening; PID: the process to measure)
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "localhost:8000", "the server's `host:port`")
	clients := flag.Int("clients", 500, "clients connected")
	lines := flag.Int("lines", 2000, "lines the talker says")
	size := flag.Int("size", 200, "bytes of a line, newline included")
	timeout := flag.Duration("timeout", 60*time.Second, "give up on the burst after this long")
	pid := flag.Int("pid", 0, "measure this process, a server already running (no SERVER)")
	flag.Parse()
	if (flag.NArg() == 0) == (*pid == 0) || *size < 16 {
		fmt.Fprintln(os.Stderr, "usage: chatload [flags] -- SERVER [ARG ...] | chatload [flags] -pid PID")
		os.Exit(2)
	}
	if *pid == 0 {
		*pid = startServer(flag.Args())
	}
	if stop != nil {
		defer stop()
	}

	conns := make([]net.Conn, *clients)
	for i := range conns {
		for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
			c, err := net.Dial("tcp", *addr)
			if err == nil {
				conns[i] = c
				break
			}
			if i > 0 || time.Since(start) > 10*time.Second {
				log.Fatal(err)
			}
		}
	}

	// Every client reads its lines; "sync" lines tell it the broadcaster knows it, burst lines
	// ("#<seq> ...") are counted.
	var synced, done sync.WaitGroup
	synced.Add(*clients)
	done.Add(*clients)
	var delivered atomic.Int64
	lastAt := make([]atomic.Int64, *clients) // a client's latest delivery, in nanoseconds since base
	base := time.Now()
	last := []byte("#" + strconv.Itoa(*lines-1) + " ")
	for i, c := range conns {
		go func(c net.Conn, lastAt *atomic.Int64) {
			in := bufio.NewReaderSize(c, 64<<10)
			sawSync, n := false, int64(0)
			for {
				line, err := in.ReadSlice('\n')
				if err != nil {
					break
				}
				if i := bytes.Index(line, []byte(": #")); i >= 0 {
					n++
					end := bytes.HasPrefix(line[i+2:], last)
					if end || in.Buffered() == 0 { // counted a read's worth at a time
						lastAt.Store(int64(time.Since(base)))
						delivered.Add(n)
						n = 0
					}
					if end {
						break
					}
				} else if !sawSync && bytes.HasSuffix(line, []byte(": sync\n")) {
					sawSync = true
					synced.Done()
				}
			}
			if !sawSync {
				synced.Done()
			}
			done.Done()
		}(c, &lastAt[i])
	}
	talker := conns[0]
	syncDone := make(chan struct{})
	go func() { synced.Wait(); close(syncDone) }()
	for waiting := true; waiting; {
		talker.Write([]byte("sync\n"))
		select {
		case <-syncDone:
			waiting = false
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(100 * time.Millisecond) // the last syncs delivered

	burst := make([]byte, 0, *lines**size)
	for i := 0; i < *lines; i++ {
		line := []byte("#" + strconv.Itoa(i) + " ")
		for len(line) < *size-1 {
			line = append(line, 'x')
		}
		burst = append(append(burst, line...), '\n')
	}
	cpu0, cs0 := usage(*pid)
	start := time.Now()
	if _, err := talker.Write(burst); err != nil {
		log.Fatal(err)
	}
	finished := make(chan struct{})
	go func() { done.Wait(); close(finished) }()
	for seen := int64(-1); ; {
		select {
		case <-finished:
		case <-time.After(time.Second):
			if n := delivered.Load(); n != seen && time.Since(start) < *timeout {
				seen = n
				continue
			}
		}
		break
	}
	var latest int64
	for i := range lastAt {
		if t := lastAt[i].Load(); t > latest {
			latest = t
		}
	}
	elapsed := time.Duration(latest) - start.Sub(base)
	cpu1, cs1 := usage(*pid)
	fmt.Printf("%d clients, %d lines of %d B: delivered %d of %d in %.3f s; server cpu %.2f s, %d context switches\n",
		*clients, *lines, *size, delivered.Load(), *clients**lines, elapsed.Seconds(), cpu1-cpu0, cs1-cs0)
}

var stop func() // stops the server startServer started

func startServer(args []string) int {
	srv := exec.Command(args[0], args[1:]...)
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	stop = func() {
		srv.Process.Kill()
		srv.Wait()
	}
	return srv.Process.Pid
}

// usage: a process's CPU seconds (user + system) and context switches (all threads) so far.
func usage(pid int) (float64, int64) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		log.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	var switches int64
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasSuffix(strings.Fields(l + " x")[0], "ctxt_switches:") {
				n, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
				switches += n
			}
		}
	}
	return (utime + stime) / 100, switches // clock ticks of 1/100 s (USER_HZ on Linux)
}
