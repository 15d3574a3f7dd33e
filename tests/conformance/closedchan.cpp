// Checks the behaviour of Go's test/closedchan.go: what every kind of send and receive does on a
// closed channel, unbuffered and buffered, through the plain operations, through a one-case
// select and through a larger select with a never-ready extra case; close of a closed or nil
// channel. Beyond Go's test (its TODO): close wakes blocked receivers and blocked senders.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace conformance;

namespace {

/// The operations of closedchan.go's Chan interface. Nbrecv's second result is "selected":
/// the receive did not block (a closed channel is always ready).
struct chan_ops {
    virtual ~chan_ops() = default;
    virtual void send(int x) = 0;
    virtual bool nbsend(int x) = 0;
    virtual int recv() = 0;
    virtual std::pair<int, bool> recv2() = 0;                  // value, ok
    virtual std::pair<int, bool> nbrecv() = 0;                 // value, selected
    virtual std::tuple<int, bool, bool> nbrecv2() = 0;         // value, ok, selected
    virtual void close() = 0;
    virtual std::string impl() const = 0;
};

/// Direct operations: send/recv/recv_ok, and try_send/try_recv for the non-blocking ones.
struct direct_ops final : chan_ops {
    explicit direct_ops(gocsp::chan<int> c) : c(std::move(c)) {}
    void send(int x) override { c.send(x); }
    bool nbsend(int x) override { return c.try_send(x); }
    int recv() override { return c.recv(); }
    std::pair<int, bool> recv2() override {
        auto [v, ok] = c.recv_ok();
        return {v, ok};
    }
    std::pair<int, bool> nbrecv() override {
        auto r = c.try_recv();
        if (!r) return {0, false};
        return {r->value, true};
    }
    std::tuple<int, bool, bool> nbrecv2() override {
        auto r = c.try_recv();
        if (!r) return {0, false, false};
        return {r->value, r->ok, true};
    }
    void close() override { c.close(); }
    std::string impl() const override { return "(direct operations)"; }
    gocsp::chan<int> c;
};

/// The operators: ch << v and ch >> v (plain blocking operations only).
struct operator_ops final : chan_ops {
    explicit operator_ops(gocsp::chan<int> c) : c(std::move(c)) {}
    void send(int x) override { c << x; }
    bool nbsend(int x) override { return c.try_send(x); }
    int recv() override {
        int v = -1;
        c >> v;
        return v;
    }
    std::pair<int, bool> recv2() override {
        int v = -1;
        bool ok = c >> v;
        return {v, ok};
    }
    std::pair<int, bool> nbrecv() override {
        int v = -1;
        switch (gocsp::select(gocsp::default_case, gocsp::recv_case(c, v))) {
            case 0: return {0, false};
            default: return {v, true};
        }
    }
    std::tuple<int, bool, bool> nbrecv2() override {
        int v = -1;
        bool ok = true;
        switch (gocsp::select(gocsp::default_case, gocsp::recv_case(c, v, ok))) {
            case 0: return {0, false, false};
            default: return {v, ok, true};
        }
    }
    void close() override { c.close(); }
    std::string impl() const override { return "(<< and >> operators)"; }
    gocsp::chan<int> c;
};

/// Every operation through a select with one case (plus default for the non-blocking ones).
struct select_ops final : chan_ops {
    explicit select_ops(gocsp::chan<int> c) : c(std::move(c)) {}
    void send(int x) override { (void)gocsp::select(gocsp::send_case(c, x)); }
    bool nbsend(int x) override { return gocsp::select(gocsp::default_case, gocsp::send_case(c, x)) == 1; }
    int recv() override {
        int v = -1;
        (void)gocsp::select(gocsp::recv_case(c, v));
        return v;
    }
    std::pair<int, bool> recv2() override {
        int v = -1;
        bool ok = true;
        (void)gocsp::select(gocsp::recv_case(c, v, ok));
        return {v, ok};
    }
    std::pair<int, bool> nbrecv() override {
        int v = -1;
        if (gocsp::select(gocsp::default_case, gocsp::recv_case(c, v)) == 0) return {0, false};
        return {v, true};
    }
    std::tuple<int, bool, bool> nbrecv2() override {
        int v = -1;
        bool ok = true;
        if (gocsp::select(gocsp::default_case, gocsp::recv_case(c, v, ok)) == 0) return {0, false, false};
        return {v, ok, true};
    }
    void close() override { c.close(); }
    std::string impl() const override { return "(select)"; }
    gocsp::chan<int> c;
};

/// Every operation through a larger select whose extra case (a channel nobody uses) is never
/// ready; built at run time (a std::vector of cases) for good measure.
struct larger_select_ops final : chan_ops {
    explicit larger_select_ops(gocsp::chan<int> c) : c(std::move(c)) {}
    void send(int x) override {
        std::vector<gocsp::select_case> cases{gocsp::send_case(c, x), gocsp::recv_case(dummy)};
        (void)gocsp::select(cases);
    }
    bool nbsend(int x) override {
        std::vector<gocsp::select_case> cases{gocsp::default_case, gocsp::recv_case(dummy), gocsp::send_case(c, x)};
        return gocsp::select(cases) == 2;
    }
    int recv() override {
        int v = -1;
        std::vector<gocsp::select_case> cases{gocsp::recv_case(dummy), gocsp::recv_case(c, v)};
        (void)gocsp::select(cases);
        return v;
    }
    std::pair<int, bool> recv2() override {
        int v = -1;
        bool ok = true;
        std::vector<gocsp::select_case> cases{gocsp::recv_case(dummy), gocsp::recv_case(c, v, ok)};
        (void)gocsp::select(cases);
        return {v, ok};
    }
    std::pair<int, bool> nbrecv() override {
        int v = -1;
        std::vector<gocsp::select_case> cases{gocsp::recv_case(dummy), gocsp::default_case, gocsp::recv_case(c, v)};
        if (gocsp::select(cases) == 1) return {0, false};
        return {v, true};
    }
    std::tuple<int, bool, bool> nbrecv2() override {
        int v = -1;
        bool ok = true;
        std::vector<gocsp::select_case> cases{gocsp::recv_case(dummy), gocsp::default_case,
                                              gocsp::recv_case(c, v, ok)};
        if (gocsp::select(cases) == 1) return {0, false, false};
        return {v, ok, true};
    }
    void close() override { c.close(); }
    std::string impl() const override { return "(larger select)"; }
    gocsp::chan<int> c;
    gocsp::chan<bool> dummy{0};
};

using maker = std::unique_ptr<chan_ops> (*)(gocsp::chan<int>);

const maker makers[] = {
    [](gocsp::chan<int> c) -> std::unique_ptr<chan_ops> { return std::make_unique<direct_ops>(std::move(c)); },
    [](gocsp::chan<int> c) -> std::unique_ptr<chan_ops> { return std::make_unique<operator_ops>(std::move(c)); },
    [](gocsp::chan<int> c) -> std::unique_ptr<chan_ops> { return std::make_unique<select_ops>(std::move(c)); },
    [](gocsp::chan<int> c) -> std::unique_ptr<chan_ops> { return std::make_unique<larger_select_ops>(std::move(c)); },
};

gocsp::chan<int> closed_sync() {
    gocsp::chan<int> c(0);
    c.close();
    return c;
}

gocsp::chan<int> closed_async() {
    gocsp::chan<int> c(2);
    c.send(1);
    c.close();
    return c;
}

/// Go's test1: c is closed and drained.
void test1(chan_ops& c) {
    INFO(c.impl());
    for (int i = 0; i < 3; ++i) {
        // Receive a close signal (a zero value).
        REQUIRE(c.recv() == 0);
        REQUIRE(c.recv2() == std::pair<int, bool>{0, false});
        // Non-blocking receives do not block on a closed channel: selected == true.
        REQUIRE(c.nbrecv() == std::pair<int, bool>{0, true});
        REQUIRE(c.nbrecv2() == std::tuple<int, bool, bool>{0, false, true});
    }
    // A non-blocking send panics too (the channel is ready: ready to panic).
    REQUIRE_THROWS_MATCHES(c.nbsend(1), gocsp::panic_error, Catch::Message("send on closed channel"));
    // The value was discarded.
    REQUIRE(c.recv() == 0);
    REQUIRE_THROWS_MATCHES(c.send(2), gocsp::panic_error, Catch::Message("send on closed channel"));
    REQUIRE(c.recv() == 0);
}

}  // namespace

TEST_CASE("closedchan: a closed unbuffered channel, through every kind of operation") {
    for (maker mk : makers) {
        auto c = mk(closed_sync());
        test1(*c);
    }
}

TEST_CASE("closedchan: a closed buffered channel delivers its last value first, to every kind of receive") {
    for (maker mk : makers) {
        {
            auto c = mk(closed_async());  // testasync1: via recv
            INFO(c->impl());
            REQUIRE(c->recv() == 1);
            test1(*c);
        }
        {
            auto c = mk(closed_async());  // testasync2: via recv2
            INFO(c->impl());
            REQUIRE(c->recv2() == std::pair<int, bool>{1, true});
            test1(*c);
        }
        {
            auto c = mk(closed_async());  // testasync3: via nbrecv
            INFO(c->impl());
            REQUIRE(c->nbrecv() == std::pair<int, bool>{1, true});
            test1(*c);
        }
        {
            auto c = mk(closed_async());  // testasync4: via nbrecv2
            INFO(c->impl());
            REQUIRE(c->nbrecv2() == std::tuple<int, bool, bool>{1, true, true});
            test1(*c);
        }
    }
}

TEST_CASE("closedchan: close of a nil channel and of a closed channel panic") {
    gocsp::chan<int> nilch;
    REQUIRE_THROWS_MATCHES(nilch.close(), gocsp::panic_error, Catch::Message("close of nil channel"));
    gocsp::send_chan<int> nil_send = nilch;
    REQUIRE_THROWS_MATCHES(nil_send.close(), gocsp::panic_error, Catch::Message("close of nil channel"));

    for (std::size_t cap : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
        INFO("cap " << cap);
        gocsp::chan<int> ch(cap);
        ch.close();
        REQUIRE_THROWS_MATCHES(ch.close(), gocsp::panic_error, Catch::Message("close of closed channel"));
        gocsp::send_chan<int> s = ch;
        REQUIRE_THROWS_MATCHES(s.close(), gocsp::panic_error, Catch::Message("close of closed channel"));
        // Still closed and usable as such after the failed closes.
        REQUIRE(ch.recv_ok().ok == false);
    }
}

TEST_CASE("closedchan: buffered values are all delivered, in order, before the close is seen") {
    for (std::size_t cap : {std::size_t{1}, std::size_t{3}, std::size_t{8}}) {
        INFO("cap " << cap);
        gocsp::chan<int> c(cap);
        for (std::size_t i = 0; i < cap; ++i) c.send(static_cast<int>(i) + 10);
        c.close();
        REQUIRE(c.len() == cap);  // close keeps the buffer
        REQUIRE(c.cap() == cap);
        for (std::size_t i = 0; i < cap; ++i) {
            auto [v, ok] = c.recv_ok();
            REQUIRE(ok);
            REQUIRE(v == static_cast<int>(i) + 10);
            REQUIRE(c.len() == cap - i - 1);
        }
        for (int i = 0; i < 3; ++i) {
            auto [v, ok] = c.recv_ok();
            REQUIRE_FALSE(ok);
            REQUIRE(v == 0);
        }
        REQUIRE(c.len() == 0);
        REQUIRE(c.cap() == cap);
    }
}

TEST_CASE("closedchan: try_recv and select-with-default on a closed channel") {
    gocsp::chan<int> c(2);
    c.send(5);
    c.close();
    auto r = c.try_recv();
    REQUIRE(r.has_value());
    REQUIRE(r->value == 5);
    REQUIRE(r->ok);
    for (int i = 0; i < 3; ++i) {
        r = c.try_recv();
        REQUIRE(r.has_value());  // not "would block": closed is ready
        REQUIRE(r->value == 0);
        REQUIRE_FALSE(r->ok);
        int v = 7;
        bool ok = true;
        REQUIRE(gocsp::select(gocsp::recv_case(c, v, ok), gocsp::default_case) == 0);
        REQUIRE(v == 0);
        REQUIRE_FALSE(ok);
    }
    REQUIRE_THROWS_MATCHES(c.try_send(1), gocsp::panic_error, Catch::Message("send on closed channel"));
}

TEST_CASE("closedchan: range over a channel ends at the close, after the buffered values") {
    gocsp::chan<int> c(4);
    c << 1 << 2 << 3;
    c.close();
    std::vector<int> got;
    for (int v : c) got.push_back(v);
    REQUIRE(got == std::vector<int>{1, 2, 3});
    got.clear();
    for (int v : c) got.push_back(v);  // a second range over the drained channel ends at once
    REQUIRE(got.empty());

    gocsp::chan<int> u(0);
    gocsp::go([u] {
        for (int i = 1; i <= 5; ++i) u.send(i);
        u.close();
    });
    gocsp::recv_chan<int> r = u;
    for (int v : r) got.push_back(v);
    REQUIRE(got == std::vector<int>{1, 2, 3, 4, 5});

    int v = 9;
    REQUIRE_FALSE(u >> v);
    REQUIRE(v == 0);
}

TEST_CASE("closedchan: len and cap after close") {
    gocsp::chan<int> u(0);
    u.close();
    REQUIRE(u.len() == 0);
    REQUIRE(u.cap() == 0);
    gocsp::chan<int> b(3);
    b.send(1);
    b.send(2);
    b.close();
    gocsp::recv_chan<int> r = b;
    gocsp::send_chan<int> s = b;
    REQUIRE(b.len() == 2);
    REQUIRE(r.len() == 2);
    REQUIRE(s.len() == 2);
    REQUIRE(b.cap() == 3);
    REQUIRE(r.cap() == 3);
    REQUIRE(s.cap() == 3);
    (void)b.recv();
    REQUIRE(b.len() == 1);
    (void)b.recv();
    (void)b.recv();  // closed, drained
    REQUIRE(b.len() == 0);
    REQUIRE(b.cap() == 3);
}

TEST_CASE("closedchan: close wakes every blocked receiver with the zero value and ok false") {
    watchdog dog("closedchan: close wakes receivers");
    for (std::size_t cap : {std::size_t{0}, std::size_t{2}}) {
        INFO("cap " << cap);
        gocsp::chan<int> c(cap);
        gocsp::chan<int> other(0);  // never ready
        constexpr int n = 12;
        failures log;
        gocsp::wait_group started, finished;
        started.add(n);
        finished.add(n);
        for (int i = 0; i < n; ++i) {
            gocsp::go([&, i] {
                started.done();
                switch (i % 4) {
                    case 0: {
                        auto [v, ok] = c.recv_ok();
                        EXPECT_OFF_MAIN(log, v == 0 && !ok, "recv_ok got " << v << ", " << ok);
                        break;
                    }
                    case 1: {
                        int v = 5;
                        bool ok = true;
                        auto idx = gocsp::select(gocsp::recv_case(other), gocsp::recv_case(c, v, ok));
                        EXPECT_OFF_MAIN(log, idx == 1 && v == 0 && !ok, "select got " << idx << ", " << v << ", " << ok);
                        break;
                    }
                    case 2: {
                        int count = 0;
                        for (int v : c) count += 1 + v;
                        EXPECT_OFF_MAIN(log, count == 0, "range received " << count);
                        break;
                    }
                    default: {
                        EXPECT_OFF_MAIN(log, c.recv() == 0, "recv");
                        break;
                    }
                }
                finished.done();
            });
        }
        started.wait();
        pause(5ms);  // let them block (not required for correctness)
        c.close();
        finished.wait();
        INFO(log.summary());
        REQUIRE(log.count() == 0);
    }
}

TEST_CASE("closedchan: close makes every blocked sender panic with send on closed channel") {
    watchdog dog("closedchan: close wakes senders");
    for (std::size_t cap : {std::size_t{0}, std::size_t{1}}) {
        INFO("cap " << cap);
        gocsp::chan<int> c(cap);
        if (cap == 1) c.send(100);  // full: later senders block
        constexpr int n = 8;
        std::atomic<int> panics{0}, wrong{0};
        gocsp::wait_group started, finished;
        started.add(n);
        finished.add(n);
        for (int i = 0; i < n; ++i) {
            gocsp::go([&, i] {
                started.done();
                try {
                    if (i % 2 == 0) c.send(i);
                    else (void)gocsp::select(gocsp::send_case(c, i));
                } catch (const gocsp::panic_error& e) {
                    if (std::string(e.what()) == "send on closed channel") ++panics;
                    else ++wrong;
                }
                finished.done();
            });
        }
        started.wait();
        // Wait until every sender is blocked for sure: none can complete, as nobody receives.
        pause(20ms);
        c.close();
        finished.wait();
        // A sender that had not yet blocked when close ran panics as well: every one panics.
        REQUIRE(panics.load() == n);
        REQUIRE(wrong.load() == 0);
        if (cap == 1) {
            auto [v, ok] = c.recv_ok();  // the buffered value survives the close
            REQUIRE(ok);
            REQUIRE(v == 100);
        }
        REQUIRE_FALSE(c.recv_ok().ok);
    }
}
