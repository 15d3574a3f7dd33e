// fiber_bench - gocsp_bench's workloads with Boost.Fiber: one fiber per goroutine,
// boost::fibers::unbuffered_channel / buffered_channel, and the work_stealing scheduler over
// FIBER_THREADS threads (default: the number of cores), the closest thing Boost.Fiber has to
// Go's M:N scheduler.
//
//   fiber_bench WORKLOAD [N]     prints the same line as gocsp_bench
//   fiber_bench --list
//
// Boost.Fiber has no select and no network poller: select4 and echo say so. Its
// buffered_channel wants a power-of-two capacity of at least 2 and holds one value less: spsc1
// uses buffered_channel(2), which holds exactly one value, and the 1024 workloads
// buffered_channel(1024), which holds 1023.
#include "../../common.hpp"

#include <boost/fiber/all.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using bench::clock_type;
using bench::fail;
using bench::ms_since;
using bench::result;
namespace fibers = boost::fibers;

template <class T>
class channel {
public:
    explicit channel(std::size_t cap) {
        if (cap == 0)
            unbuffered_ = std::make_unique<fibers::unbuffered_channel<T>>();
        else
            buffered_ = std::make_unique<fibers::buffered_channel<T>>(std::bit_ceil(std::max<std::size_t>(cap, 2)));
    }
    bool send(T v) {
        auto st = unbuffered_ ? unbuffered_->push(std::move(v)) : buffered_->push(std::move(v));
        return st == fibers::channel_op_status::success;
    }
    bool recv(T& v) {
        auto st = unbuffered_ ? unbuffered_->pop(v) : buffered_->pop(v);
        return st == fibers::channel_op_status::success;
    }
    T recv() {
        T v{};
        if (!recv(v)) fail("receive from a closed channel");
        return v;
    }
    void close() {
        if (unbuffered_)
            unbuffered_->close();
        else
            buffered_->close();
    }

private:
    std::unique_ptr<fibers::unbuffered_channel<T>> unbuffered_;
    std::unique_ptr<fibers::buffered_channel<T>> buffered_;
};

using wait_group = bench::basic_wait_group<fibers::mutex, fibers::condition_variable>;

// Fiber stacks of Boost's default size, kept for reuse in a mutex-guarded free list (gocsp and Go
// reuse stacks too; Boost's default fixedsize_stack maps and unmaps one per fiber, which costs
// up to a millisecond on a busy machine and would measure the kernel, not Boost.Fiber).
class pooled_stack {
public:
    boost::context::stack_context allocate() {
        const std::size_t size = boost::context::stack_traits::default_size();
        void* p = nullptr;
        {
            std::lock_guard lock(mutex());
            if (!free_list().empty()) {
                p = free_list().back();
                free_list().pop_back();
            }
        }
        if (!p && !(p = std::malloc(size))) throw std::bad_alloc();
        boost::context::stack_context sc;
        sc.size = size;
        sc.sp = static_cast<char*>(p) + size;
        return sc;
    }
    void deallocate(boost::context::stack_context& sc) {
        std::lock_guard lock(mutex());
        free_list().push_back(static_cast<char*>(sc.sp) - sc.size);
    }

private:
    static std::mutex& mutex() {
        static std::mutex m;
        return m;
    }
    static std::vector<void*>& free_list() {
        static std::vector<void*> list;
        return list;
    }
};

template <class F>
void go(F&& f) {
    fibers::fiber(fibers::launch::post, std::allocator_arg, pooled_stack{}, std::forward<F>(f)).detach();
}

result pingpong(long n) {
    channel<long> ping(0), pong(0);
    wait_group wg;
    wg.add(1);
    go([&] {
        for (long i = 0; i < n; ++i) pong.send(ping.recv() + 1);
        wg.done();
    });
    auto start = clock_type::now();
    long v = 0;
    for (long i = 0; i < n; ++i) {
        ping.send(v);
        v = pong.recv();
    }
    double ms = ms_since(start);
    wg.wait();
    if (v != n) fail("pingpong: wrong final value");
    return {ms, ""};
}

result spawn(long n) {
    wait_group wg;
    auto start = clock_type::now();
    wg.add(n);
    for (long i = 0; i < n; ++i) go([&wg] { wg.done(); });
    wg.wait();
    return {ms_since(start), ""};
}

void skynet_node(channel<long>* up, long num, long size) {
    if (size == 1) {
        up->send(num);
        return;
    }
    channel<long> rc(0);
    const long child = size / 10;
    for (long i = 0; i < 10; ++i) go([&rc, num, i, child] { skynet_node(&rc, num + i * child, child); });
    long sum = 0;
    for (long i = 0; i < 10; ++i) sum += rc.recv();
    up->send(sum);
}

result skynet(long n) {
    bench::check_skynet_n(n);
    channel<long> root(0);
    auto start = clock_type::now();
    go([&root, n] { skynet_node(&root, 0, n); });
    long sum = root.recv();
    double ms = ms_since(start);
    if (sum != n * (n - 1) / 2) fail("skynet: wrong sum");
    return {ms, " sum=" + std::to_string(sum)};
}

result spsc(long n, std::size_t cap) {
    channel<long> ch(cap);
    wait_group wg;
    wg.add(1);
    auto start = clock_type::now();
    go([&] {
        for (long i = 0; i < n; ++i) ch.send(i);
        ch.close();
        wg.done();
    });
    long count = 0, sum = 0, v = 0;
    while (ch.recv(v)) {
        ++count;
        sum += v;
    }
    double ms = ms_since(start);
    wg.wait();
    if (count != n || sum != n * (n - 1) / 2) fail("spsc: lost or duplicated messages");
    return {ms, ""};
}
result spsc0(long n) { return spsc(n, 0); }
result spsc1(long n) { return spsc(n, 1); }
result spsc1024(long n) { return spsc(n, 1024); }

result mpmc(long n, std::size_t cap) {
    constexpr int p = 4;
    channel<long> ch(cap);
    wait_group senders, receivers;
    std::atomic<long> count{0};
    auto start = clock_type::now();
    senders.add(p);
    receivers.add(p);
    for (int s = 0; s < p; ++s)
        go([&, s] {
            const long mine = bench::share(n, p, s);
            for (long i = 0; i < mine; ++i) ch.send(i);
            senders.done();
        });
    for (int r = 0; r < p; ++r)
        go([&] {
            long got = 0, v = 0;
            while (ch.recv(v)) ++got;
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

result select4(long) { return bench::skip("Boost.Fiber has no select over channels"); }

// sieve: as in Go, the generator and filter fibers stay blocked when the run is over (closing
// Boost.Fiber channels under blocked fibers crashed 1.74 here); the program ends without
// tearing the schedulers down.
result sieve(long n) {
    auto start = clock_type::now();
    auto* ch = new channel<long>(0);
    go([ch] {
        for (long i = 2;; ++i) ch->send(i);
    });
    long prime = 0;
    for (long i = 0; i < n; ++i) {
        prime = ch->recv();
        auto* next = new channel<long>(0);
        go([in = ch, out = next, p = prime] {
            for (;;) {
                long v = in->recv();
                if (v % p != 0) out->send(v);
            }
        });
        ch = next;
    }
    double ms = ms_since(start);
    bench::check_primes(n, prime);
    return {ms, " last=" + std::to_string(prime)};
}

result parked(long n) {
    channel<int> ch(0);
    wait_group started, finished;
    const long before = bench::rss_kb();
    auto start = clock_type::now();
    started.add(n);
    finished.add(n);
    for (long i = 0; i < n; ++i)
        go([&] {
            started.done();
            int v = 0;
            ch.recv(v);
            finished.done();
        });
    started.wait();
    double ms = ms_since(start);
    boost::this_fiber::sleep_for(std::chrono::milliseconds(50));
    const long after = bench::rss_kb();
    ch.close();
    finished.wait();
    return {ms, bench::parked_extra(before, after, n)};
}

result echo(long) { return bench::skip("Boost.Fiber has no network poller (blocking sockets would block the thread)"); }

result timers(long n) {
    const auto end = clock_type::now() + bench::timed_run;
    std::vector<std::vector<std::int64_t>> late(static_cast<std::size_t>(n));
    wait_group wg;
    wg.add(n);
    auto start = clock_type::now();
    for (long i = 0; i < n; ++i)
        go([&, i] {
            bench::timers_sleeper(i, end, late[static_cast<std::size_t>(i)], [](auto d) { boost::this_fiber::sleep_for(d); });
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
    {"sieve", 5'000, sieve},           {"parked", 100'000, parked},       {"echo", 1'000, echo},
    {"timers", 10'000, timers},
};

int thread_count() {
    static const int count = [] {
        const char* env = std::getenv("FIBER_THREADS");
        const int v = env ? std::atoi(env) : 0;
        return v > 0 ? v : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    }();
    return count;
}

// Whether idle threads sleep (work_stealing's `suspend`) instead of spinning: FIBER_SUSPEND=0|1.
bool suspend_idle() {
    const char* env = std::getenv("FIBER_SUSPEND");
    return env == nullptr || std::strcmp(env, "0") != 0;
}

// Runs the workload in the main fiber of the main thread, with thread_count() - 1 more threads
// in the work_stealing pool. The pool is never torn down: the program ends with _Exit.
result run_in_pool(const bench::workload& w, long n) {
    const auto threads = static_cast<std::uint32_t>(thread_count());
    const bool suspend = suspend_idle();
    for (std::uint32_t i = 1; i < threads; ++i)
        std::thread([threads, suspend] {
            fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(threads, suspend);
            fibers::mutex m;
            fibers::condition_variable_any never;
            std::unique_lock lock(m);
            never.wait(lock, [] { return false; });
        }).detach();
    fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(threads, suspend);
    return w.run(n);
}

}  // namespace

int main(int argc, char** argv) {
    const int rc = bench::main_with(argc, argv, "fiber_bench", workloads, run_in_pool, thread_count);
    std::fflush(stdout);
    std::_Exit(rc);
}
