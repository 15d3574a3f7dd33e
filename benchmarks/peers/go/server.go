package main

// The Go twins of gocsp_bench's server workloads (benchmarks/server_workloads.hpp, which says
// what each measures): fanout, churn and walk.

import (
	"bytes"
	"fmt"
	"io/ioutil"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	fanoutDeliveries  = 1_000_000
	fanoutMinMessages = 100
	fanoutMessageSize = 200
	fanoutQueue       = 1024
	fanoutBatch       = 64 * 1024
	churnTrips        = 4
	dialEchoTrips     = 100
	walkLeaves        = 1000
)

// cpuMillis is the user + system CPU time of this process so far.
func cpuMillis() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// fanoutWriter writes a subscriber's messages, everything queued (up to
// fanoutBatch bytes) in one write, until its channel is closed.
func fanoutWriter(c net.Conn, ch <-chan string) {
	defer c.Close()
	batch := make([]byte, 0, fanoutBatch)
	held := ""
	for {
		msg := held
		held = ""
		if msg == "" {
			m, ok := <-ch
			if !ok {
				return
			}
			msg = m
		}
		batch = append(batch[:0], msg...)
	gather:
		for len(batch) < fanoutBatch {
			select {
			case m, ok := <-ch:
				if !ok {
					break gather
				}
				if len(batch)+len(m) > fanoutBatch {
					held = m
					break gather
				}
				batch = append(batch, m...)
			default:
				break gather
			}
		}
		c.Write(batch)
	}
}

// fanout: one publisher, n TCP subscribers on loopback.
func runFanout(n int) (result, error) {
	messages := fanoutDeliveries / n
	if messages < fanoutMinMessages {
		messages = fanoutMinMessages
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	subscribed := make(chan []chan string)
	go func() {
		subs := make([]chan string, 0, n)
		for i := 0; i < n; i++ {
			c, err := ln.Accept()
			if err != nil {
				panic(err)
			}
			ch := make(chan string, fanoutQueue)
			go fanoutWriter(c, ch)
			subs = append(subs, ch)
		}
		subscribed <- subs
	}()
	expected := messages * fanoutMessageSize
	var readers sync.WaitGroup
	var shortRead atomic.Bool
	readers.Add(n)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return result{}, err
		}
		go func(c net.Conn) {
			defer readers.Done()
			defer c.Close()
			buf := make([]byte, fanoutBatch)
			got := 0
			for got < expected {
				k, err := c.Read(buf)
				got += k
				if err != nil {
					break
				}
			}
			if got != expected {
				shortRead.Store(true)
			}
		}(c)
	}
	subs := <-subscribed
	cpu0 := cpuMillis()
	start := time.Now()
	for m := 0; m < messages; m++ {
		b := make([]byte, fanoutMessageSize)
		for i := range b {
			b[i] = byte('a' + m%26)
		}
		b[len(b)-1] = '\n'
		msg := string(b)
		for _, ch := range subs {
			ch <- msg
		}
	}
	for _, ch := range subs {
		close(ch)
	}
	readers.Wait()
	elapsed := time.Since(start)
	cpu := cpuMillis() - cpu0
	if shortRead.Load() {
		return result{}, fmt.Errorf("a subscriber got the wrong number of bytes")
	}
	deliveries := float64(n) * float64(messages)
	return result{elapsed: elapsed, ops: n * messages, extra: []string{
		fmt.Sprintf("deliveries_per_sec=%.0f", deliveries/elapsed.Seconds()),
		fmt.Sprintf("cpu_ms=%.1f", cpu),
		fmt.Sprintf("cpu_ns_per_delivery=%.1f", cpu*1e6/deliveries),
	}}, nil
}

// churn: n clients dialing, making churnTrips round trips and closing, for
// about 2 s.
func runChurn(n int) (result, error) {
	ln, err := startEchoServer()
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	addr := ln.Addr().String()
	var stop atomic.Bool
	var total int64
	var failed atomic.Value
	var wg sync.WaitGroup
	wg.Add(n)
	cpu0 := cpuMillis()
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			defer wg.Done()
			count := int64(0)
			for !stop.Load() {
				if err := echoSession(addr, churnTrips); err != nil {
					failed.Store(err)
					return
				}
				count++
			}
			atomic.AddInt64(&total, count)
		}()
	}
	time.Sleep(2 * time.Second)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuMillis() - cpu0
	if err, ok := failed.Load().(error); ok {
		return result{}, err
	}
	return result{elapsed: elapsed, ops: int(total), extra: []string{
		fmt.Sprintf("conns_per_sec=%.0f", float64(total)/elapsed.Seconds()),
		fmt.Sprintf("cpu_ms=%.1f", cpu),
	}}, nil
}

func walkFileSize(k, j int) int64 { return int64((k*131 + j*17) % 8192) }

func walkShare(n, k int) int {
	s := n / walkLeaves
	if k < n%walkLeaves {
		s++
	}
	return s
}

// walkTree makes the walk's tree of n files once (the same tree as
// gocsp_bench's) and returns its path.
func walkTree(n int) (string, error) {
	root := filepath.Join(os.TempDir(), "gocsp-bench-walk-"+strconv.Itoa(n))
	if _, err := os.Stat(root); err == nil {
		return root, nil
	}
	part := root + ".part" + strconv.Itoa(os.Getpid())
	if err := os.Mkdir(part, 0755); err != nil {
		return "", err
	}
	for k := 0; k < walkLeaves; k++ {
		dir := filepath.Join(part, "d"+strconv.Itoa(k/100), "d"+strconv.Itoa(k/10%10), "d"+strconv.Itoa(k%10))
		if err := os.MkdirAll(dir, 0755); err != nil {
			return "", err
		}
		for j := 0; j < walkShare(n, k); j++ {
			f, err := os.Create(filepath.Join(dir, "f"+strconv.Itoa(j)))
			if err != nil {
				return "", err
			}
			if err := f.Truncate(walkFileSize(k, j)); err != nil {
				return "", err
			}
			f.Close()
		}
	}
	if err := os.Rename(part, root); err != nil {
		os.RemoveAll(part) // another run made it first
	}
	return root, nil
}

// walkDir is du1's: sends the size of every file under dir on fileSizes.
func walkDir(dir string, fileSizes chan<- int64) {
	entries, err := ioutil.ReadDir(dir)
	if err != nil {
		panic(err)
	}
	for _, entry := range entries {
		if entry.IsDir() {
			walkDir(filepath.Join(dir, entry.Name()), fileSizes)
		} else {
			fileSizes <- entry.Size()
		}
	}
}

// walk: du1 on a generated tree of n files.
func runWalk(n int) (result, error) {
	root, err := walkTree(n)
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	fileSizes := make(chan int64)
	go func() {
		walkDir(root, fileSizes)
		close(fileSizes)
	}()
	var files, bytes int64
	for size := range fileSizes {
		files++
		bytes += size
	}
	elapsed := time.Since(start)
	var want int64
	for k := 0; k < walkLeaves; k++ {
		for j := 0; j < walkShare(n, k); j++ {
			want += walkFileSize(k, j)
		}
	}
	if files != int64(n) || bytes != want {
		return result{}, fmt.Errorf("wrong totals: %d files, %d bytes", files, bytes)
	}
	return result{elapsed: elapsed, extra: []string{
		fmt.Sprintf("files=%d", files),
		fmt.Sprintf("bytes=%d", bytes),
	}}, nil
}

// echoSession is one client connection of churn and dialecho: it dials addr, makes trips
// round trips of 64 bytes and closes.
func echoSession(addr string, trips int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	msg, buf := bytes.Repeat([]byte{'e'}, 64), make([]byte, 64)
	for t := 0; t < trips; t++ {
		if err := roundTrip(c, msg, buf); err != nil {
			return err
		}
	}
	return nil
}

// dialecho: n clients at once, each dialing, making dialEchoTrips round trips and closing; the
// measured region runs from the first dial to the last close. One op is one round trip.
func runDialEcho(n int) (result, error) {
	ln, err := startEchoServer()
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	addr := ln.Addr().String()
	var failed atomic.Value
	var wg sync.WaitGroup
	wg.Add(n)
	cpu0 := cpuMillis()
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			defer wg.Done()
			if err := echoSession(addr, dialEchoTrips); err != nil {
				failed.Store(err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuMillis() - cpu0
	if err, ok := failed.Load().(error); ok {
		return result{}, err
	}
	trips := n * dialEchoTrips
	return result{elapsed: elapsed, ops: trips, extra: []string{
		fmt.Sprintf("trips_per_sec=%.0f", float64(trips)/elapsed.Seconds()),
		fmt.Sprintf("cpu_ms=%.1f", cpu),
	}}, nil
}
