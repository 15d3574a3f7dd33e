// demo - gocsp in a few seconds: many goroutines sleeping at once on a few threads, and what
// a goroutine and a channel hand-off cost next to a std::thread and a mutex + condition variable.
// (benchmarks/run.sh measures the whole picture, against Go and Boost.Fiber too.)
#include <gocsp/gocsp.hpp>

#include "flags.hpp"  // flag::parse_help: -h and -help

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

static double ms_since(clock_type::time_point t) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

// What a std::thread program uses instead of an unbuffered channel: a one-value slot guarded by a
// mutex, with a condition variable each way (the sender waits until the value was taken).
class handoff {
public:
    void send(long v) {
        std::unique_lock lock(m_);
        changed_.wait(lock, [&] { return !slot_; });
        slot_ = v;
        changed_.notify_all();
        changed_.wait(lock, [&] { return !slot_; });
    }
    long recv() {
        std::unique_lock lock(m_);
        changed_.wait(lock, [&] { return slot_.has_value(); });
        long v = *slot_;
        slot_.reset();
        changed_.notify_all();
        return v;
    }

private:
    std::mutex m_;
    std::condition_variable changed_;
    std::optional<long> slot_;
};

int main(int argc, char** argv) {
    flag::parse_help(argc, argv);
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

    // 3. Ping-pong: two goroutines bounce a number over two unbuffered channels; the same with two
    //    threads and mutex + condition-variable hand-offs.
    {
        constexpr long n = 200'000;
        double go_ns = 0;
        gocsp::wait_group wg;
        wg.add(1);
        gocsp::go([&] {
            gocsp::chan<long> ping(0), pong(0);
            gocsp::go([=] {
                for (long i = 0; i < n; ++i) pong.send(ping.recv() + 1);
            });
            auto start = clock_type::now();
            long v = 0;
            for (long i = 0; i < n; ++i) {
                ping.send(v);
                v = pong.recv();
            }
            go_ns = ms_since(start) * 1e6 / n;
            wg.done();
        });
        wg.wait();

        constexpr long t = 10'000;
        handoff ping, pong;
        std::thread other([&] {
            for (long i = 0; i < t; ++i) pong.send(ping.recv() + 1);
        });
        auto start = clock_type::now();
        long v = 0;
        for (long i = 0; i < t; ++i) {
            ping.send(v);
            v = pong.recv();
        }
        double thread_ns = ms_since(start) * 1e6 / t;
        other.join();
        std::printf("ping-pong round trip: goroutines %.0f ns (of %ld), std::threads %.0f ns (of %ld): %.0fx\n",
                    go_ns, n, thread_ns, t, thread_ns / go_ns);
    }
    return 0;
}
