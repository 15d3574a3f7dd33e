package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// echo: N loopback connections to an echo server in this process; each
// client does 64-byte request/response round trips for about 2 s. One op is
// one round trip.
func runEcho(n int) (result, error) {
	ln, err := startEchoServer()
	if err != nil {
		return result{}, err
	}
	defer ln.Close()

	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return result{}, err
		}
		conns = append(conns, c)
	}
	var stop atomic.Bool
	var total int64
	var failed atomic.Value
	var wg sync.WaitGroup
	wg.Add(n)
	start := time.Now()
	for _, c := range conns {
		go func(c net.Conn) {
			defer wg.Done()
			msg, buf := bytes.Repeat([]byte{'m'}, 64), make([]byte, 64)
			count := int64(0)
			for !stop.Load() {
				if err := roundTrip(c, msg, buf); err != nil {
					failed.Store(err)
					return
				}
				count++
			}
			atomic.AddInt64(&total, count)
		}(c)
	}
	time.Sleep(2 * time.Second)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	for _, c := range conns {
		c.Close()
	}
	if err, ok := failed.Load().(error); ok {
		return result{}, err
	}
	return result{elapsed: elapsed, ops: int(total), extra: []string{
		fmt.Sprintf("rtt_per_sec=%.0f", float64(total)/elapsed.Seconds()),
	}}, nil
}

// roundTrip writes msg to c and reads the reply into buf (len(msg) bytes).
func roundTrip(c net.Conn, msg, buf []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	_, err := io.ReadFull(c, buf)
	return err
}

// startEchoServer starts an echo server on 127.0.0.1: a goroutine per
// connection writes back what it reads, until the listener is closed.
func startEchoServer() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					k, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:k]); err != nil {
						return
					}
				}
			}(c)
		}
	}()
	return ln, nil
}

// timers: N goroutines each sleep a random 1-10 ms in a loop for about 2 s;
// how late the wake-ups are (median and 99th percentile, in microseconds).
// One op is one sleep.
func runTimers(n int) (result, error) {
	end := time.Now().Add(2 * time.Second)
	late := make([][]time.Duration, n)
	var wg sync.WaitGroup
	wg.Add(n)
	start := time.Now()
	for i := 0; i < n; i++ {
		go func(i int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i + 1)))
			mine := make([]time.Duration, 0, 512)
			for time.Now().Before(end) {
				d := time.Duration(1000+rng.Intn(9001)) * time.Microsecond
				due := time.Now().Add(d)
				time.Sleep(d)
				mine = append(mine, time.Since(due))
			}
			late[i] = mine
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, v := range late {
		all = append(all, v...)
	}
	if len(all) == 0 {
		return result{}, fmt.Errorf("no samples")
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	quantile := func(q float64) float64 {
		return float64(all[int(q*float64(len(all)-1))].Nanoseconds()) / 1e3
	}
	return result{elapsed: elapsed, ops: len(all), extra: []string{
		fmt.Sprintf("median_late_us=%.1f", quantile(0.5)),
		fmt.Sprintf("p10_late_us=%.1f", quantile(0.1)),
		fmt.Sprintf("p90_late_us=%.1f", quantile(0.9)),
		fmt.Sprintf("p99_late_us=%.1f", quantile(0.99)),
		fmt.Sprintf("sleeps=%d", len(all)),
	}}, nil
}
