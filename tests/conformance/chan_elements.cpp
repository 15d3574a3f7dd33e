// Checks the behaviour of Go's src/runtime/chan_test.go, TestChanSendInterface (values of any
// kind sent through channels and send cases), and the channel rules of the Go memory model
// (go.dev/ref/mem), for gocsp's element types and handles: move-only elements through
// unbuffered and buffered channels and select; every value sent is destroyed exactly once -
// received, or left in the buffer when the last handle goes; a failed or refused send leaves the
// value with the sender; empty elements (Go's chan struct{}); handles are copyable and compare by
// identity; chan converts to send_chan/recv_chan, which compare too; the << and >> operators;
// range-for; plain threads as senders and receivers; and the happens-before rules: a send
// happens before the matching receive completes, and - unbuffered - the receive happens before
// the send completes (the k-th receive before the (k+C)-th send completes, for capacity C).
#include "common.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using namespace conformance;

namespace {

// ---------------------------------------------------------------------------------------------
// A move-only element that counts its objects and the destruction of the values it carries.

constexpr unsigned alive_magic = 0xA11CEu;
constexpr unsigned dead_magic = 0xDEADu;
constexpr int max_ids = 100000;

std::atomic<long> live_objects{0};
std::atomic<long> misuse{0};  // destroying or moving a dead object
std::vector<std::atomic<int>> value_destroyed(max_ids);

struct tracked {
    int id = -1;  // -1: carries no value (default-constructed or moved-from)
    unsigned magic = alive_magic;

    tracked() noexcept { ++live_objects; }
    explicit tracked(int i) noexcept : id(i) { ++live_objects; }
    tracked(tracked&& o) noexcept : id(o.id) {
        if (o.magic != alive_magic) ++misuse;
        o.id = -1;
        ++live_objects;
    }
    tracked& operator=(tracked&& o) noexcept {
        if (o.magic != alive_magic || magic != alive_magic) ++misuse;
        if (this != &o) {
            drop();
            id = o.id;
            o.id = -1;
        }
        return *this;
    }
    tracked(const tracked&) = delete;
    tracked& operator=(const tracked&) = delete;
    ~tracked() {
        if (magic != alive_magic) ++misuse;
        drop();
        magic = dead_magic;
        --live_objects;
    }
    void drop() noexcept {
        if (id >= 0 && id < max_ids) ++value_destroyed[static_cast<std::size_t>(id)];
        id = -1;
    }
};

void reset_counts() {
    for (auto& v : value_destroyed) v = 0;
    misuse = 0;
}

/// Every value id in [0, n) was destroyed exactly once, and nothing beyond.
bool each_destroyed_once(int n) {
    for (int i = 0; i < max_ids; ++i) {
        const int want = i < n ? 1 : 0;
        if (value_destroyed[static_cast<std::size_t>(i)].load() != want) return false;
    }
    return true;
}

struct empty {};

}  // namespace

TEST_CASE("chan_elements: move-only values through unbuffered and buffered channels and select") {
    watchdog dog("chan_elements: move-only");
    for (std::size_t cap : {std::size_t{0}, std::size_t{1}, std::size_t{4}}) {
        INFO("cap " << cap);
        gocsp::chan<std::unique_ptr<int>> c(cap);
        const int n = 200;
        gocsp::go([c] {
            for (int i = 0; i < n; ++i) {
                auto p = std::make_unique<int>(i);
                if (i % 2 == 0) c.send(std::move(p));
                else (void)gocsp::select(gocsp::send_case(c, std::move(p)));
            }
            c.close();
        });
        int expect = 0;
        bool ok_values = true;
        for (;;) {
            std::unique_ptr<int> p;
            bool ok = false;
            if (expect % 3 == 0) {
                auto r = c.recv_ok();
                p = std::move(r.value);
                ok = r.ok;
            } else {
                (void)gocsp::select(gocsp::recv_case(c, p, ok));
            }
            if (!ok) {
                ok_values = ok_values && p == nullptr;  // the zero value of unique_ptr
                break;
            }
            ok_values = ok_values && p != nullptr && *p == expect;
            ++expect;
        }
        REQUIRE(ok_values);
        REQUIRE(expect == n);
    }
}

TEST_CASE("chan_elements: a refused or failed send leaves a move-only value with the sender") {
    gocsp::chan<std::unique_ptr<int>> full(1);
    full.send(std::make_unique<int>(1));
    auto p = std::make_unique<int>(2);
    REQUIRE_FALSE(full.try_send(std::move(p)));
    REQUIRE(p != nullptr);
    REQUIRE(gocsp::select(gocsp::send_case(full, std::move(p)), gocsp::default_case) == 1);
    REQUIRE(p != nullptr);  // the send case did not run: untouched
    REQUIRE(*p == 2);

    gocsp::chan<std::unique_ptr<int>> closed(1);
    closed.close();
    REQUIRE_THROWS_MATCHES(closed.send(std::move(p)), gocsp::panic_error, Catch::Message("send on closed channel"));
    REQUIRE(p != nullptr);  // not consumed by the failed send
    REQUIRE_THROWS_AS(closed.try_send(std::move(p)), gocsp::panic_error);
    REQUIRE(p != nullptr);
    REQUIRE_THROWS_AS(gocsp::select(gocsp::send_case(closed, std::move(p))), gocsp::panic_error);
    REQUIRE(p != nullptr);
    REQUIRE(*p == 2);

    // A sender blocked when the channel is closed keeps its value too.
    gocsp::chan<std::unique_ptr<int>> blocked(0);
    std::atomic<bool> kept{false}, threw{false};
    gocsp::wait_group wg;
    wg.add(1);
    gocsp::go([&] {
        auto q = std::make_unique<int>(3);
        try {
            blocked.send(std::move(q));
        } catch (const gocsp::panic_error&) {
            threw = true;
        }
        kept = q != nullptr && *q == 3;
        wg.done();
    });
    gocsp::sleep_for(5ms);
    blocked.close();
    wg.wait();
    REQUIRE(threw.load());
    REQUIRE(kept.load());
}

TEST_CASE("chan_elements: every value is destroyed exactly once, including values left in the buffer") {
    watchdog dog("chan_elements: destruction");
    reset_counts();
    const long baseline = live_objects.load();
    int next_id = 0;
    {
        // Buffered: 8 sent, 3 received, 5 left when the last handle goes.
        gocsp::chan<tracked> c(8);
        for (int i = 0; i < 8; ++i) c.send(tracked(next_id++));
        for (int i = 0; i < 3; ++i) {
            tracked t = c.recv();
            REQUIRE(t.id == i);
        }
        gocsp::chan<tracked> copy = c;  // two handles; both go below
        REQUIRE(copy.len() == 5);
    }
    REQUIRE(each_destroyed_once(next_id));
    REQUIRE(live_objects.load() == baseline);
    {
        // Unbuffered and buffered with goroutine senders, select sends and receives, a failed
        // non-blocking send, a close with values still buffered.
        for (std::size_t cap : {std::size_t{0}, std::size_t{3}}) {
            gocsp::chan<tracked> c(cap);
            const int first = next_id;
            const int n = 300;
            next_id += n;
            gocsp::wait_group wg;
            wg.add(1);
            gocsp::go([c, first, &wg]() mutable {
                {
                    // The goroutine's handle must be gone before wg.done(): values left in the
                    // buffer die with the last handle, and the checks below run after wg.wait().
                    gocsp::chan<tracked> ch = std::move(c);
                    for (int i = first; i < first + n; ++i) {
                        tracked t(i);
                        if (i % 2 == 0) ch.send(std::move(t));
                        else (void)gocsp::select(gocsp::send_case(ch, std::move(t)));
                    }
                }
                wg.done();
            });
            int wrong_order = 0;
            for (int i = 0; i < n - 2; ++i) {  // leave up to two behind
                tracked t;
                if (i % 2 == 0) t = c.recv();
                else (void)gocsp::select(gocsp::recv_case(c, t));
                if (t.id != first + i) ++wrong_order;
            }
            REQUIRE(wrong_order == 0);
            if (cap == 0) {  // the last two are with the blocked sender: take them
                (void)c.recv();
                (void)c.recv();
            }
            wg.wait();
            c.close();  // buffered values survive the close, and die with the channel
        }
        gocsp::chan<tracked> full(1);
        full.send(tracked(next_id++));
        tracked extra(next_id++);
        REQUIRE_FALSE(full.try_send(std::move(extra)));
        REQUIRE(extra.id == next_id - 1);  // untouched, destroyed at the end of this scope
    }
    REQUIRE(misuse.load() == 0);
    REQUIRE(each_destroyed_once(next_id));
    REQUIRE(live_objects.load() == baseline);
}

TEST_CASE("chan_elements: empty elements - Go's chan struct{} - as signals and counters") {
    watchdog dog("chan_elements: empty");
    gocsp::chan<empty> done(0);
    gocsp::go([done] { done.send(empty{}); });
    (void)done.recv();
    gocsp::chan<empty> sem(1000);
    for (int i = 0; i < 1000; ++i) REQUIRE(sem.try_send(empty{}));
    REQUIRE_FALSE(sem.try_send(empty{}));
    REQUIRE(sem.len() == 1000);
    REQUIRE(sem.cap() == 1000);
    int n = 0;
    while (sem.try_recv()) ++n;
    REQUIRE(n == 1000);
    // Close as a broadcast.
    gocsp::chan<empty> quit(0);
    std::atomic<int> woken{0};
    gocsp::wait_group wg;
    wg.add(10);
    for (int i = 0; i < 10; ++i) {
        gocsp::go([&] {
            (void)gocsp::select(gocsp::recv_case(quit));
            ++woken;
            wg.done();
        });
    }
    quit.close();
    wg.wait();
    REQUIRE(woken.load() == 10);
    auto [v, ok] = quit.recv_ok();
    (void)v;
    REQUIRE_FALSE(ok);
    // std::monostate, another empty type.
    gocsp::chan<std::monostate> m(2);
    m << std::monostate{};
    REQUIRE(m.recv_ok().ok);
}

TEST_CASE("chan_elements: handles are copyable and == compares identity, views too") {
    gocsp::chan<int> a(1);
    gocsp::chan<int> b = a;
    gocsp::chan<int> c(1);
    gocsp::chan<int> nil1, nil2;
    REQUIRE(a == b);
    REQUIRE_FALSE(a == c);
    REQUIRE(a != c);
    REQUIRE(nil1 == nil2);
    REQUIRE(nil1 != a);
    REQUIRE(nil1.is_nil());
    REQUIRE_FALSE(a.is_nil());
    b.send(5);  // one channel behind both handles
    REQUIRE(a.len() == 1);
    REQUIRE(a.recv() == 5);
    b = c;  // reassigning a handle rebinds it
    REQUIRE(b == c);
    REQUIRE(b != a);
    b = gocsp::chan<int>();
    REQUIRE(b.is_nil());

    // Conversions to the directional views, which keep the identity.
    gocsp::send_chan<int> s = a;
    gocsp::recv_chan<int> r = a;
    REQUIRE(s == gocsp::send_chan<int>(a));
    REQUIRE(r == gocsp::recv_chan<int>(a));
    REQUIRE(s != gocsp::send_chan<int>(c));
    REQUIRE(r != gocsp::recv_chan<int>(c));
    REQUIRE(gocsp::send_chan<int>(nil1) == gocsp::send_chan<int>());
    REQUIRE(gocsp::recv_chan<int>(nil1).is_nil());
    s.send(7);
    REQUIRE(r.recv() == 7);
    REQUIRE(s.cap() == 1);
    REQUIRE(r.cap() == 1);
    gocsp::send_chan<int> s2 = s;  // views copy too
    REQUIRE(s2 == s);
    s2.close();  // closing through a send view closes the channel
    REQUIRE_FALSE(r.recv_ok().ok);

    // A handle keeps the channel alive after the others go.
    gocsp::recv_chan<int> survivor;
    {
        gocsp::chan<int> tmp(2);
        tmp.send(9);
        survivor = tmp;
    }
    REQUIRE(survivor.recv() == 9);
}

TEST_CASE("chan_elements: the << and >> operators") {
    gocsp::chan<int> c(3);
    c << 1 << 2;  // chained sends
    gocsp::send_chan<int> s = c;
    s << 3;
    int v = 0;
    REQUIRE(c >> v);
    REQUIRE(v == 1);
    gocsp::recv_chan<int> r = c;
    REQUIRE(r >> v);
    REQUIRE(v == 2);
    REQUIRE(c >> v);
    REQUIRE(v == 3);
    c.close();
    v = 42;
    REQUIRE_FALSE(c >> v);
    REQUIRE(v == 0);
    // Converting sends: the value is converted to the element type.
    gocsp::chan<std::string> strs(2);
    strs << "hello" << std::string("world");
    std::string w;
    REQUIRE(strs >> w);
    REQUIRE(w == "hello");
    gocsp::chan<long> longs(1);
    longs << 7;  // int to long
    REQUIRE(longs.recv() == 7L);
    // while (ch >> v), Go's for-range spelled with the operator.
    gocsp::chan<int> u(0);
    gocsp::go([u] {
        for (int i = 0; i < 10; ++i) u << i;
        u.close();
    });
    int sum = 0, count = 0;
    while (u >> v) {
        sum += v;
        ++count;
    }
    REQUIRE(count == 10);
    REQUIRE(sum == 45);
}

TEST_CASE("chan_elements: range-for over chan and recv_chan, sending from goroutines and threads") {
    watchdog dog("chan_elements: range");
    gocsp::chan<std::string> c(0);
    std::thread t([c] {
        for (int i = 0; i < 100; ++i) c.send(std::to_string(i));
        c.close();
    });
    int expect = 0;
    bool in_order = true;
    for (const std::string& s : c) in_order = in_order && s == std::to_string(expect++);
    t.join();
    REQUIRE(in_order);
    REQUIRE(expect == 100);

    gocsp::chan<int> b(5);
    gocsp::go([b] {
        for (int i = 0; i < 100; ++i) b.send(i);
        b.close();
    });
    gocsp::recv_chan<int> r = b;
    long sum = 0;
    for (int v : r) sum += v;
    REQUIRE(sum == 4950);
}

TEST_CASE("chan_elements: plain threads as senders and receivers, with goroutines on the other side") {
    watchdog dog("chan_elements: threads");
    const int n = stress_iterations;
    for (std::size_t cap : {std::size_t{0}, std::size_t{8}}) {
        INFO("cap " << cap);
        gocsp::chan<int> to_goroutines(cap), to_threads(cap);
        std::atomic<long> goroutine_sum{0}, thread_sum{0};
        gocsp::wait_group wg;
        wg.add(2);
        for (int g = 0; g < 2; ++g) {
            gocsp::go([&] {
                for (int v : to_goroutines) goroutine_sum += v;
                wg.done();
            });
        }
        std::vector<std::thread> threads;
        for (int t = 0; t < 2; ++t) {
            threads.emplace_back([&] {
                for (int v : to_threads) thread_sum += v;
            });
        }
        std::thread producer([&] {  // a thread feeding goroutines
            for (int i = 1; i <= n; ++i) to_goroutines.send(i);
            to_goroutines.close();
        });
        gocsp::wait_group fed;
        fed.add(1);
        gocsp::go([&] {  // a goroutine feeding threads
            for (int i = 1; i <= n; ++i) to_threads.send(i);
            to_threads.close();
            fed.done();
        });
        producer.join();
        fed.wait();
        wg.wait();
        for (auto& t : threads) t.join();
        const long expect = static_cast<long>(n) * (n + 1) / 2;
        REQUIRE(goroutine_sum.load() == expect);
        REQUIRE(thread_sum.load() == expect);
    }
}

TEST_CASE("chan_elements: a send happens before the matching receive completes") {
    // The sender writes plain (non-atomic) data, then sends; the receiver reads it after the
    // receive and must see the write (under TSan, a missing synchronisation is also a report).
    watchdog dog("chan_elements: send before receive");
    const int n = stress_iterations;
    for (std::size_t cap : {std::size_t{0}, std::size_t{1}, std::size_t{16}}) {
        INFO("cap " << cap);
        std::vector<int> data(static_cast<std::size_t>(n), 0);
        gocsp::chan<int> c(cap);
        gocsp::go([&data, c] {
            for (int i = 0; i < n; ++i) {
                data[static_cast<std::size_t>(i)] = i * 7 + 1;
                c.send(i);
            }
        });
        int wrong = 0;
        for (int i = 0; i < n; ++i) {
            const int k = c.recv();
            if (data[static_cast<std::size_t>(k)] != k * 7 + 1) ++wrong;
        }
        REQUIRE(wrong == 0);
    }
}

TEST_CASE("chan_elements: an unbuffered receive happens before the send completes") {
    // Go's memory model: a receive from an unbuffered channel is synchronised before the
    // completion of the corresponding send. The receiver writes plain data just BEFORE it
    // receives; the sender reads it right after its send returns, and must see it. It is written
    // after a delay, so a send that returned early (before a receiver took the value, as into a
    // buffer) would see the old data. For capacity C, the k-th receive is synchronised before the
    // (k+C)-th send completes: the same check C sends later.
    watchdog dog("chan_elements: receive before send completes");
    const int n = stress_iterations / 10;
    for (std::size_t cap : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
        INFO("cap " << cap);
        std::vector<int> before_recv(static_cast<std::size_t>(n), 0);
        gocsp::chan<int> c(cap);
        gocsp::wait_group wg;
        wg.add(1);
        gocsp::go([&before_recv, c, &wg] {
            for (int k = 0; k < n; ++k) {
                if (k % 16 == 0) gocsp::sleep_for(50us);  // make the sender wait for us
                else gocsp::yield();
                before_recv[static_cast<std::size_t>(k)] = 1;
                (void)c.recv();
            }
            wg.done();
        });
        int early = 0;
        for (int i = 0; i < n; ++i) {
            c.send(i);
            // The (i - cap)-th receive has happened: everything it wrote before is visible.
            const long k = static_cast<long>(i) - static_cast<long>(cap);
            if (k >= 0 && before_recv[static_cast<std::size_t>(k)] != 1) ++early;
        }
        wg.wait();
        REQUIRE(early == 0);
    }
}
