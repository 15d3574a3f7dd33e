// sync_workloads.hpp - the lock workloads: one mutex, N lock/increment/unlock operations in all,
// spread over k workers. Their Go twins are in peers/go/sync.go (sync.Mutex); thread_bench runs
// them with std::mutex and std::threads.
//
//   mutex_uncontended N   one worker does all N operations: the cost of a free lock and unlock.
//   mutex2 N, mutex8 N    2 or 8 workers share the N operations (N/k each, the remainder to the
//                         first ones): the lock bounces between cores, waiters park.
//   mutex1000 N           1,000 workers: a long queue of parked waiters.
//
// The measured region starts before the workers are started and ends when the last one is done
// (starting 1,000 goroutines costs well under 1% of the region; 1,000 threads much more). One op
// is one lock/increment/unlock. The counter is checked at the end.
//
// Generic over a "sync runtime" R: R::mutex, and R::run_all(k, body), which runs body(0) ...
// body(k - 1) concurrently and returns when all have returned. gocsp's (bench::gocsp_sync) is
// defined here when gocsp's headers were included first.
#ifndef GOCSP_BENCHMARKS_SYNC_WORKLOADS_HPP
#define GOCSP_BENCHMARKS_SYNC_WORKLOADS_HPP

#include "common.hpp"

namespace bench {

/// mutex_increments: k workers, n lock/increment/unlock operations in all, on one R::mutex.
template <class R>
result mutex_increments(long n, long k) {
    typename R::mutex mu;
    long counter = 0;
    auto start = clock_type::now();
    R::run_all(k, [&](long i) {
        const long ops = n / k + (i < n % k ? 1 : 0);
        for (long j = 0; j < ops; ++j) {
            mu.lock();
            ++counter;
            mu.unlock();
        }
    });
    double ms = ms_since(start);
    if (counter != n) fail("mutex: increments lost");
    return {ms, ""};
}

/// mutex_workload: the workload with K workers (mutex_uncontended is K = 1).
template <class R, long K>
result mutex_workload(long n) {
    return mutex_increments<R>(n, K);
}

#ifdef GOCSP_VERSION_MAJOR
/// gocsp_sync: gocsp::mutex, and goroutines joined by a wait_group.
struct gocsp_sync {
    using mutex = gocsp::mutex;
    template <class Body>
    static void run_all(long k, Body body) {
        gocsp::wait_group wg;
        wg.add(k);
        for (long i = 0; i < k; ++i)
            gocsp::go([&wg, &body, i] {
                body(i);
                wg.done();
            });
        wg.wait();
    }
};
#endif

}  // namespace bench

#endif
