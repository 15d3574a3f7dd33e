// server_workloads.hpp - gocsp_bench's workloads shaped like real servers and tools: fan-out
// (one publisher, N TCP subscribers), churn (short-lived connections) and walk (du1's recursive
// directory walk). Their Go twins are in peers/go/server.go; each prints the same fields.
//
//   fanout N   one publisher sends 200-byte messages to N loopback TCP subscribers, as the chat
//              example's broadcaster does: each subscriber has its own channel (capacity 1024)
//              and writer goroutine, which writes everything queued in one write (up to 64 KiB);
//              the publisher sends with a blocking send, so nothing is dropped. About 1,000,000
//              deliveries in all (1,000,000 / N messages, at least 100). The readers are
//              goroutines of the same process. One op is one delivery; extra fields:
//              deliveries_per_sec, cpu_ms (user + system CPU of the whole process, readers
//              included, over the measured region) and cpu_ns_per_delivery.
//   churn N    N clients against an echo server in this process, each in a loop for about 2 s:
//              dial, 4 round trips of 64 bytes, close. One op is one connection; extra fields:
//              conns_per_sec, cpu_ms.
//   dialecho N N clients start at once against an echo server in this process; each dials, makes
//              100 round trips of 64 bytes and closes. The measured region runs from the first
//              dial to the last close, dialing included. One op is one round trip; extra fields:
//              trips_per_sec, cpu_ms.
//   walk N     du1 of "The Go Programming Language" (section 8.8) on a generated tree of N files:
//              one walker goroutine reads each directory (through gocsp::blocking, one call per
//              directory, lstat'ing every entry that is not a directory, as ioutil.ReadDir does)
//              and sends every file's size on an unbuffered channel; the workload's goroutine
//              receives and adds them up. The tree (1,000 leaf directories three levels deep, the
//              files shared among them, sizes set with ftruncate: no data blocks) is made once
//              in $TMPDIR (default /tmp) as gocsp-bench-walk-N and kept for later runs, by Go's
//              twin as well (the same tree). One op is one file; extra fields: files, bytes.
#ifndef GOCSP_BENCHMARKS_SERVER_WORKLOADS_HPP
#define GOCSP_BENCHMARKS_SERVER_WORKLOADS_HPP

#include "common.hpp"

#include <gocsp/gocsp.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace bench {

/// fanout: deliveries aimed at in all, bytes per message, a subscriber's channel capacity, and
/// the most bytes a writer gathers into one write.
inline constexpr long fanout_deliveries = 1'000'000;
inline constexpr long fanout_min_messages = 100;
inline constexpr std::size_t fanout_message_size = 200;
inline constexpr std::size_t fanout_queue = 1024;
inline constexpr std::size_t fanout_batch = 64 * 1024;

/// churn: round trips on each connection before it is closed.
inline constexpr int churn_trips = 4;
/// dialecho: round trips on each connection.
inline constexpr int dialecho_trips = 100;

/// walk: the tree's leaf directories (10 x 10 x 10).
inline constexpr long walk_leaves = 1000;

/// The fan-out's messages per subscriber for n subscribers.
inline long fanout_messages(long n) { return std::max(fanout_deliveries / n, fanout_min_messages); }

/// User + system CPU time of this process so far, in milliseconds.
inline double cpu_ms() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
    return ms(ru.ru_utime) + ms(ru.ru_stime);
}

/// The size of file j of leaf directory k of the walk's tree.
inline std::int64_t walk_file_size(long k, long j) { return (k * 131 + j * 17) % 8192; }

/// The walk's tree of n files: its path, made on the first call (files and total bytes checked
/// by the caller against walk_expected_bytes).
inline std::string walk_tree(long n) {
    const char* tmp = std::getenv("TMPDIR");
    const std::string root = std::string(tmp && *tmp ? tmp : "/tmp") + "/gocsp-bench-walk-" + std::to_string(n);
    struct stat st{};
    if (::stat(root.c_str(), &st) == 0) return root;
    // Made under a name of its own, then renamed: a run that stops half-way leaves no tree that
    // looks complete, and two runs making it at once both end with the same one.
    const std::string part = root + ".part" + std::to_string(::getpid());
    if (::mkdir(part.c_str(), 0755) != 0) fail("walk: cannot make the tree");
    for (long k = 0; k < walk_leaves; ++k) {
        std::string dir = part;
        for (long level : {k / 100, k / 10 % 10, k % 10}) {
            dir += "/d" + std::to_string(level);
            ::mkdir(dir.c_str(), 0755);  // exists already for all but the first leaf below it
        }
        for (long j = 0, files = share(n, static_cast<int>(walk_leaves), static_cast<int>(k)); j < files; ++j) {
            const std::string file = dir + "/f" + std::to_string(j);
            const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || ::ftruncate(fd, walk_file_size(k, j)) != 0) fail("walk: cannot make a file");
            ::close(fd);
        }
    }
    if (::rename(part.c_str(), root.c_str()) != 0) {
        const std::string rm = "rm -rf '" + part + "'";  // another run made it first
        if (std::system(rm.c_str()) != 0) fail("walk: cannot remove a spare tree");
    }
    return root;
}

/// The total size of the walk's tree of n files.
inline std::int64_t walk_expected_bytes(long n) {
    std::int64_t sum = 0;
    for (long k = 0; k < walk_leaves; ++k)
        for (long j = 0, files = share(n, static_cast<int>(walk_leaves), static_cast<int>(k)); j < files; ++j)
            sum += walk_file_size(k, j);
    return sum;
}

namespace server {

namespace net = gocsp::net;
using message = std::shared_ptr<const std::string>;

/// An echo server on 127.0.0.1: a goroutine per connection writes back what it reads; it stops
/// accepting when the listener is closed.
inline net::listener start_echo_server() {
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
    return ln;
}

/// A fan-out subscriber's writer: takes a message, then whatever else is queued (up to
/// fanout_batch bytes), and writes them in one write, until its channel is closed.
inline void fanout_writer(net::conn c, gocsp::recv_chan<message> ch) {
    std::string batch;
    message held;  // received, but did not fit in the last batch
    for (;;) {
        message msg = std::move(held);
        if (!msg) {
            auto [next, ok] = ch.recv_ok();
            if (!ok) break;
            msg = std::move(next);
        }
        batch = *msg;
        while (batch.size() < fanout_batch) {
            auto more = ch.try_recv();
            if (!more || !more->ok) break;
            if (batch.size() + more->value->size() > fanout_batch) {
                held = std::move(more->value);
                break;
            }
            batch += *more->value;
        }
        c.write(batch);
    }
    c.close();
}

}  // namespace server

/// fanout: see the top of this file.
inline result fanout(long n) {
    namespace net = gocsp::net;
    using server::message;
    raise_nofile(2 * n + 64);
    const long messages = fanout_messages(n);
    auto ln = net::listen("tcp", "127.0.0.1:0");
    gocsp::chan<std::vector<gocsp::chan<message>>> subscribed(0);
    gocsp::go([ln, n, subscribed] {
        std::vector<gocsp::chan<message>> subs;
        for (long i = 0; i < n; ++i) {
            gocsp::chan<message> ch(fanout_queue);
            gocsp::go(server::fanout_writer, ln.accept(), ch);
            subs.push_back(ch);
        }
        subscribed.send(std::move(subs));
    });
    const std::size_t expected = static_cast<std::size_t>(messages) * fanout_message_size;
    gocsp::wait_group readers;
    std::atomic<bool> short_read{false};
    readers.add(n);
    for (long i = 0; i < n; ++i)
        gocsp::go(
            [&](net::conn c) {
                std::vector<char> buf(fanout_batch);
                std::size_t got = 0;
                while (got < expected) {
                    const std::size_t k = c.read(buf);
                    if (k == 0) break;
                    got += k;
                }
                if (got != expected) short_read = true;
                c.close();
                readers.done();
            },
            net::dial("tcp", ln.addr()));
    std::vector<gocsp::chan<message>> subs = subscribed.recv();
    const double cpu0 = cpu_ms();
    auto start = clock_type::now();
    for (long m = 0; m < messages; ++m) {
        std::string text(fanout_message_size - 1, static_cast<char>('a' + m % 26));
        text += '\n';
        const message msg = std::make_shared<const std::string>(std::move(text));
        for (const auto& ch : subs) ch.send(msg);
    }
    for (const auto& ch : subs) ch.close();
    readers.wait();
    const double ms = ms_since(start), cpu = cpu_ms() - cpu0;
    ln.close();
    if (short_read) fail("fanout: a subscriber got the wrong number of bytes");
    const double deliveries = static_cast<double>(n) * static_cast<double>(messages);
    char extra[160];
    std::snprintf(extra, sizeof extra, " deliveries_per_sec=%.0f cpu_ms=%.1f cpu_ns_per_delivery=%.1f",
                  deliveries / (ms / 1e3), cpu, cpu * 1e6 / deliveries);
    return {ms, extra, deliveries};
}

/// echo_session: one client connection of churn and dialecho: dials addr, makes `trips` round
/// trips of echo_message_size bytes and closes; a short reply is fatal (`who` names the workload).
inline void echo_session(const std::string& addr, int trips, const char* who) {
    char msg[echo_message_size], buf[echo_message_size];
    std::memset(msg, 'e', sizeof msg);
    const gocsp::net::conn c = gocsp::net::dial("tcp", addr);
    for (int t = 0; t < trips; ++t) {
        c.write(std::string_view(msg, sizeof msg));
        if (gocsp::io::read_full(c, buf) != sizeof buf) fail((std::string(who) + ": short reply").c_str());
    }
    c.close();
}

/// churn: see the top of this file.
inline result churn(long n) {
    namespace net = gocsp::net;
    raise_nofile(4 * n + 64);
    const net::listener ln = server::start_echo_server();
    const std::string addr = ln.addr();
    std::atomic<bool> stop{false};
    std::atomic<long> total{0};
    gocsp::wait_group wg;
    wg.add(n);
    const double cpu0 = cpu_ms();
    auto start = clock_type::now();
    for (long i = 0; i < n; ++i)
        gocsp::go([&] {
            long count = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                echo_session(addr, churn_trips, "churn");
                ++count;
            }
            total += count;
            wg.done();
        });
    gocsp::sleep_for(timed_run);
    stop = true;
    wg.wait();
    const double ms = ms_since(start), cpu = cpu_ms() - cpu0;
    ln.close();
    const double conns = static_cast<double>(total.load());
    char extra[96];
    std::snprintf(extra, sizeof extra, " conns_per_sec=%.0f cpu_ms=%.1f", conns / (ms / 1e3), cpu);
    return {ms, extra, conns};
}

/// dialecho: see the top of this file.
inline result dialecho(long n) {
    namespace net = gocsp::net;
    raise_nofile(2 * n + 64);
    const net::listener ln = server::start_echo_server();
    const std::string addr = ln.addr();
    gocsp::wait_group wg;
    wg.add(n);
    const double cpu0 = cpu_ms();
    auto start = clock_type::now();
    for (long i = 0; i < n; ++i)
        gocsp::go([&] {
            echo_session(addr, dialecho_trips, "dialecho");
            wg.done();
        });
    wg.wait();
    const double ms = ms_since(start), cpu = cpu_ms() - cpu0;
    ln.close();
    const double trips = static_cast<double>(n) * dialecho_trips;
    char extra[96];
    std::snprintf(extra, sizeof extra, " trips_per_sec=%.0f cpu_ms=%.1f", trips / (ms / 1e3), cpu);
    return {ms, extra, trips};
}

namespace server {

/// A directory's entries as du1 sees them: the sizes of its files and the names of its
/// subdirectories (every entry that is not a directory is lstat'ed, as ioutil.ReadDir does).
struct dir_entries {
    std::vector<std::int64_t> sizes;
    std::vector<std::string> dirs;
};

inline dir_entries read_dir(const std::string& path) {
    dir_entries out;
    DIR* d = ::opendir(path.c_str());
    if (!d) fail("walk: cannot open a directory");
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0'))) continue;
        if (e->d_type == DT_DIR) {
            out.dirs.emplace_back(e->d_name);
            continue;
        }
        struct stat st{};
        if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode))
            out.dirs.emplace_back(e->d_name);
        else
            out.sizes.push_back(st.st_size);
    }
    ::closedir(d);
    return out;
}

/// du1's walkDir: sends the size of every file under dir on sizes.
inline void walk_dir(const std::string& dir, const gocsp::send_chan<std::int64_t>& sizes) {
    const dir_entries entries = gocsp::blocking([&] { return read_dir(dir); });
    for (std::int64_t size : entries.sizes) sizes.send(size);
    for (const std::string& sub : entries.dirs) walk_dir(dir + "/" + sub, sizes);
}

}  // namespace server

/// walk: see the top of this file.
inline result walk(long n) {
    const std::string root = walk_tree(n);
    auto start = clock_type::now();
    gocsp::chan<std::int64_t> sizes(0);
    gocsp::go([root, sizes] {
        server::walk_dir(root, sizes);
        sizes.close();
    });
    std::int64_t files = 0, bytes = 0;
    for (std::int64_t size : sizes) {
        ++files;
        bytes += size;
    }
    const double ms = ms_since(start);
    if (files != n || bytes != walk_expected_bytes(n)) fail("walk: wrong totals");
    return {ms, " files=" + std::to_string(files) + " bytes=" + std::to_string(bytes)};
}

}  // namespace bench

#endif
