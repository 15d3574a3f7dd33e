// gocsp_bench - gocsp's benchmark runner.
//
//   gocsp_bench WORKLOAD [N]     prints one line: WORKLOAD n=N total_ms=X ns_per_op=Y [key=value...]
//   gocsp_bench --list           the workloads, one per line
//
// The same workloads exist in Go (peers/go), with std::thread (peers/thread) and with
// Boost.Fiber (peers/fiber), each printing the same line; benchmarks/run.sh compares them.
// Each workload here uses only gocsp's public API, and runs in a goroutine, as the Go twin's
// runs in its main goroutine - or, with GOCSP_BENCH_IN=main (the gocsp_bench_main wrapper), in
// main() itself, as a program ported from Go runs it (burst always measures main()'s thread).
#include "cancel_workload.hpp"
#include "common.hpp"
#include "server_workloads.hpp"

#include <gocsp/gocsp.hpp>

#include "sync_workloads.hpp"

#include <boost/context/detail/fcontext.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace {

using bench::clock_type;
using bench::fail;
using bench::ms_since;
using bench::result;

// spawn: N goroutines that each signal a wait group; then wait.
result spawn(long n) {
    gocsp::wait_group wg;
    auto start = clock_type::now();
    wg.add(n);
    for (long i = 0; i < n; ++i) gocsp::go([&wg] { wg.done(); });
    wg.wait();
    return {ms_since(start), ""};
}

// yield: two goroutines on one worker alternating through yield(); N switches in all.
result yield(long n) {
    gocsp::wait_group wg;
    std::atomic<bool> go_flag{false};
    auto body = [&](long count) {
        while (!go_flag.load(std::memory_order_acquire)) gocsp::yield();
        for (long i = 0; i < count; ++i) gocsp::yield();
        wg.done();
    };
    wg.add(2);
    gocsp::go(body, n / 2 + n % 2);
    gocsp::go(body, n / 2);
    auto start = clock_type::now();
    go_flag.store(true, std::memory_order_release);
    wg.wait();
    return {ms_since(start), ""};
}

// pingpong: two goroutines bounce a value over two unbuffered channels; N round trips.
result pingpong(long n) {
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
    double ms = ms_since(start);
    if (v != n) fail("pingpong: wrong final value");
    return {ms, ""};
}

// skynet: a 10-ary tree of goroutines down to N leaves; leaves send their number up.
void skynet_node(gocsp::send_chan<long> up, long num, long size) {
    if (size == 1) {
        up.send(num);
        return;
    }
    gocsp::chan<long> rc(0);
    const long child = size / 10;
    for (long i = 0; i < 10; ++i) gocsp::go(skynet_node, rc, num + i * child, child);
    long sum = 0;
    for (long i = 0; i < 10; ++i) sum += rc.recv();
    up.send(sum);
}

result skynet(long n) {
    bench::check_skynet_n(n);
    gocsp::chan<long> root(0);
    auto start = clock_type::now();
    gocsp::go(skynet_node, root, 0L, n);
    long sum = root.recv();
    double ms = ms_since(start);
    if (sum != n * (n - 1) / 2) fail("skynet: wrong sum");
    return {ms, " sum=" + std::to_string(sum)};
}

// spsc: one sender, one receiver, capacity cap; the sender closes, the receiver ranges.
result spsc(long n, std::size_t cap) {
    gocsp::chan<long> ch(cap);
    auto start = clock_type::now();
    gocsp::go([=] {
        for (long i = 0; i < n; ++i) ch.send(i);
        ch.close();
    });
    long count = 0, sum = 0;
    for (long v : ch) {
        ++count;
        sum += v;
    }
    double ms = ms_since(start);
    if (count != n || sum != n * (n - 1) / 2) fail("spsc: lost or duplicated messages");
    return {ms, ""};
}
result spsc0(long n) { return spsc(n, 0); }
result spsc1(long n) { return spsc(n, 1); }
result spsc1024(long n) { return spsc(n, 1024); }

// mpmc: 4 senders and 4 receivers on one channel of capacity cap; N messages in all.
result mpmc(long n, std::size_t cap) {
    constexpr int p = 4;
    gocsp::chan<long> ch(cap);
    gocsp::wait_group senders, receivers;
    std::atomic<long> count{0};
    auto start = clock_type::now();
    senders.add(p);
    receivers.add(p);
    for (int s = 0; s < p; ++s)
        gocsp::go([&, s] {
            const long mine = bench::share(n, p, s);
            for (long i = 0; i < mine; ++i) ch.send(i);
            senders.done();
        });
    for (int r = 0; r < p; ++r)
        gocsp::go([&] {
            long got = 0;
            for (long v : ch) {
                (void)v;
                ++got;
            }
            count += got;
            receivers.done();
        });
    senders.wait();
    ch.close();
    receivers.wait();
    double ms = ms_since(start);
    if (count != n) fail("mpmc: lost or duplicated messages");
    return {ms, ""};
}
result mpmc0(long n) { return mpmc(n, 0); }
result mpmc1024(long n) { return mpmc(n, 1024); }

// select4: 4 senders, each on its own unbuffered channel; one receiver selects over the 4.
result select4(long n) {
    constexpr int p = 4;
    std::vector<gocsp::chan<long>> chans;
    for (int i = 0; i < p; ++i) chans.emplace_back(0);
    auto start = clock_type::now();
    for (int s = 0; s < p; ++s)
        gocsp::go(
            [](gocsp::send_chan<long> out, long mine) {
                for (long i = 0; i < mine; ++i) out.send(i);
            },
            chans[static_cast<std::size_t>(s)], bench::share(n, p, s));
    long v = 0, count = 0;
    while (count < n) {
        gocsp::select(gocsp::recv_case(chans[0], v), gocsp::recv_case(chans[1], v), gocsp::recv_case(chans[2], v),
                      gocsp::recv_case(chans[3], v));
        ++count;
    }
    return {ms_since(start), ""};
}

// sieve: the concurrent prime sieve; the first N primes.
result sieve(long n) {
    auto start = clock_type::now();
    gocsp::chan<long> ch(0);
    gocsp::go([ch] {
        for (long i = 2;; ++i) ch.send(i);
    });
    long prime = 0;
    for (long i = 0; i < n; ++i) {
        prime = ch.recv();
        gocsp::chan<long> next(0);
        gocsp::go(
            [](gocsp::recv_chan<long> in, gocsp::send_chan<long> out, long p) {
                for (;;) {
                    long v = in.recv();
                    if (v % p != 0) out.send(v);
                }
            },
            ch, next, prime);
        ch = next;
    }
    double ms = ms_since(start);
    bench::check_primes(n, prime);
    return {ms, " last=" + std::to_string(prime)};
}

// parked: N goroutines blocked receiving on one channel; resident memory added per goroutine.
result parked(long n) {
    gocsp::chan<int> ch(0);
    gocsp::wait_group started, finished;
    const long before = bench::rss_kb();
    auto start = clock_type::now();
    started.add(n);
    finished.add(n);
    for (long i = 0; i < n; ++i)
        gocsp::go([&] {
            started.done();
            ch.recv();
            finished.done();
        });
    started.wait();
    double ms = ms_since(start);
    gocsp::sleep_for(std::chrono::milliseconds(50));
    const long after = bench::rss_kb();
    ch.close();
    finished.wait();
    return {ms, bench::parked_extra(before, after, n)};
}

// burst: N goroutines alive at once (parked on one channel) all exit; right after, main makes
// round trips with a goroutine over two unbuffered channels: the first at once, then one every
// millisecond for burst_trips in all, while the runtime disposes of the burst. The worst round
// trip (and the first, and the median) in microseconds; one op is one round trip. Unlike the
// other workloads this one runs on main's own thread, as main() of a gocsp program does (Go's
// twin runs in its main goroutine): its round trips need an idle worker to wake up, where a
// goroutine's would stay on its own worker.
result burst(long n) {
    gocsp::chan<long> ping(0), pong(0);
    gocsp::go([=] {
        for (long v : ping) pong.send(v);
    });
    gocsp::chan<int> release(0);
    gocsp::wait_group started, finished;
    started.add(n);
    finished.add(n);
    for (long i = 0; i < n; ++i)
        gocsp::go([&] {
            started.done();
            release.recv();
            finished.done();
        });
    started.wait();
    release.close();
    finished.wait();
    auto start = clock_type::now();
    std::vector<double> trips;
    for (long i = 0; i < bench::burst_trips; ++i) {
        if (i > 0) gocsp::sleep_for(std::chrono::milliseconds(1));
        auto t = clock_type::now();
        ping.send(i);
        if (pong.recv() != i) fail("burst: wrong reply");
        trips.push_back(ms_since(t) * 1e3);
    }
    double ms = ms_since(start);
    ping.close();
    return {ms, bench::burst_extra(trips), static_cast<double>(trips.size())};
}

// rawswitch: the floor under `yield` - two bare Boost.Context contexts switching back and forth
// (no scheduler); N switches in all.
namespace raw = boost::context::detail;
void raw_entry(raw::transfer_t t) {
    for (;;) t = raw::jump_fcontext(t.fctx, nullptr);
}
result rawswitch(long n) {
    static char stack[64 * 1024];
    raw::fcontext_t other = raw::make_fcontext(stack + sizeof stack, sizeof stack, raw_entry);
    auto start = clock_type::now();
    for (long i = 0; i < n / 2; ++i) other = raw::jump_fcontext(other, nullptr).fctx;
    return {ms_since(start), ""};
}

// echo: N loopback connections to an echo server in this process; each client does 64-byte
// request/response round trips for about 2 s. One op is one round trip.
result echo(long n) {
    bench::raise_nofile(2 * n + 64);
    namespace net = gocsp::net;
    const net::listener ln = bench::server::start_echo_server();
    std::vector<net::conn> conns;
    for (long i = 0; i < n; ++i) conns.push_back(net::dial("tcp", ln.addr()));
    std::atomic<bool> stop{false};
    std::atomic<long> total{0};
    gocsp::wait_group wg;
    wg.add(n);
    auto start = clock_type::now();
    for (const auto& c : conns)
        gocsp::go([&, c] {
            char msg[bench::echo_message_size], buf[bench::echo_message_size];
            std::memset(msg, 'm', sizeof msg);
            long count = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                c.write(std::string_view(msg, sizeof msg));
                if (gocsp::io::read_full(c, buf) != sizeof buf) fail("echo: short reply");
                ++count;
            }
            total += count;
            wg.done();
        });
    gocsp::sleep_for(bench::timed_run);
    stop = true;
    wg.wait();
    double ms = ms_since(start);
    for (const auto& c : conns) c.close();
    ln.close();
    const double ops = static_cast<double>(total.load());
    return {ms, bench::echo_extra(ops, ms), ops};
}

// timers: N goroutines each sleep a random 1-10 ms in a loop for about 2 s; how late the
// wake-ups are (median and 99th percentile, in microseconds). One op is one sleep.
result timers(long n) {
    const auto end = clock_type::now() + bench::timed_run;
    std::vector<std::vector<std::int64_t>> late(static_cast<std::size_t>(n));
    gocsp::wait_group wg;
    wg.add(n);
    auto start = clock_type::now();
    for (long i = 0; i < n; ++i)
        gocsp::go([&, i] {
            bench::timers_sleeper(i, end, late[static_cast<std::size_t>(i)], [](auto d) { gocsp::sleep_for(d); });
            wg.done();
        });
    wg.wait();
    double ms = ms_since(start);
    return bench::timers_result(ms, late);
}

const bench::workload workloads[] = {
    {"pingpong", 1'000'000, pingpong}, {"spawn", 1'000'000, spawn},       {"skynet", 1'000'000, skynet},
    {"spsc0", 1'000'000, spsc0},       {"spsc1", 1'000'000, spsc1},       {"spsc1024", 1'000'000, spsc1024},
    {"mpmc0", 1'000'000, mpmc0},       {"mpmc1024", 1'000'000, mpmc1024}, {"select4", 1'000'000, select4},
    {"sieve", 5'000, sieve},           {"parked", 100'000, parked},       {"yield", 1'000'000, yield},
    {"rawswitch", 10'000'000, rawswitch},
    {"echo", 1'000, echo},             {"timers", 10'000, timers},       {"burst", 100'000, burst},
    {"fanout", 1'000, bench::fanout},  {"churn", 100, bench::churn},     {"walk", 100'000, bench::walk},
    {"dialecho", 1'000, bench::dialecho},
    {"mutex_uncontended", 10'000'000, bench::mutex_workload<bench::gocsp_sync, 1>},
    {"mutex2", 1'000'000, bench::mutex_workload<bench::gocsp_sync, 2>},
    {"mutex8", 1'000'000, bench::mutex_workload<bench::gocsp_sync, 8>},
    {"mutex1000", 1'000'000, bench::mutex_workload<bench::gocsp_sync, 1000>},
    {"cancel", 1'000, bench::cancel},
};

}  // namespace

int main(int argc, char** argv) {
    return bench::main_with(
        argc, argv, "gocsp_bench", workloads,
        [](const bench::workload& w, long n) {
            if (std::strcmp(w.name, "yield") == 0) gocsp::set_maxprocs(1);
            if (std::strcmp(w.name, "burst") == 0) return w.run(n);  // on main's thread: see burst
            // GOCSP_BENCH_IN=main: the body runs in main() itself, as a program ported from Go
            // does its work in main (the runner gocsp_bench_main sets it).
            if (const char* where = std::getenv("GOCSP_BENCH_IN"); where && std::strcmp(where, "main") == 0)
                return w.run(n);
            // Else the body runs in a goroutine (on one of the P workers).
            result r{};
            gocsp::wait_group done;
            done.add(1);
            gocsp::go([&] {
                r = w.run(n);
                done.done();
            });
            done.wait();
            return r;
        },
        [] { return gocsp::maxprocs(); });
}
