package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sieveGenerate sends 2, 3, 4, ... on out forever.
func sieveGenerate(out chan<- int) {
	for i := 2; ; i++ {
		out <- i
	}
}

// sieveFilter passes on the values from in that prime does not divide.
func sieveFilter(in <-chan int, out chan<- int, prime int) {
	for {
		if v := <-in; v%prime != 0 {
			out <- v
		}
	}
}

// nthPrime computes the n-th prime sequentially, to check the sieve.
func nthPrime(n int) int {
	for limit := 64; ; limit *= 2 {
		composite := make([]bool, limit)
		count := 0
		for i := 2; i < limit; i++ {
			if composite[i] {
				continue
			}
			count++
			if count == n {
				return i
			}
			for j := i * i; j < limit; j += i {
				composite[j] = true
			}
		}
	}
}

// sieve: the classic concurrent prime sieve for the first N primes; one op
// is one prime. The generator and filters stay blocked when it is done; the
// process exits right after, so they are simply abandoned.
func runSieve(n int) (result, error) {
	start := time.Now()
	ch := make(chan int)
	go sieveGenerate(ch)
	last := 0
	for i := 0; i < n; i++ {
		prime := <-ch
		last = prime
		next := make(chan int)
		go sieveFilter(ch, next, prime)
		ch = next
	}
	elapsed := time.Since(start)

	if want := nthPrime(n); last != want {
		return result{}, fmt.Errorf("prime #%d is %d, want %d", n, last, want)
	}
	return result{elapsed: elapsed, extra: []string{fmt.Sprintf("last=%d", last)}}, nil
}

// yield: two goroutines on one P alternating through runtime.Gosched();
// N counts the Gosched calls of both together. GOMAXPROCS is 1 while it runs.
func runYield(n int) (result, error) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)

	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(2)
	for g := 0; g < 2; g++ {
		go func(k int) {
			defer wg.Done()
			for i := 0; i < k; i++ {
				runtime.Gosched()
			}
		}(split(n, 2, g))
	}
	wg.Wait()
	return result{elapsed: time.Since(start)}, nil
}

// rssBytes reads VmRSS from /proc/self/status.
func rssBytes() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmRSS:") {
			continue
		}
		fields := strings.Fields(strings.TrimPrefix(line, "VmRSS:"))
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS in /proc/self/status")
}

// settle lets the runtime finish background work before a memory reading.
func settle() {
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
}

// parked: N goroutines each blocked receiving on one shared channel.
// The time is from the first spawn until every goroutine has started (one
// op is one goroutine); bytes_per_goroutine is the resident memory added
// once all of them are parked, divided by N.
func runParked(n int) (result, error) {
	ch := make(chan struct{})
	var started, finished sync.WaitGroup

	settle()
	before, err := rssBytes()
	if err != nil {
		return result{}, err
	}

	start := time.Now()
	started.Add(n)
	finished.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			<-ch
			finished.Done()
		}()
	}
	started.Wait()
	elapsed := time.Since(start)

	// Every goroutine has signalled; give the last ones time to reach the
	// receive and block, then read memory.
	settle()
	after, err := rssBytes()
	if err != nil {
		return result{}, err
	}
	if g := runtime.NumGoroutine(); g < n {
		return result{}, fmt.Errorf("only %d goroutines alive, want at least %d", g, n)
	}

	close(ch)
	finished.Wait()

	perG := float64(after-before) / float64(n)
	return result{elapsed: elapsed, extra: []string{
		fmt.Sprintf("bytes_per_goroutine=%.1f", perG),
		fmt.Sprintf("rss_before_kb=%d", before/1024),
		fmt.Sprintf("rss_after_kb=%d", after/1024),
	}}, nil
}

// burstTrips is how many round trips burst makes after the burst exits
// (one every millisecond after the first).
const burstTrips = 200

// burst: N goroutines alive at once (parked on one channel) all exit; right
// after, the main goroutine makes round trips with a goroutine over two
// unbuffered channels: the first at once, then one every millisecond, while
// the runtime disposes of the burst. The worst round trip (and the first, and
// the median) in microseconds; one op is one round trip.
func runBurst(n int) (result, error) {
	ping := make(chan int)
	pong := make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	release := make(chan struct{})
	var started, finished sync.WaitGroup
	started.Add(n)
	finished.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			<-release
			finished.Done()
		}()
	}
	started.Wait()
	close(release)
	finished.Wait()

	start := time.Now()
	trips := make([]float64, 0, burstTrips)
	for i := 0; i < burstTrips; i++ {
		if i > 0 {
			time.Sleep(time.Millisecond)
		}
		t := time.Now()
		ping <- i
		if v := <-pong; v != i {
			return result{}, fmt.Errorf("wrong reply %d to %d", v, i)
		}
		trips = append(trips, float64(time.Since(t).Nanoseconds())/1e3)
	}
	elapsed := time.Since(start)
	close(ping)

	first := trips[0]
	sort.Float64s(trips)
	return result{elapsed: elapsed, ops: len(trips), extra: []string{
		fmt.Sprintf("worst_rtt_us=%.1f", trips[len(trips)-1]),
		fmt.Sprintf("first_rtt_us=%.1f", first),
		fmt.Sprintf("median_rtt_us=%.1f", trips[len(trips)/2]),
	}}, nil
}
