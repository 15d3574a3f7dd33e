// common.hpp - what every C++ benchmark runner shares: the workload table, argument parsing,
// timing, the result line, resident memory, and the open-file limit.
//
// A runner defines its workloads and calls bench::main_with(); the program then behaves as
//
//   PROGRAM WORKLOAD [N]     prints one line: WORKLOAD n=N total_ms=X ns_per_op=Y [key=value...]
//                            gomaxprocs=W, or `WORKLOAD n=N skipped: <reason>` when this
//                            implementation cannot run the workload at that N
//   PROGRAM --list           the workloads, one per line
//
// which is the interface benchmarks/compare.py drives (the Go twin prints the same line).
#ifndef GOCSP_BENCHMARKS_COMMON_HPP
#define GOCSP_BENCHMARKS_COMMON_HPP

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace bench {

using clock_type = std::chrono::steady_clock;

/// What one workload run reports.
struct result {
    double total_ms = 0;
    std::string extra;    ///< " key=value ..." or empty
    double ops = 0;       ///< operations measured, when not N (ns_per_op = total / ops)
    std::string skipped;  ///< non-empty: the workload did not run, and why

    result() = default;
    result(double ms, std::string fields, double measured_ops = 0)
        : total_ms(ms), extra(std::move(fields)), ops(measured_ops) {}
};

/// A workload of a runner: its name, the N used when none is given, and its body.
struct workload {
    const char* name;
    long default_n;
    result (*run)(long n);
};

/// The running program's name, for messages (set by main_with).
inline const char* program = "bench";

/// Prints "PROGRAM: what" to stderr and exits 1 (a workload found a wrong result).
[[noreturn]] inline void fail(const char* what) {
    std::fprintf(stderr, "%s: %s\n", program, what);
    std::exit(1);
}

/// A result saying the workload did not run, and why.
inline result skip(std::string why) {
    result r;
    r.skipped = std::move(why);
    return r;
}

inline double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

/// Resident memory of this process, in KiB (VmRSS of /proc/self/status; 0 if unreadable).
inline long rss_kb() {
    long kb = 0;
    if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f))
            if (std::sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
        std::fclose(f);
    }
    return kb;
}

/// The `bytes_per_goroutine` fields of the parked workload, from RSS before and after.
inline std::string parked_extra(long before_kb, long after_kb, long n) {
    char extra[160];
    std::snprintf(extra, sizeof extra, " bytes_per_goroutine=%.1f rss_before_kb=%ld rss_after_kb=%ld",
                  static_cast<double>(after_kb - before_kb) * 1024.0 / static_cast<double>(n), before_kb,
                  after_kb);
    return extra;
}

/// Raises the open-file limit so that `want` descriptors fit: the soft limit up to the hard one,
/// and the hard one too when the process may (root). Returns the soft limit in force afterwards.
inline long raise_nofile(long want) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    const auto w = static_cast<rlim_t>(want);
    if (rl.rlim_cur < w) {
        rlimit more = rl;
        more.rlim_cur = w;
        if (more.rlim_max < w) more.rlim_max = w;
        if (::setrlimit(RLIMIT_NOFILE, &more) != 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &rl);
        }
        ::getrlimit(RLIMIT_NOFILE, &rl);
    }
    return static_cast<long>(rl.rlim_cur);
}

/// Runs a workload in the implementation's setting (in a goroutine, in a fiber, on the main
/// thread...) and returns its result.
using runner = std::function<result(const workload&, long n)>;

/// The whole program: parses the arguments, runs the workload through `run`, prints the line
/// with `gomaxprocs=workers()` (the number of worker threads, where the implementation has them).
inline int main_with(int argc, char** argv, const char* name, std::span<const workload> workloads,
                     const runner& run, const std::function<int()>& workers) {
    program = name;
    if (argc >= 2 && std::strcmp(argv[1], "--list") == 0) {
        for (const auto& w : workloads) std::printf("%s\n", w.name);
        return 0;
    }
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: %s WORKLOAD [N] | --list\n", name);
        return 2;
    }
    for (const auto& w : workloads) {
        if (std::strcmp(argv[1], w.name) != 0) continue;
        long n = w.default_n;
        if (argc == 3) {
            char* end = nullptr;
            n = std::strtol(argv[2], &end, 10);
            if (!end || *end || n <= 0) {
                std::fprintf(stderr, "%s: bad N: %s\n", name, argv[2]);
                return 2;
            }
        }
        const result r = run(w, n);
        if (!r.skipped.empty()) {
            std::printf("%s n=%ld skipped: %s\n", w.name, n, r.skipped.c_str());
        } else {
            const double ops = r.ops > 0 ? r.ops : static_cast<double>(n);
            std::printf("%s n=%ld total_ms=%.3f ns_per_op=%.2f%s gomaxprocs=%d\n", w.name, n, r.total_ms,
                        r.total_ms * 1e6 / ops, r.extra.c_str(), workers());
        }
        std::fflush(stdout);
        return 0;
    }
    std::fprintf(stderr, "%s: unknown workload %s (try --list)\n", name, argv[1]);
    return 2;
}

/// The timers workload's summary from every wake-up's lateness in nanoseconds: the extra fields
/// (median, 10th, 90th and 99th percentiles in microseconds, number of sleeps); fails when there
/// is none.
inline std::string timers_extra(std::vector<std::int64_t>& late_ns) {
    if (late_ns.empty()) fail("timers: no samples");
    auto quantile = [&](double q) {
        auto k = static_cast<std::size_t>(q * static_cast<double>(late_ns.size() - 1));
        std::nth_element(late_ns.begin(), late_ns.begin() + static_cast<long>(k), late_ns.end());
        return static_cast<double>(late_ns[k]) / 1e3;
    };
    const double median = quantile(0.5), p10 = quantile(0.1), p90 = quantile(0.9), p99 = quantile(0.99);
    char extra[160];
    std::snprintf(extra, sizeof extra,
                  " median_late_us=%.1f p10_late_us=%.1f p90_late_us=%.1f p99_late_us=%.1f sleeps=%zu", median,
                  p10, p90, p99, late_ns.size());
    return extra;
}

/// One sleeper of the timers workload (number i): until `end`, sleeps a random 1-10 ms with
/// `sleep_for` and records in `late_ns` how late each wake-up was.
template <class SleepFor>
void timers_sleeper(long i, clock_type::time_point end, std::vector<std::int64_t>& late_ns, SleepFor sleep_for) {
    late_ns.reserve(512);
    std::uint64_t rng = 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(i + 1);
    while (clock_type::now() < end) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        const auto d = std::chrono::microseconds(1000 + static_cast<long>(rng % 9001));
        const auto due = clock_type::now() + d;
        sleep_for(d);
        late_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - due).count());
    }
}

/// The timers workload's result from every sleeper's record.
inline result timers_result(double ms, const std::vector<std::vector<std::int64_t>>& late) {
    std::vector<std::int64_t> all;
    for (const auto& v : late) all.insert(all.end(), v.begin(), v.end());
    std::string extra = timers_extra(all);
    return {ms, std::move(extra), static_cast<double>(all.size())};
}

/// Round trips the burst workload makes after the burst exits (one every millisecond after the
/// first).
inline constexpr long burst_trips = 200;

/// The burst workload's extra fields from its round trips in microseconds, in order: the worst,
/// the first and the median.
inline std::string burst_extra(std::vector<double> trips_us) {
    if (trips_us.empty()) fail("burst: no round trips");
    const double first = trips_us.front();
    std::sort(trips_us.begin(), trips_us.end());
    char extra[128];
    std::snprintf(extra, sizeof extra, " worst_rtt_us=%.1f first_rtt_us=%.1f median_rtt_us=%.1f", trips_us.back(),
                  first, trips_us[trips_us.size() / 2]);
    return extra;
}

/// A wait group (add, done, wait) over a mutex and condition variable of the runner's kind.
template <class Mutex, class CondVar>
class basic_wait_group {
public:
    void add(long k) {
        std::lock_guard<Mutex> lock(m_);
        count_ += k;
    }
    void done() {
        std::lock_guard<Mutex> lock(m_);
        if (--count_ == 0) zero_.notify_all();
    }
    void wait() {
        std::unique_lock<Mutex> lock(m_);
        zero_.wait(lock, [&] { return count_ == 0; });
    }

private:
    Mutex m_;
    CondVar zero_;
    long count_ = 0;
};

/// Fails unless `last` is the n-th prime (checked with a sequential sieve).
inline void check_primes(long n, long last) {
    std::vector<bool> composite(static_cast<std::size_t>(last) + 1);
    long count = 0, found = 0;
    for (long i = 2; i <= last; ++i) {
        if (composite[static_cast<std::size_t>(i)]) continue;
        ++count;
        found = i;
        for (long j = i * i; j <= last; j += i) composite[static_cast<std::size_t>(j)] = true;
    }
    if (count != n || found != last) fail("sieve: wrong primes");
}

/// Fails unless n is a power of 10 (skynet's tree is 10-ary).
inline void check_skynet_n(long n) {
    for (long m = n; m > 1; m /= 10)
        if (m % 10 != 0) fail("skynet: N must be a power of 10");
}

/// The share of n messages of sender s among p senders.
inline long share(long n, int p, int s) { return n / p + (s < n % p ? 1 : 0); }

/// Bytes of each echo request and reply, and how long the echo and timers workloads run.
inline constexpr std::size_t echo_message_size = 64;
inline constexpr std::chrono::seconds timed_run{2};

/// The echo workload's extra field from its round trips and time.
inline std::string echo_extra(double round_trips, double ms) {
    char extra[64];
    std::snprintf(extra, sizeof extra, " rtt_per_sec=%.0f", round_trips / (ms / 1e3));
    return extra;
}

}  // namespace bench

#endif
