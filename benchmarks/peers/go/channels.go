package main

import (
	"fmt"
	"sync"
	"time"
)

// split divides n items among k workers as evenly as possible
// (the first n%k workers get one more).
func split(n, k, i int) int {
	c := n / k
	if i < n%k {
		c++
	}
	return c
}

// pingpong: two goroutines bounce a value over two unbuffered channels;
// one op is one round trip.
func runPingPong(n int) (result, error) {
	ping := make(chan int)
	pong := make(chan int)
	done := make(chan struct{})

	start := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			v := <-ping
			pong <- v + 1
		}
		close(done)
	}()
	v := 0
	for i := 0; i < n; i++ {
		ping <- v
		v = <-pong
	}
	<-done
	elapsed := time.Since(start)

	if v != n {
		return result{}, fmt.Errorf("final value %d, want %d", v, n)
	}
	return result{elapsed: elapsed}, nil
}

// spawn: N goroutines that each signal a WaitGroup; one op is one goroutine.
func runSpawn(n int) (result, error) {
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
	return result{elapsed: time.Since(start)}, nil
}

// skynetNode is one node of the 10-ary tree covering leaves
// [num, num+size); it sends the sum of its leaf numbers on out.
func skynetNode(out chan<- int, num, size int) {
	if size == 1 {
		out <- num
		return
	}
	children := make(chan int)
	sub := size / 10
	for i := 0; i < 10; i++ {
		go skynetNode(children, num+i*sub, sub)
	}
	sum := 0
	for i := 0; i < 10; i++ {
		sum += <-children
	}
	out <- sum
}

// skynet: 10-ary tree of goroutines down to N leaves; one op is one leaf.
func runSkynet(n int) (result, error) {
	for p := n; p != 1; p /= 10 {
		if p%10 != 0 {
			return result{}, fmt.Errorf("N=%d is not a power of 10", n)
		}
	}
	out := make(chan int)
	start := time.Now()
	go skynetNode(out, 0, n)
	sum := <-out
	elapsed := time.Since(start)

	want := n * (n - 1) / 2
	if sum != want {
		return result{}, fmt.Errorf("sum %d, want %d", sum, want)
	}
	return result{elapsed: elapsed, extra: []string{fmt.Sprintf("sum=%d", sum)}}, nil
}

// spsc: one sender, one receiver on a channel of the given capacity;
// the sender closes, the receiver ranges. One op is one message.
func runSPSC(n, capacity int) (result, error) {
	ch := make(chan int, capacity)
	start := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			ch <- i
		}
		close(ch)
	}()
	count, sum := 0, 0
	for v := range ch {
		count++
		sum += v
	}
	elapsed := time.Since(start)

	if count != n || sum != n*(n-1)/2 {
		return result{}, fmt.Errorf("received %d messages summing to %d, want %d and %d",
			count, sum, n, n*(n-1)/2)
	}
	return result{elapsed: elapsed}, nil
}

const mpmcSenders, mpmcReceivers = 4, 4

// mpmc: 4 senders and 4 receivers on one channel of the given capacity,
// N messages in all. When the senders are done the channel is closed and
// the receivers' ranges end. One op is one message.
func runMPMC(n, capacity int) (result, error) {
	ch := make(chan int, capacity)
	var senders, receivers sync.WaitGroup
	var counts, sums [mpmcReceivers]int

	start := time.Now()
	receivers.Add(mpmcReceivers)
	for r := 0; r < mpmcReceivers; r++ {
		go func(r int) {
			defer receivers.Done()
			c, s := 0, 0
			for v := range ch {
				c++
				s += v
			}
			counts[r], sums[r] = c, s
		}(r)
	}
	senders.Add(mpmcSenders)
	base := 0
	for s := 0; s < mpmcSenders; s++ {
		k := split(n, mpmcSenders, s)
		go func(from, to int) {
			defer senders.Done()
			for i := from; i < to; i++ {
				ch <- i
			}
		}(base, base+k)
		base += k
	}
	go func() {
		senders.Wait()
		close(ch)
	}()
	receivers.Wait()
	elapsed := time.Since(start)

	count, sum := 0, 0
	for r := 0; r < mpmcReceivers; r++ {
		count += counts[r]
		sum += sums[r]
	}
	if count != n || sum != n*(n-1)/2 {
		return result{}, fmt.Errorf("received %d messages summing to %d, want %d and %d",
			count, sum, n, n*(n-1)/2)
	}
	return result{elapsed: elapsed}, nil
}

// select4: 4 senders, each on its own unbuffered channel, N messages in all;
// one receiver selects over the 4 channels until it has counted N.
// The channels are never closed. One op is one message.
func runSelect4(n int) (result, error) {
	var chs [4]chan int
	for i := range chs {
		chs[i] = make(chan int)
	}
	var senders sync.WaitGroup
	var got [4]int

	start := time.Now()
	senders.Add(4)
	for s := 0; s < 4; s++ {
		go func(ch chan<- int, k int) {
			defer senders.Done()
			for i := 0; i < k; i++ {
				ch <- i
			}
		}(chs[s], split(n, 4, s))
	}
	for received := 0; received < n; received++ {
		select {
		case <-chs[0]:
			got[0]++
		case <-chs[1]:
			got[1]++
		case <-chs[2]:
			got[2]++
		case <-chs[3]:
			got[3]++
		}
	}
	senders.Wait()
	elapsed := time.Since(start)

	for s := 0; s < 4; s++ {
		if got[s] != split(n, 4, s) {
			return result{}, fmt.Errorf("channel %d delivered %d messages, want %d", s, got[s], split(n, 4, s))
		}
	}
	return result{elapsed: elapsed}, nil
}
