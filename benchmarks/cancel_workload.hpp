// cancel_workload.hpp - gocsp_bench's `cancel` workload: how long a call that takes a context
// goes on after its context is cancelled. Its Go twin is in peers/go/cancel.go.
//
//   cancel N   for each of five calls, N times: start the call with a fresh with_cancel context
//              in a goroutine, wait until that goroutine is parked in it (its state in
//              dump_goroutines, then a further 100 us), call cancel(), and time cancel() -> the
//              call returning with the context's error (read on the steady clock just before
//              cancel() and by the goroutine just after the call returned or threw). The calls:
//                sleep      gocsp::sleep_for(ctx, 1h)                    returns context::canceled
//                blocking   gocsp::blocking(ctx, f), f waiting on a gate throws context::canceled
//                read       conn::read(ctx) on a loopback connection that stays silent
//                accept     listener::accept(ctx) on a listener nobody dials
//                dial       net::dial(ctx) to a listener whose backlog is full (the kernel drops
//                           the SYN: the connect would hang for minutes)
//              the three net calls throw net::error of kind canceled. One op is one
//              cancellation; total_ms is the sum of the measured latencies (ns_per_op their
//              mean). Extra fields: CALL_median_us, CALL_p99_us and CALL_max_us for each call,
//              then p99_us and max_us over all 5N, and over_10ms: how many of the 5N took longer
//              than 10 ms (issue 19's bound).
#ifndef GOCSP_BENCHMARKS_CANCEL_WORKLOAD_HPP
#define GOCSP_BENCHMARKS_CANCEL_WORKLOAD_HPP

#include "common.hpp"

#include <gocsp/gocsp.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string_view>
#include <memory>
#include <string>
#include <vector>

namespace bench {

/// The 99th percentile (nearest rank) of sorted, non-empty samples.
inline double p99_of_sorted(const std::vector<double>& v) { return v[(v.size() * 99 + 99) / 100 - 1]; }

/// The cancel workload's summary of one call's latencies in microseconds (sorted here):
/// " NAME_median_us=.. NAME_p99_us=.. NAME_max_us=..".
inline std::string latency_fields(const char* name, std::vector<double>& us) {
    if (us.empty()) fail("cancel: no samples");
    std::sort(us.begin(), us.end());
    char out[160];
    std::snprintf(out, sizeof out, " %s_median_us=%.1f %s_p99_us=%.1f %s_max_us=%.1f", name, us[us.size() / 2],
                  name, p99_of_sorted(us), name, us.back());
    return out;
}

namespace cancel_detail {

inline std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

/// parked: whether goroutine `id` is parked (waiting, on anything), from its state in a dump of
/// every goroutine; false if it is not found.
inline bool parked(std::uint64_t id) {
    std::ostringstream out;
    gocsp::dump_goroutines(out);
    const std::string dump = out.str();
    const std::string head = "goroutine " + std::to_string(id) + " [";
    const auto at = dump.find(head);
    if (at == std::string::npos) return false;
    const std::string_view state = std::string_view(dump).substr(at + head.size());
    return !state.starts_with("running") && !state.starts_with("runnable");
}

/// measure: n cancellations of call(ctx), which must return true when it ended with the context's
/// error.
template <class Call>
std::vector<double> measure(const char* name, long n, Call call) {
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) {
        auto [ctx, cancel] = gocsp::with_cancel(gocsp::background());
        auto ended = std::make_shared<std::atomic<std::int64_t>>(0);
        auto ok = std::make_shared<std::atomic<bool>>(false);
        gocsp::chan<std::uint64_t> id(1);
        gocsp::chan<gocsp::empty> finished(0);
        gocsp::go([ctx = ctx, ended, ok, id, finished, &call] {
            id.send(gocsp::goroutine_id());
            const bool right = call(ctx);
            ended->store(now_ns(), std::memory_order_release);
            ok->store(right, std::memory_order_release);
            finished.close();
        });
        const std::uint64_t caller = id.recv();
        const auto give_up = clock_type::now() + std::chrono::seconds(10);
        while (!parked(caller)) {
            if (clock_type::now() > give_up) {
                std::fprintf(stderr, "%s: cancel %s: the call never parked\n", program, name);
                std::fflush(stderr);
                gocsp::dump_goroutines(std::cerr);
                fail("cancel: stuck");
            }
            gocsp::sleep_for(std::chrono::microseconds(20));
        }
        gocsp::sleep_for(std::chrono::microseconds(100));  // well into its park
        const std::int64_t start = now_ns();
        cancel();
        finished.recv();
        if (!ok->load(std::memory_order_acquire)) {
            std::fprintf(stderr, "%s: cancel %s: the call did not end with the context's error\n", program, name);
            fail("cancel: wrong outcome");
        }
        us.push_back(static_cast<double>(ended->load(std::memory_order_acquire) - start) / 1e3);
    }
    return us;
}

/// A listening socket that never accepts, with a backlog of 0 (see `cancel` above), and the
/// connections that filled its queue.
struct full_listener {
    int fd = -1;
    std::string addr;
    std::vector<gocsp::net::conn> queued;

    full_listener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 0) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            fail("cancel: cannot listen");
        addr = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
        // Dial until a dial hangs (stopped by its 100 ms deadline): the queue is full.
        for (int i = 0; i < 64; ++i) {
            auto [ctx, cancel] = gocsp::with_timeout(gocsp::background(), std::chrono::milliseconds(100));
            try {
                queued.push_back(gocsp::net::dial(ctx, "tcp", addr));
            } catch (const gocsp::net::error& e) {
                cancel();
                if (e.kind() != gocsp::net::error_kind::timeout) fail("cancel: filling the backlog failed");
                return;
            }
            cancel();
        }
        fail("cancel: the listener's backlog never filled");
    }
    ~full_listener() {
        for (auto& c : queued) c.close();
        ::close(fd);
    }
    full_listener(const full_listener&) = delete;
    full_listener& operator=(const full_listener&) = delete;
};

/// Whether a net call threw the error of a cancelled context.
template <class F>
bool net_canceled(F f) {
    try {
        f();
    } catch (const gocsp::net::error& e) {
        return e.kind() == gocsp::net::error_kind::canceled;
    }
    return false;
}

}  // namespace cancel_detail

/// cancel: see the top of this file.
inline result cancel(long n) {
    namespace net = gocsp::net;
    using cancel_detail::measure;
    using cancel_detail::net_canceled;
    std::vector<double> all;
    std::string fields;
    auto record = [&](const char* name, std::vector<double> us) {
        all.insert(all.end(), us.begin(), us.end());
        fields += latency_fields(name, us);
    };

    record("sleep", measure("sleep", n, [](const gocsp::context& ctx) {
               return gocsp::sleep_for(ctx, std::chrono::hours(1)) == gocsp::context::canceled;
           }));

    record("blocking", measure("blocking", n, [](const gocsp::context& ctx) {
               // f waits until the call has returned, then is let go (its result is dropped).
               auto gate = std::make_shared<std::atomic<bool>>(false);
               bool right = false;
               try {
                   gocsp::blocking(ctx, [gate] { gate->wait(false); });
               } catch (const gocsp::context_error& e) {
                   right = e == gocsp::context::canceled;
               }
               gate->store(true);
               gate->notify_all();
               return right;
           }));

    const net::listener ln = net::listen("tcp", "127.0.0.1:0");
    const net::conn client = net::dial("tcp", ln.addr());
    const net::conn server = ln.accept();
    record("read", measure("read", n, [&server](const gocsp::context& ctx) {
               char buf[64];
               return net_canceled([&] { (void)server.read(ctx, buf); });
           }));
    record("accept", measure("accept", n, [&ln](const gocsp::context& ctx) {
               return net_canceled([&] { (void)ln.accept(ctx); });
           }));
    client.close();
    server.close();
    ln.close();

    {
        cancel_detail::full_listener full;
        record("dial", measure("dial", n, [&full](const gocsp::context& ctx) {
                   return net_canceled([&] { (void)net::dial(ctx, "tcp", full.addr); });
               }));
    }

    double total_us = 0;
    for (double v : all) total_us += v;
    std::sort(all.begin(), all.end());
    const auto over = std::count_if(all.begin(), all.end(), [](double us) { return us > 10'000; });
    char tail[128];
    std::snprintf(tail, sizeof tail, " p99_us=%.1f max_us=%.1f over_10ms=%ld", p99_of_sorted(all), all.back(),
                  static_cast<long>(over));
    return {total_us / 1e3, fields + tail, static_cast<double>(all.size())};
}

}  // namespace bench

#endif
