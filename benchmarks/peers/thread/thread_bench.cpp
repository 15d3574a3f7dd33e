// thread_bench - gocsp_bench's workloads with one std::thread per goroutine and a channel made of
// a mutex and condition variables, as a C++ program without coroutines would write them.
//
//   thread_bench WORKLOAD [N]    prints the same line as gocsp_bench
//   thread_bench --list
//
// OS threads cost tens of microseconds to start and to hand a value over, and megabytes of
// address space each, so some workloads cannot run at gocsp's N: the runner says so
// (`WORKLOAD n=N skipped: ...`) instead of trying. At most THREAD_BENCH_MAX_THREADS (default
// 20000) threads are started at once. There is no select over these channels.
#include "../../common.hpp"
#include "../../sync_workloads.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using bench::clock_type;
using bench::fail;
using bench::ms_since;
using bench::result;

// A Go-like channel: capacity 0 is a rendezvous (send returns once a receiver took the value).
// send on a closed channel returns false instead of panicking, so that threads can be ended.
template <class T>
class channel {
public:
    explicit channel(std::size_t cap) : cap_(cap) {}

    bool send(T v) {
        std::unique_lock lock(m_);
        can_send_.wait(lock, [&] { return closed_ || q_.size() < std::max<std::size_t>(cap_, 1); });
        if (closed_) return false;
        q_.push_back(std::move(v));
        const std::uint64_t ticket = ++sent_;
        can_recv_.notify_one();
        if (cap_ == 0) taken_.wait(lock, [&] { return closed_ || received_ >= ticket; });
        return true;
    }

    /// The next value, or nothing once the channel is closed and drained.
    std::optional<T> recv() {
        std::unique_lock lock(m_);
        can_recv_.wait(lock, [&] { return closed_ || !q_.empty(); });
        if (q_.empty()) return std::nullopt;
        T v = std::move(q_.front());
        q_.pop_front();
        ++received_;
        can_send_.notify_one();
        if (cap_ == 0) taken_.notify_all();
        return v;
    }

    void close() {
        std::lock_guard lock(m_);
        closed_ = true;
        can_send_.notify_all();
        can_recv_.notify_all();
        taken_.notify_all();
    }

private:
    std::mutex m_;
    std::condition_variable can_send_, can_recv_, taken_;
    std::deque<T> q_;
    std::size_t cap_;
    std::uint64_t sent_ = 0, received_ = 0;
    bool closed_ = false;
};

using wait_group = bench::basic_wait_group<std::mutex, std::condition_variable>;

long max_threads() {
    static const long limit = [] {
        const char* env = std::getenv("THREAD_BENCH_MAX_THREADS");
        const long v = env ? std::atol(env) : 0;
        return v > 0 ? v : 20000;
    }();
    return limit;
}

// Why `threads` OS threads at once is not attempted, or empty if it is.
std::string too_many(long threads) {
    if (threads <= max_threads()) return {};
    return std::to_string(threads) + " OS threads at once exceed this runner's limit of " +
           std::to_string(max_threads()) + " (THREAD_BENCH_MAX_THREADS)";
}

void join_all(std::vector<std::thread>& threads) {
    for (auto& t : threads) t.join();
}

result pingpong(long n) {
    channel<long> ping(0), pong(0);
    std::thread other([&] {
        for (long i = 0; i < n; ++i) pong.send(*ping.recv() + 1);
    });
    auto start = clock_type::now();
    long v = 0;
    for (long i = 0; i < n; ++i) {
        ping.send(v);
        v = *pong.recv();
    }
    double ms = ms_since(start);
    other.join();
    if (v != n) fail("pingpong: wrong final value");
    return {ms, ""};
}

result spawn(long n) {
    if (auto why = too_many(n); !why.empty()) return bench::skip(why);
    wait_group wg;
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(n));
    auto start = clock_type::now();
    wg.add(n);
    for (long i = 0; i < n; ++i) threads.emplace_back([&wg] { wg.done(); });
    wg.wait();
    double ms = ms_since(start);
    join_all(threads);
    return {ms, ""};
}

// skynet: the tree has N leaves and N/9 inner nodes, every one a thread alive until its
// children reported.
void skynet_node(channel<long>& up, long num, long size) {
    if (size == 1) {
        up.send(num);
        return;
    }
    channel<long> rc(0);
    const long child = size / 10;
    std::vector<std::thread> children;
    for (long i = 0; i < 10; ++i) children.emplace_back(skynet_node, std::ref(rc), num + i * child, child);
    long sum = 0;
    for (long i = 0; i < 10; ++i) sum += *rc.recv();
    join_all(children);
    up.send(sum);
}

result skynet(long n) {
    bench::check_skynet_n(n);
    if (auto why = too_many(n + n / 9); !why.empty()) return bench::skip(why);
    channel<long> root(0);
    auto start = clock_type::now();
    std::thread top(skynet_node, std::ref(root), 0L, n);
    long sum = *root.recv();
    double ms = ms_since(start);
    top.join();
    if (sum != n * (n - 1) / 2) fail("skynet: wrong sum");
    return {ms, " sum=" + std::to_string(sum)};
}

result spsc(long n, std::size_t cap) {
    channel<long> ch(cap);
    auto start = clock_type::now();
    std::thread sender([&] {
        for (long i = 0; i < n; ++i) ch.send(i);
        ch.close();
    });
    long count = 0, sum = 0;
    while (auto v = ch.recv()) {
        ++count;
        sum += *v;
    }
    double ms = ms_since(start);
    sender.join();
    if (count != n || sum != n * (n - 1) / 2) fail("spsc: lost or duplicated messages");
    return {ms, ""};
}
result spsc0(long n) { return spsc(n, 0); }
result spsc1(long n) { return spsc(n, 1); }
result spsc1024(long n) { return spsc(n, 1024); }

result mpmc(long n, std::size_t cap) {
    constexpr int p = 4;
    channel<long> ch(cap);
    std::atomic<long> count{0};
    std::vector<std::thread> senders, receivers;
    auto start = clock_type::now();
    for (int s = 0; s < p; ++s)
        senders.emplace_back([&, s] {
            const long mine = bench::share(n, p, s);
            for (long i = 0; i < mine; ++i) ch.send(i);
        });
    for (int r = 0; r < p; ++r)
        receivers.emplace_back([&] {
            long got = 0;
            while (ch.recv()) ++got;
            count += got;
        });
    join_all(senders);
    ch.close();
    join_all(receivers);
    double ms = ms_since(start);
    if (count != n) fail("mpmc: lost or duplicated messages");
    return {ms, ""};
}
result mpmc0(long n) { return mpmc(n, 0); }
result mpmc1024(long n) { return mpmc(n, 1024); }

result select4(long) { return bench::skip("no select over mutex and condition-variable channels"); }

// sieve: a generator thread and one filter thread per prime. Every number passes through a
// chain of thread hand-offs, so the work grows about as N squared: above N = 1000 it takes
// minutes, and the runner declines.
result sieve(long n) {
    if (n > 1000) return bench::skip("N above 1000 primes takes minutes with one thread per filter");
    std::vector<std::unique_ptr<channel<long>>> chans;
    std::vector<std::thread> threads;
    auto start = clock_type::now();
    chans.push_back(std::make_unique<channel<long>>(0));
    threads.emplace_back([ch = chans.back().get()] {
        for (long i = 2; ch->send(i); ++i) {
        }
    });
    long prime = 0;
    for (long i = 0; i < n; ++i) {
        prime = *chans.back()->recv();
        channel<long>* in = chans.back().get();
        chans.push_back(std::make_unique<channel<long>>(0));
        threads.emplace_back([in, out = chans.back().get(), p = prime] {
            while (auto v = in->recv())
                if (*v % p != 0 && !out->send(*v)) return;
        });
    }
    double ms = ms_since(start);
    for (auto& c : chans) c->close();
    join_all(threads);
    bench::check_primes(n, prime);
    return {ms, " last=" + std::to_string(prime)};
}

result parked(long n) {
    if (auto why = too_many(n); !why.empty()) return bench::skip(why);
    channel<int> ch(0);
    wait_group started;
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(n));
    const long before = bench::rss_kb();
    auto start = clock_type::now();
    started.add(n);
    for (long i = 0; i < n; ++i)
        threads.emplace_back([&] {
            started.done();
            ch.recv();
        });
    started.wait();
    double ms = ms_since(start);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const long after = bench::rss_kb();
    ch.close();
    join_all(threads);
    return {ms, bench::parked_extra(before, after, n) + " virtual_stack_kb_each=8192"};
}

// echo: a thread per accepted connection on the server side, a thread per client.
void check(bool ok, const char* what) {
    if (!ok) {
        std::string msg = std::string("echo: ") + what + ": " + std::strerror(errno);
        fail(msg.c_str());
    }
}

bool write_all(int fd, const char* p, std::size_t k) {
    while (k > 0) {
        ssize_t w = ::send(fd, p, k, MSG_NOSIGNAL);
        if (w <= 0) return false;
        p += w;
        k -= static_cast<std::size_t>(w);
    }
    return true;
}

result echo(long n) {
    if (auto why = too_many(2 * n + 1); !why.empty()) return bench::skip(why);
    bench::raise_nofile(2 * n + 64);
    int ln = ::socket(AF_INET, SOCK_STREAM, 0);
    check(ln >= 0, "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(::bind(ln, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
    check(::listen(ln, 4096) == 0, "listen");
    socklen_t len = sizeof addr;
    check(::getsockname(ln, reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");

    std::vector<std::thread> servers;
    std::thread acceptor([&] {
        for (long i = 0; i < n; ++i) {
            int c = ::accept(ln, nullptr, nullptr);
            check(c >= 0, "accept");
            servers.emplace_back([c] {
                char buf[4096];
                for (;;) {
                    ssize_t k = ::recv(c, buf, sizeof buf, 0);
                    if (k <= 0 || !write_all(c, buf, static_cast<std::size_t>(k))) break;
                }
                ::close(c);
            });
        }
    });
    std::vector<int> conns;
    for (long i = 0; i < n; ++i) {
        int c = ::socket(AF_INET, SOCK_STREAM, 0);
        check(c >= 0, "socket");
        check(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect");
        int one = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns.push_back(c);
    }
    acceptor.join();

    std::atomic<bool> stop{false};
    std::atomic<long> total{0};
    std::vector<std::thread> clients;
    auto start = clock_type::now();
    for (int c : conns)
        clients.emplace_back([&, c] {
            char msg[bench::echo_message_size], buf[bench::echo_message_size];
            std::memset(msg, 'm', sizeof msg);
            long count = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                if (!write_all(c, msg, sizeof msg)) fail("echo: write failed");
                std::size_t got = 0;
                while (got < sizeof buf) {
                    ssize_t k = ::recv(c, buf + got, sizeof buf - got, 0);
                    if (k <= 0) fail("echo: short reply");
                    got += static_cast<std::size_t>(k);
                }
                ++count;
            }
            total += count;
        });
    std::this_thread::sleep_for(bench::timed_run);
    stop = true;
    join_all(clients);
    double ms = ms_since(start);
    for (int c : conns) ::close(c);
    join_all(servers);
    ::close(ln);
    const double ops = static_cast<double>(total.load());
    return {ms, bench::echo_extra(ops, ms), ops};
}

result timers(long n) {
    if (auto why = too_many(n); !why.empty()) return bench::skip(why);
    const auto end = clock_type::now() + bench::timed_run;
    std::vector<std::vector<std::int64_t>> late(static_cast<std::size_t>(n));
    std::vector<std::thread> threads;
    auto start = clock_type::now();
    for (long i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            bench::timers_sleeper(i, end, late[static_cast<std::size_t>(i)], [](auto d) { std::this_thread::sleep_for(d); });
        });
    join_all(threads);
    double ms = ms_since(start);
    return bench::timers_result(ms, late);
}

/// thread_sync: the lock workloads (sync_workloads.hpp) with std::mutex and one std::thread per
/// worker.
struct thread_sync {
    using mutex = std::mutex;
    template <class Body>
    static void run_all(long k, Body body) {
        std::vector<std::thread> threads;
        threads.reserve(static_cast<std::size_t>(k));
        for (long i = 0; i < k; ++i) threads.emplace_back([&body, i] { body(i); });
        join_all(threads);
    }
};

// Default N: gocsp's, except where a thread hand-off (tens of microseconds each) would make
// one run last minutes; per-operation figures compare across N.
const bench::workload workloads[] = {
    {"pingpong", 20'000, pingpong}, {"spawn", 10'000, spawn},     {"skynet", 1'000'000, skynet},
    {"spsc0", 20'000, spsc0},       {"spsc1", 20'000, spsc1},     {"spsc1024", 1'000'000, spsc1024},
    {"mpmc0", 20'000, mpmc0},       {"mpmc1024", 200'000, mpmc1024}, {"select4", 1'000'000, select4},
    {"sieve", 5'000, sieve},        {"parked", 10'000, parked},   {"echo", 1'000, echo},
    {"timers", 10'000, timers},
    {"mutex_uncontended", 10'000'000, bench::mutex_workload<thread_sync, 1>},
    {"mutex2", 1'000'000, bench::mutex_workload<thread_sync, 2>},
    {"mutex8", 1'000'000, bench::mutex_workload<thread_sync, 8>},
    {"mutex1000", 1'000'000, bench::mutex_workload<thread_sync, 1000>},
};

}  // namespace

int main(int argc, char** argv) {
    return bench::main_with(
        argc, argv, "thread_bench", workloads, [](const bench::workload& w, long n) { return w.run(n); },
        [] { return static_cast<int>(std::thread::hardware_concurrency()); });
}
