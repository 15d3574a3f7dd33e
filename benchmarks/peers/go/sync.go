package main

import (
	"fmt"
	"sync"
	"time"
)

// runMutex is the twin of gocsp_bench's mutex workloads (benchmarks/sync_workloads.hpp): k
// goroutines share n lock/increment/unlock operations on one sync.Mutex (n/k each, the
// remainder to the first ones). The measured region includes starting the goroutines.
func runMutex(n, k int) (result, error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	start := time.Now()
	wg.Add(k)
	for i := 0; i < k; i++ {
		ops := n / k
		if i < n%k {
			ops++
		}
		go func(ops int) {
			defer wg.Done()
			for j := 0; j < ops; j++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}(ops)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if counter != n {
		return result{}, fmt.Errorf("mutex: %d increments of %d", counter, n)
	}
	return result{elapsed: elapsed}, nil
}
