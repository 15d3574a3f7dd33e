// Resident memory added per parked goroutine, measured as `gocsp_bench parked` measures it: N
// goroutines blocked receiving on one channel, VmRSS before and 50 ms after they all started.
//
//   parked_memory N      prints "bytes_per_goroutine=B"
//
// This file is built with assertions (NDEBUG undefined, whatever the build type says);
// parked_memory_ndebug.cpp includes it with NDEBUG defined. Debug aids must not cost memory: the
// two figures must agree.
#ifndef GOCSP_PARKED_MEMORY_NDEBUG
#undef NDEBUG
#endif

#include <gocsp/gocsp.hpp>

#include "../../benchmarks/common.hpp"  // bench::rss_kb, as the benchmark measures

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    const long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 10000;
    gocsp::chan<int> ch(0);
    gocsp::wait_group started, finished;
    const long before = bench::rss_kb();
    started.add(n);
    finished.add(n);
    for (long i = 0; i < n; ++i)
        gocsp::go([&] {
            started.done();
            ch.recv();
            finished.done();
        });
    started.wait();
    gocsp::sleep_for(std::chrono::milliseconds(50));
    const long after = bench::rss_kb();
    ch.close();
    finished.wait();
    std::printf("bytes_per_goroutine=%.1f debug=%d\n", static_cast<double>(after - before) * 1024.0 / static_cast<double>(n),
                gocsp::detail::debug_build ? 1 : 0);
    return 0;
}
