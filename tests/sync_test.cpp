// Go's sync for goroutines: mutex, shared_mutex (RWMutex), once, cond, semaphore
// (x/sync/semaphore). Each case runs with 1, 2 and 8 workers (tests.cmake).
#include <gocsp/gocsp.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/child.hpp"
#include "support/helpers.hpp"

using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// wait_until_waiting: returns once at least n more goroutines than `base` are parked (polls;
// the test's timeout bounds it).
void wait_until_waiting(std::int64_t base, std::int64_t n) {
    while (gocsp::count_goroutines().waiting < base + n) std::this_thread::sleep_for(100us);
}

// goroutines: starts goroutines and waits for them all (wait()), so that a test's locks and
// channels outlive every goroutine that uses them, up to the unlock after its last send.
class goroutines {
public:
    template <class F>
    void go(F f) {
        wg_.add(1);
        gocsp::go([this, f] {
            f();
            wg_.done();
        });
    }
    void wait() { wg_.wait(); }

private:
    gocsp::wait_group wg_;
};

// Under the sanitizers, fewer goroutines and rounds: there each goroutine costs milliseconds to
// start (ThreadSanitizer's fiber for it; 1,000 empty goroutines took 18 s on 2 loaded cores).
#if GOCSP_TEST_SANITIZED
constexpr int rounds = 4;
constexpr int scale = 10;  // divides the goroutine counts
#else
constexpr int rounds = 100;
constexpr int scale = 1;
#endif

}  // namespace

TEST_CASE("mutex: mutual exclusion for 1000 goroutines and plain threads, holders parking") {
    gocsp::mutex mu;
    long counter = 0;  // plain: only the mutex orders its accesses (TSan checks that)
    std::atomic<int> inside{0};
    std::atomic<bool> overlap{false};
    auto critical = [&](bool park) {
        std::lock_guard<gocsp::mutex> hold(mu);
        if (inside.fetch_add(1) != 0) overlap = true;
        long v = counter;
        if (park) gocsp::sleep_for(1us);  // park while holding it: the worker runs the others
        counter = v + 1;
        inside.fetch_sub(1);
    };
    constexpr int n = 1000 / scale, threads = 3;
    goroutines gs;
    for (int i = 0; i < n; ++i)
        gs.go([&, i] {
            for (int k = 0; k < rounds; ++k) critical(k == 0 && i % 10 == 0);
        });
    std::vector<std::thread> plain;
    for (int t = 0; t < threads; ++t)
        plain.emplace_back([&] {
            for (int k = 0; k < rounds * 10; ++k) critical(false);
        });
    for (auto& t : plain) t.join();
    gs.wait();
    REQUIRE_FALSE(overlap);
    REQUIRE(counter == long{n} * rounds + long{threads} * rounds * 10);
    REQUIRE(mu.try_lock());
    mu.unlock();
}

TEST_CASE("mutex: short critical sections hammered by a few goroutines and threads that spin for it") {
    // Few contenders with empty queues: they spin for the lock, woken waiters too, and take it
    // between the queue's wake-ups. A woken bit that is not given back would strand the queued
    // waiters (the case would time out); a lost exclusion shows in the count.
    gocsp::mutex mu;
    long counter = 0;
    constexpr int goroutine_count = 8, threads = 2;
#if GOCSP_TEST_SANITIZED
    constexpr int ops = 2'000;
#else
    constexpr int ops = 50'000;
#endif
    auto hammer = [&](int n) {
        for (int k = 0; k < n; ++k) {
            mu.lock();
            ++counter;
            if (k % 1000 == 999) gocsp::yield();  // a holder leaves its worker now and then
            mu.unlock();
        }
    };
    goroutines gs;
    for (int i = 0; i < goroutine_count; ++i) gs.go([&] { hammer(ops); });
    std::vector<std::thread> plain;
    for (int t = 0; t < threads; ++t) plain.emplace_back([&] { hammer(ops / 10); });
    for (auto& t : plain) t.join();
    gs.wait();
    REQUIRE(counter == long{goroutine_count} * ops + long{threads} * (ops / 10));
    REQUIRE(mu.try_lock());
    mu.unlock();
}

TEST_CASE("mutex: a holder parks while a goroutine on the same worker waits (std::mutex would hang)") {
    // With 1 worker both goroutines share it: a waiting std::mutex would block the worker and
    // the holder could never run again to unlock.
    gocsp::mutex mu;
    gocsp::chan<int> go_on(0), done(0);
    goroutines gs;
    const std::int64_t base = gocsp::count_goroutines().waiting;
    gs.go([&] {
        std::lock_guard<gocsp::mutex> hold(mu);
        done.send(1);    // tells main the lock is held
        go_on.recv();    // parks holding it
    });
    REQUIRE(done.recv() == 1);
    gs.go([&] {
        std::lock_guard<gocsp::mutex> hold(mu);  // parks: the worker stays free
        done.send(2);
    });
    wait_until_waiting(base, 2);  // both parked: one in recv, one in lock
    REQUIRE_FALSE(mu.try_lock());
    go_on.send(0);
    REQUIRE(done.recv() == 2);
    gs.wait();
}

TEST_CASE("mutex and shared_mutex work with the standard lock wrappers") {
    gocsp::mutex a, b;
    gocsp::shared_mutex rw;
    gocsp_test::in_goroutine([&] {
        {
            std::lock_guard<gocsp::mutex> g(a);
            REQUIRE_FALSE(a.try_lock());
        }
        {
            std::unique_lock<gocsp::mutex> u(a, std::defer_lock);
            REQUIRE(u.try_lock());
            u.unlock();
            u.lock();
            REQUIRE(u.owns_lock());
        }
        {
            std::scoped_lock both(a, b, rw);  // std::lock's try-and-back-off over three locks
            REQUIRE_FALSE(b.try_lock());
            REQUIRE_FALSE(rw.try_lock_shared());
        }
        {
            std::shared_lock<gocsp::shared_mutex> r1(rw);
            std::shared_lock<gocsp::shared_mutex> r2(rw, std::try_to_lock);
            REQUIRE(r2.owns_lock());
            REQUIRE_FALSE(rw.try_lock());
        }
        std::unique_lock<gocsp::shared_mutex> w(rw);
        REQUIRE_FALSE(rw.try_lock_shared());
    });
    REQUIRE(a.try_lock());
    REQUIRE(b.try_lock());
    REQUIRE(rw.try_lock());
    rw.unlock();
    b.unlock();
    a.unlock();
}

TEST_CASE("mutex: a waiter gets the lock while others hammer it (no starvation)") {
    gocsp::mutex mu;
    std::atomic<bool> stop{false};
    std::atomic<long> hammered{0};
    goroutines gs;
    constexpr int hammers = 4;
    for (int i = 0; i < hammers; ++i)
        gs.go([&] {
            while (!stop.load()) {
                mu.lock();
                hammered.fetch_add(1);
                gocsp::yield();  // holds it across a switch: the waiter finds it taken
                mu.unlock();
            }
        });
    std::thread plain([&] {
        while (!stop.load()) {
            std::lock_guard<gocsp::mutex> hold(mu);
            hammered.fetch_add(1);
        }
    });
    while (hammered.load() < 1000) std::this_thread::sleep_for(100us);
    gocsp::chan<int> got(1);
    gs.go([&] {
        mu.lock();  // must succeed however busy the others keep it
        mu.unlock();
        got.send(1);
    });
    REQUIRE(got.recv() == 1);
    stop = true;
    plain.join();
    gs.wait();
}

TEST_CASE("shared_mutex: readers share, a writer is alone") {
    gocsp::shared_mutex rw;
    long value = 0;  // written under the write lock, read under the read lock
    std::atomic<int> readers_in{0}, writers_in{0};
    std::atomic<bool> bad{false};
    goroutines gs;
    constexpr int n = 200 / scale;
    for (int i = 0; i < n; ++i)
        gs.go([&, i] {
            for (int k = 0; k < rounds / 4; ++k) {
                if (i % 10 == 0) {
                    std::lock_guard<gocsp::shared_mutex> w(rw);
                    if (writers_in.fetch_add(1) != 0 || readers_in.load() != 0) bad = true;
                    ++value;
                    if (k == 0) gocsp::yield();
                    writers_in.fetch_sub(1);
                } else {
                    std::shared_lock<gocsp::shared_mutex> r(rw);
                    readers_in.fetch_add(1);
                    if (writers_in.load() != 0) bad = true;
                    volatile long seen = value;
                    (void)seen;
                    if (k == 0) gocsp::yield();
                    readers_in.fetch_sub(1);
                }
            }
        });
    gs.wait();
    REQUIRE_FALSE(bad);
    REQUIRE(value == long{n / 10} * (rounds / 4));
}

TEST_CASE("shared_mutex: a waiting writer holds back new readers (writer preference)") {
    gocsp::shared_mutex rw;
    gocsp::chan<std::string> order(4);
    goroutines gs;
    rw.lock_shared();  // reader 1 (main) is in
    gs.go([&] {
        rw.lock();  // waits for reader 1
        order.send("writer");
        rw.unlock();
    });
    // The writer has announced itself once new readers are turned away.
    while (rw.try_lock_shared()) {
        rw.unlock_shared();
        std::this_thread::sleep_for(100us);
    }
    gs.go([&] {
        rw.lock_shared();  // reader 2 arrives after the writer: it must go after it
        order.send("reader 2");
        rw.unlock_shared();
    });
    std::this_thread::sleep_for(5ms);  // a chance for a wrong reader 2 to slip in first
    order.send("reader 1 leaves");
    rw.unlock_shared();
    REQUIRE(order.recv() == "reader 1 leaves");
    REQUIRE(order.recv() == "writer");
    REQUIRE(order.recv() == "reader 2");
    gs.wait();
}

TEST_CASE("shared_mutex: readers and a writer wait as plain threads too") {
    gocsp::shared_mutex rw;
    long value = 0;
    rw.lock();
    std::vector<std::thread> readers;
    std::atomic<long> sum{0};
    for (int i = 0; i < 3; ++i)
        readers.emplace_back([&] {
            std::shared_lock<gocsp::shared_mutex> r(rw);
            sum += value;
        });
    goroutines gs;
    gs.go([&] {
        value = 7;
        rw.unlock();  // unlocked by another goroutine than the locker: allowed, as in Go
    });
    for (auto& t : readers) t.join();
    gs.wait();
    REQUIRE(sum == 21);
}

TEST_CASE("once: runs the function once, a throwing call leaves it not done") {
    gocsp::once o;
    int runs = 0;
    REQUIRE_THROWS_AS(o.call([&] {
        ++runs;
        throw std::runtime_error("first try fails");
    }),
                      std::runtime_error);
    REQUIRE(runs == 1);
    o.call([&](int add) { runs += add; }, 10);
    REQUIRE(runs == 11);
    o.call([&] { runs += 100; });  // done: not called
    REQUIRE(runs == 11);

    // Many goroutines at once: one runs it (parking the others on the lock), all see its result.
    gocsp::once o2;
    long result = 0;  // written by the one call, read by everyone after call() returns
    std::atomic<int> calls{0}, wrong{0};
    goroutines gs;
    constexpr int n = 100 / scale;
    for (int i = 0; i < n; ++i)
        gs.go([&] {
            o2.call([&] {
                calls.fetch_add(1);
                gocsp::sleep_for(1ms);  // parks inside: the others queue on the once
                result = 42;
            });
            if (result != 42) wrong.fetch_add(1);
        });
    gs.wait();
    REQUIRE(calls == 1);
    REQUIRE(wrong == 0);
}

TEST_CASE("cond: signal wakes one waiter, broadcast all") {
    gocsp::mutex mu;
    gocsp::cond c;
    int waiting = 0, tokens = 0, woke = 0;  // under mu
    bool all = false;
    gocsp::chan<int> woke_ch(16);
    constexpr int n = 5;
    goroutines gs;
    for (int i = 0; i < n; ++i)
        gs.go([&] {
            std::unique_lock<gocsp::mutex> hold(mu);
            ++waiting;
            c.wait(hold, [&] { return tokens > 0 || all; });
            if (!all) --tokens;
            ++woke;
            woke_ch.send(1);
        });
    // A plain thread waits on the same cond too.
    std::thread plain([&] {
        std::unique_lock<gocsp::mutex> hold(mu);
        ++waiting;
        c.wait(hold, [&] { return tokens > 0 || all; });
        if (!all) --tokens;
        ++woke;
        woke_ch.send(1);
    });
    for (;;) {
        {
            std::lock_guard<gocsp::mutex> hold(mu);
            if (waiting == n + 1) break;  // all have released mu inside wait, with their tickets
        }
        std::this_thread::sleep_for(100us);
    }
    {
        std::lock_guard<gocsp::mutex> hold(mu);
        tokens = 1;
    }
    c.signal();
    REQUIRE(woke_ch.recv() == 1);
    {
        std::lock_guard<gocsp::mutex> hold(mu);
        REQUIRE(woke == 1);
        REQUIRE(tokens == 0);
        all = true;
    }
    c.broadcast();
    for (int i = 0; i < n; ++i) REQUIRE(woke_ch.recv() == 1);
    plain.join();
    gs.wait();
    REQUIRE(woke == n + 1);
}

TEST_CASE("cond: a signal sent after wait released the lock is not lost") {
    // Ping-pong through one cond: each side waits for its turn; a lost signal hangs the test.
    gocsp::mutex mu;
    gocsp::cond c;
    int turn = 0;
    constexpr int n = 2000;
    goroutines gs;
    for (int side = 0; side < 2; ++side)
        gs.go([&, side] {
            for (int i = 0; i < n; ++i) {
                std::unique_lock<gocsp::mutex> hold(mu);
                c.wait(hold, [&] { return turn % 2 == side; });
                ++turn;
                hold.unlock();
                c.signal();
            }
        });
    gs.wait();
    REQUIRE(turn == 2 * n);
}

TEST_CASE("semaphore: weights, try_acquire, and its panics") {
    gocsp::semaphore sem(10);
    sem.acquire(3);
    sem.acquire(3);
    sem.acquire(3);
    REQUIRE_FALSE(sem.try_acquire(2));
    REQUIRE(sem.try_acquire(1));
    REQUIRE_FALSE(sem.try_acquire(1));
    REQUIRE_THROWS_AS(sem.release(11), gocsp::panic_error);
    sem.release(10);
    REQUIRE(sem.try_acquire(10));
    sem.release(10);
    REQUIRE_FALSE(sem.try_acquire(11));
    REQUIRE_THROWS_WITH(sem.acquire(11), "semaphore: acquire of more than the size");
    REQUIRE_THROWS_WITH(sem.release(1), "semaphore: released more than held");
    REQUIRE_THROWS_WITH(gocsp::semaphore(-1), "semaphore: negative size");
}

TEST_CASE("semaphore: waiters are served in FIFO order, a small one does not overtake") {
    gocsp::semaphore sem(10);
    sem.acquire(10);
    gocsp::chan<std::string> order(4);
    goroutines gs;
    const std::int64_t base = gocsp::count_goroutines().waiting;
    gs.go([&] {
        sem.acquire(5);  // first in line: needs 5
        order.send("five");
        sem.release(5);
    });
    wait_until_waiting(base, 1);
    gs.go([&] {
        sem.acquire(1);  // second: 1 would fit before 5 does, but it waits its turn
        order.send("one");
        sem.release(1);
    });
    wait_until_waiting(base, 2);
    sem.release(1);                    // 1 free: the first waiter needs 5, so nobody goes
    std::this_thread::sleep_for(5ms);  // a chance for a wrong "one" to overtake
    order.send("main");
    sem.release(4);  // 5 free: "five" goes, then "one" after it
    REQUIRE(order.recv() == "main");
    REQUIRE(order.recv() == "five");
    REQUIRE(order.recv() == "one");
    sem.release(5);   // main's last 5
    sem.acquire(10);  // all 10 come back once both have released theirs
    sem.release(10);
    gs.wait();
}

TEST_CASE("semaphore: bounds the goroutines inside by weight") {
    gocsp::semaphore sem(4);
    std::atomic<int> held{0};
    std::atomic<bool> over{false};
    goroutines gs;
    constexpr int n = 300 / scale;
    for (int i = 0; i < n; ++i)
        gs.go([&, i] {
            const int w = 1 + i % 3;
            sem.acquire(w);
            if (held.fetch_add(w) + w > 4) over = true;
            if (i % 8 == 0) gocsp::yield();
            held.fetch_sub(w);
            sem.release(w);
        });
    gs.wait();
    REQUIRE_FALSE(over);
    REQUIRE(sem.try_acquire(4));
    sem.release(4);
}

TEST_CASE("main waiting on a gocsp::mutex forever is reported as a deadlock, with every sync wait") {
    auto r = gocsp_test::run_program("deadlock_main_mutex");
    INFO("stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 2);
    REQUIRE(r.err.rfind("fatal error: all goroutines are asleep - deadlock!\n\n", 0) == 0);
    REQUIRE(contains(r.err, "goroutine 1 [sync.Mutex.Lock]:"));
    REQUIRE(contains(r.err, "[sync.RWMutex.RLock]:"));
    REQUIRE(contains(r.err, "[sync.RWMutex.Lock]:"));
    REQUIRE(contains(r.err, "[sync.Cond.Wait]:"));
    REQUIRE(contains(r.err, "[semacquire]:"));
}

TEST_CASE("unlock of an unlocked mutex is Go's fatal error") {
    for (const char* which : {"mutex", "rwmutex", "rwmutex_r"}) {
        auto r = gocsp_test::run_program("sync_unlock_unlocked", which);
        INFO(which << " stderr: " << r.err);
        REQUIRE(r.exit_code == 2);
        REQUIRE(r.out.empty());
    }
    REQUIRE(gocsp_test::run_program("sync_unlock_unlocked", "mutex").err ==
            "fatal error: sync: unlock of unlocked mutex\n");
    REQUIRE(gocsp_test::run_program("sync_unlock_unlocked", "rwmutex").err ==
            "fatal error: sync: Unlock of unlocked RWMutex\n");
    REQUIRE(gocsp_test::run_program("sync_unlock_unlocked", "rwmutex_r").err ==
            "fatal error: sync: RUnlock of unlocked RWMutex\n");
}
