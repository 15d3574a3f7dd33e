// gocsp_bench - gocsp's benchmark runner.
//
//   gocsp_bench WORKLOAD [N]     prints one line: WORKLOAD n=N total_ms=X ns_per_op=Y [key=value...]
//   gocsp_bench --list           the workloads, one per line
//
// The workloads are defined in the project's benchmark notes (shared with the Go twin under
// benchmarks/peers/go, which prints the same line): each uses only gocsp's public API, and
// runs in a goroutine, as the Go twin's runs in its main goroutine.
#include <gocsp/gocsp.hpp>

#include <boost/context/detail/fcontext.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct result {
    double total_ms;
    std::string extra;  // " key=value ..." or empty
    double ops = 0;     // operations measured, when not N (ns_per_op = total / ops)
};

struct workload {
    const char* name;
    long default_n;
    result (*run)(long n);
};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "gocsp_bench: %s\n", what);
    std::exit(1);
}

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

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
    for (long m = n; m > 1; m /= 10)
        if (m % 10 != 0) fail("skynet: N must be a power of 10");
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
            const long mine = n / p + (s < n % p ? 1 : 0);
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
            chans[static_cast<std::size_t>(s)], n / p + (s < n % p ? 1 : 0));
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
    // Check against a sequential sieve.
    std::vector<bool> composite(static_cast<std::size_t>(prime) + 1);
    long count = 0, last = 0;
    for (long i = 2; i <= prime; ++i) {
        if (composite[static_cast<std::size_t>(i)]) continue;
        ++count;
        last = i;
        for (long j = i * i; j <= prime; j += i) composite[static_cast<std::size_t>(j)] = true;
    }
    if (count != n || last != prime) fail("sieve: wrong primes");
    return {ms, " last=" + std::to_string(prime)};
}

long rss_kb() {
    long kb = 0;
    if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f))
            if (std::sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
        std::fclose(f);
    }
    return kb;
}

// parked: N goroutines blocked receiving on one channel; resident memory added per goroutine.
result parked(long n) {
    gocsp::chan<int> ch(0);
    gocsp::wait_group started, finished;
    const long before = rss_kb();
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
    const long after = rss_kb();
    ch.close();
    finished.wait();
    char extra[160];
    std::snprintf(extra, sizeof extra, " bytes_per_goroutine=%.1f rss_before_kb=%ld rss_after_kb=%ld",
                  static_cast<double>(after - before) * 1024.0 / static_cast<double>(n), before, after);
    return {ms, extra};
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
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    namespace net = gocsp::net;
    auto ln = net::listen("tcp", "127.0.0.1:0");
    gocsp::go([ln] {
        for (;;) {
            net::conn c;
            try {
                c = ln.accept();
            } catch (const net::error&) {
                return;
            }
            gocsp::go([c] {
                char buf[4096];
                try {
                    while (std::size_t k = c.read(buf)) c.write(std::string_view(buf, k));
                } catch (const net::error&) {
                }
                c.close();
            });
        }
    });
    std::vector<net::conn> conns;
    for (long i = 0; i < n; ++i) conns.push_back(net::dial("tcp", ln.addr()));
    std::atomic<bool> stop{false};
    std::atomic<long> total{0};
    gocsp::wait_group wg;
    wg.add(n);
    auto start = clock_type::now();
    for (const auto& c : conns)
        gocsp::go([&, c] {
            char msg[64], buf[64];
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
    gocsp::sleep_for(std::chrono::seconds(2));
    stop = true;
    wg.wait();
    double ms = ms_since(start);
    for (const auto& c : conns) c.close();
    ln.close();
    const double ops = static_cast<double>(total.load());
    char extra[64];
    std::snprintf(extra, sizeof extra, " rtt_per_sec=%.0f", ops / (ms / 1e3));
    return {ms, extra, ops};
}

// timers: N goroutines each sleep a random 1-10 ms in a loop for about 2 s; how late the
// wake-ups are (median and 99th percentile, in microseconds). One op is one sleep.
result timers(long n) {
    const auto end = clock_type::now() + std::chrono::seconds(2);
    std::vector<std::vector<std::int64_t>> late(static_cast<std::size_t>(n));
    gocsp::wait_group wg;
    wg.add(n);
    auto start = clock_type::now();
    for (long i = 0; i < n; ++i)
        gocsp::go([&, i] {
            auto& mine = late[static_cast<std::size_t>(i)];
            mine.reserve(512);
            std::uint64_t rng = 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(i + 1);
            while (clock_type::now() < end) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                const auto d = std::chrono::microseconds(1000 + static_cast<long>(rng % 9001));
                const auto due = clock_type::now() + d;
                gocsp::sleep_for(d);
                mine.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - due).count());
            }
            wg.done();
        });
    wg.wait();
    double ms = ms_since(start);
    std::vector<std::int64_t> all;
    for (auto& v : late) all.insert(all.end(), v.begin(), v.end());
    if (all.empty()) fail("timers: no samples");
    auto quantile = [&](double q) {
        auto k = static_cast<std::size_t>(q * static_cast<double>(all.size() - 1));
        std::nth_element(all.begin(), all.begin() + static_cast<long>(k), all.end());
        return static_cast<double>(all[k]) / 1e3;
    };
    const double median = quantile(0.5), p99 = quantile(0.99);
    char extra[96];
    std::snprintf(extra, sizeof extra, " median_late_us=%.1f p99_late_us=%.1f sleeps=%zu", median, p99, all.size());
    return {ms, extra, static_cast<double>(all.size())};
}

const workload workloads[] = {
    {"pingpong", 1'000'000, pingpong}, {"spawn", 1'000'000, spawn},       {"skynet", 1'000'000, skynet},
    {"spsc0", 1'000'000, spsc0},       {"spsc1", 1'000'000, spsc1},       {"spsc1024", 1'000'000, spsc1024},
    {"mpmc0", 1'000'000, mpmc0},       {"mpmc1024", 1'000'000, mpmc1024}, {"select4", 1'000'000, select4},
    {"sieve", 5'000, sieve},           {"parked", 100'000, parked},       {"yield", 1'000'000, yield},
    {"rawswitch", 10'000'000, rawswitch},
    {"echo", 1'000, echo},             {"timers", 10'000, timers},
};

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--list") == 0) {
        for (const auto& w : workloads) std::printf("%s\n", w.name);
        return 0;
    }
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: gocsp_bench WORKLOAD [N] | --list\n");
        return 2;
    }
    for (const auto& w : workloads) {
        if (std::strcmp(argv[1], w.name) != 0) continue;
        long n = w.default_n;
        if (argc == 3) {
            char* end = nullptr;
            n = std::strtol(argv[2], &end, 10);
            if (!end || *end || n <= 0) {
                std::fprintf(stderr, "gocsp_bench: bad N: %s\n", argv[2]);
                return 2;
            }
        }
        if (std::strcmp(w.name, "yield") == 0) gocsp::set_maxprocs(1);
        // The body runs in a goroutine, as a Go program's main does (on one of the P workers).
        result r{};
        gocsp::wait_group done;
        done.add(1);
        gocsp::go([&] {
            r = w.run(n);
            done.done();
        });
        done.wait();
        const double ops = r.ops > 0 ? r.ops : static_cast<double>(n);
        std::printf("%s n=%ld total_ms=%.3f ns_per_op=%.2f%s gomaxprocs=%d\n", w.name, n, r.total_ms,
                    r.total_ms * 1e6 / ops, r.extra.c_str(), gocsp::maxprocs());
        return 0;
    }
    std::fprintf(stderr, "gocsp_bench: unknown workload %s (try --list)\n", argv[1]);
    return 2;
}
