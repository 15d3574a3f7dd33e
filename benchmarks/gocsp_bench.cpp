// gocsp_bench - gocsp's benchmark runner.
//
//   gocsp_bench WORKLOAD [N]     prints one line: WORKLOAD n=N total_ms=X ns_per_op=Y [key=value...]
//   gocsp_bench --list           the workloads, one per line
//
// The workloads are defined in the project's benchmark notes (shared with the Go twin under
// benchmarks/peers/go, which prints the same line): each uses only gocsp's public API.
#include <gocsp/gocsp.hpp>

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
};

struct workload {
    const char* name;
    long default_n;
    result (*run)(long n);
};

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// spawn: N goroutines that each signal a wait group; the main thread waits.
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

const workload workloads[] = {
    {"spawn", 1'000'000, spawn},
    {"yield", 1'000'000, yield},
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
        result r = w.run(n);
        std::printf("%s n=%ld total_ms=%.3f ns_per_op=%.2f%s gomaxprocs=%d\n", w.name, n, r.total_ms,
                    r.total_ms * 1e6 / static_cast<double>(n), r.extra.c_str(), gocsp::maxprocs());
        return 0;
    }
    std::fprintf(stderr, "gocsp_bench: unknown workload %s (try --list)\n", argv[1]);
    return 2;
}
