package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"runtime"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// runCancel is the twin of gocsp_bench's cancel workload (benchmarks/cancel_workload.hpp): for
// each of five calls, n times, start the call with a fresh context.WithCancel in a goroutine,
// wait until that goroutine is parked in it (its state in runtime.Stack, then a further 100 us),
// call cancel(), and time cancel() -> the call returning with the context's error. Each call is
// written as Go programs write it:
//
//	sleep     select on a timer's channel (time.NewTimer(time.Hour), stopped after) and ctx.Done()
//	blocking  a goroutine runs f, a read(2) on a blocking pipe that holds its OS thread until
//	          the call has returned; the caller selects on f's result and ctx.Done()
//	read      conn.Read on a silent loopback connection, a goroutine watching ctx.Done() sets a
//	          read deadline in the past
//	accept    Accept on a listener nobody dials, a goroutine watching ctx.Done() closes it (a
//	          new listener each time)
//	dial      net.Dialer.DialContext to a listener whose backlog is full
//
// One op is one cancellation; the elapsed time is the sum of the measured latencies. Extra
// fields as gocsp's: CALL_median_us, CALL_p99_us, CALL_max_us, then p99_us, max_us and
// over_10ms (how many took longer than 10 ms) over all.
func runCancel(n int) (result, error) {
	var all []time.Duration
	var extra []string
	record := func(name string, call func(ctx context.Context) bool) error {
		d, err := measureCancel(n, call)
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		all = append(all, d...)
		extra = append(extra, latencyFields(name, d)...)
		return nil
	}

	if err := record("sleep", func(ctx context.Context) bool {
		t := time.NewTimer(time.Hour)
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-ctx.Done():
			return ctx.Err() == context.Canceled
		}
	}); err != nil {
		return result{}, err
	}

	if err := record("blocking", func(ctx context.Context) bool {
		// A pipe of its own: f reads one byte, written after the call (f then closes the pipe).
		var pipe [2]int
		if err := syscall.Pipe2(pipe[:], syscall.O_CLOEXEC); err != nil {
			return false
		}
		done := make(chan struct{}, 1)
		go func() {
			var b [1]byte
			syscall.Read(pipe[0], b[:])
			syscall.Close(pipe[0])
			syscall.Close(pipe[1])
			done <- struct{}{}
		}()
		right := false
		select {
		case <-done:
		case <-ctx.Done():
			right = ctx.Err() == context.Canceled
		}
		syscall.Write(pipe[1], []byte{0})
		return right
	}); err != nil {
		return result{}, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return result{}, err
	}
	defer client.Close()
	server, err := ln.Accept()
	ln.Close()
	if err != nil {
		return result{}, err
	}
	defer server.Close()
	if err := record("read", func(ctx context.Context) bool {
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			select {
			case <-ctx.Done():
				server.SetReadDeadline(time.Unix(1, 0))
			case <-stop:
			}
		}()
		var buf [64]byte
		_, err := server.Read(buf[:])
		close(stop)
		<-stopped
		server.SetReadDeadline(time.Time{})
		return err != nil && ctx.Err() == context.Canceled
	}); err != nil {
		return result{}, err
	}

	if err := record("accept", func(ctx context.Context) bool {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return false
		}
		stop := make(chan struct{})
		go func() {
			select {
			case <-ctx.Done():
			case <-stop:
			}
			l.Close()
		}()
		_, err = l.Accept()
		close(stop)
		return err != nil && ctx.Err() == context.Canceled
	}); err != nil {
		return result{}, err
	}

	full, err := newFullListener()
	if err != nil {
		return result{}, err
	}
	defer full.close()
	var d net.Dialer
	if err := record("dial", func(ctx context.Context) bool {
		c, err := d.DialContext(ctx, "tcp", full.addr)
		if c != nil {
			c.Close()
		}
		return err != nil && ctx.Err() == context.Canceled
	}); err != nil {
		return result{}, err
	}

	var total time.Duration
	over := 0
	for _, v := range all {
		total += v
		if v > 10*time.Millisecond {
			over++
		}
	}
	sortDurations(all)
	extra = append(extra, "p99_us="+usString(p99OfSorted(all)), "max_us="+usString(all[len(all)-1]),
		"over_10ms="+strconv.Itoa(over))
	return result{elapsed: total, ops: len(all), extra: extra}, nil
}

// measureCancel: n cancellations of call(ctx), which must return true when it ended with the
// context's error; the latencies from cancel() to call's return. The measuring stamp is taken by
// the call's goroutine right after call returned.
func measureCancel(n int, call func(ctx context.Context) bool) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	origin := time.Now()
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		var ended atomic.Int64
		var right atomic.Bool
		ids := make(chan int64, 1)
		finished := make(chan struct{})
		go func() {
			ids <- goroutineID()
			r := call(ctx)
			ended.Store(int64(time.Since(origin)))
			right.Store(r)
			close(finished)
		}()
		id := <-ids
		giveUp := time.Now().Add(10 * time.Second)
		for !goroutineParked(id) {
			if time.Now().After(giveUp) {
				cancel()
				return nil, fmt.Errorf("the call's goroutine never parked")
			}
			time.Sleep(20 * time.Microsecond)
		}
		time.Sleep(100 * time.Microsecond) // well into its park
		start := time.Since(origin)
		cancel()
		<-finished
		if !right.Load() {
			return nil, fmt.Errorf("the call did not end with the context's error")
		}
		out = append(out, time.Duration(ended.Load())-start)
	}
	return out, nil
}

// goroutineID: the calling goroutine's id, from its stack trace's first line.
func goroutineID() int64 {
	var buf [64]byte
	s := buf[:runtime.Stack(buf[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	id, _ := strconv.ParseInt(string(s[:bytes.IndexByte(s, ' ')]), 10, 64)
	return id
}

// goroutineParked: whether goroutine id is waiting (not running or runnable), from a dump of
// every goroutine (false if it is not found).
func goroutineParked(id int64) bool {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	head := []byte("goroutine " + strconv.FormatInt(id, 10) + " [")
	at := bytes.Index(buf, head)
	if at < 0 {
		return false
	}
	state := buf[at+len(head):]
	return !bytes.HasPrefix(state, []byte("running")) && !bytes.HasPrefix(state, []byte("runnable"))
}

// fullListener: a listening socket with a backlog of 0 that never accepts, and the connections
// that filled its queue: a dial to it hangs (the kernel drops the SYN).
type fullListener struct {
	fd     int
	addr   string
	queued []net.Conn
}

func newFullListener() (*fullListener, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := &fullListener{fd: fd}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		f.close()
		return nil, err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		f.close()
		return nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		f.close()
		return nil, err
	}
	f.addr = fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for i := 0; i < 64; i++ {
		c, err := net.DialTimeout("tcp", f.addr, 100*time.Millisecond)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return f, nil // it hung: the queue is full
		} else if err != nil {
			f.close()
			return nil, err
		}
		f.queued = append(f.queued, c)
	}
	f.close()
	return nil, fmt.Errorf("the listener's backlog never filled")
}

func (f *fullListener) close() {
	for _, c := range f.queued {
		c.Close()
	}
	syscall.Close(f.fd)
}

func sortDurations(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }

// p99OfSorted: the 99th percentile (nearest rank) of sorted, non-empty samples.
func p99OfSorted(d []time.Duration) time.Duration { return d[(len(d)*99+99)/100-1] }

func usString(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) }

// latencyFields: NAME_median_us, NAME_p99_us and NAME_max_us of d (sorted here).
func latencyFields(name string, d []time.Duration) []string {
	sortDurations(d)
	return []string{name + "_median_us=" + usString(d[len(d)/2]), name + "_p99_us=" + usString(p99OfSorted(d)),
		name + "_max_us=" + usString(d[len(d)-1])}
}
