// demo - gocsp in a few seconds: many goroutines sleeping at once on a few threads, and what
// a goroutine costs next to a std::thread.
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

static double ms_since(clock_type::time_point t) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

int main() {
    std::printf("gocsp %s: %d worker threads\n\n", GOCSP_VERSION_STRING, gocsp::maxprocs());

    // 1. Sleeping goroutines park; they do not hold a thread.
    {
        constexpr int n = 100'000;
        gocsp::wait_group wg;
        wg.add(n);
        auto start = clock_type::now();
        for (int i = 0; i < n; ++i)
            gocsp::go([&wg] {
                gocsp::sleep_for(500ms);
                wg.done();
            });
        wg.wait();
        std::printf("%d goroutines each slept 500 ms: all done after %.0f ms\n", n, ms_since(start));
    }

    // 2. Spawning: goroutines against OS threads, same work (signal a counter).
    {
        constexpr int n = 1'000'000;
        gocsp::wait_group wg;
        wg.add(1);
        double go_ns = 0;
        gocsp::go([&] {
            gocsp::wait_group inner;
            inner.add(n);
            auto start = clock_type::now();
            for (int i = 0; i < n; ++i) gocsp::go([&inner] { inner.done(); });
            inner.wait();
            go_ns = ms_since(start) * 1e6 / n;
            wg.done();
        });
        wg.wait();

        constexpr int t = 10'000;
        std::atomic<int> count{0};
        auto start = clock_type::now();
        std::vector<std::thread> threads;
        threads.reserve(t);
        for (int i = 0; i < t; ++i) threads.emplace_back([&count] { ++count; });
        for (auto& th : threads) th.join();
        double thread_ns = ms_since(start) * 1e6 / t;
        std::printf("start + finish: goroutine %.0f ns (of %d), std::thread %.0f ns (of %d): %.0fx\n", go_ns, n,
                    thread_ns, t, thread_ns / go_ns);
    }
    return 0;
}
