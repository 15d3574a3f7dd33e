// Checks the behaviour of Go's src/runtime/chan_test.go, TestChan: for every capacity from 0 to
// 19 - a receive from an empty channel blocks and a non-blocking one fails; a send to a full
// channel blocks and a non-blocking one fails; a closed channel yields its buffered values in
// order, then zero values; close unblocks a blocked receiver; values arrive uncorrupted and in
// FIFO order from one sender, and exactly once each from several senders to several receivers;
// len and cap are right.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <vector>

using namespace conformance;

namespace {

constexpr std::size_t caps = 20;

}  // namespace

TEST_CASE("chan_caps: a receive from an empty channel blocks, a non-blocking one fails") {
    watchdog dog("chan_caps: empty");
    // All capacities at once, so that one blocking window covers them all.
    struct state {
        gocsp::chan<int> c;
        std::shared_ptr<probe> recv1, recv2;
    };
    std::vector<state> all;
    for (std::size_t cap = 0; cap < caps; ++cap) {
        gocsp::chan<int> c(cap);
        all.push_back({c, go_probe([c] { (void)c.recv(); }), go_probe([c] { (void)c.recv_ok(); })});
    }
    for (auto& s : all) {
        REQUIRE(eventually([&] { return s.recv1->started.load() && s.recv2->started.load(); }));
    }
    std::this_thread::sleep_for(block_window);
    for (std::size_t cap = 0; cap < caps; ++cap) {
        INFO("cap " << cap);
        auto& s = all[cap];
        REQUIRE_FALSE(s.recv1->done.load());
        REQUIRE_FALSE(s.recv2->done.load());
        // Non-blocking receives fail.
        int v = 0;
        bool ok = false;
        REQUIRE(gocsp::select(gocsp::recv_case(s.c, v), gocsp::default_case) == 1);
        REQUIRE(gocsp::select(gocsp::recv_case(s.c, v, ok), gocsp::default_case) == 1);
        REQUIRE_FALSE(s.c.try_recv().has_value());
        // Two sends release the two receivers.
        s.c.send(0);
        s.c.send(0);
        REQUIRE(eventually([&] { return s.recv1->done.load() && s.recv2->done.load(); }));
        REQUIRE(s.c.len() == 0);
    }
}

TEST_CASE("chan_caps: a send to a full channel blocks, a non-blocking one fails") {
    watchdog dog("chan_caps: full");
    struct state {
        gocsp::chan<int> c;
        std::shared_ptr<probe> sender;
    };
    std::vector<state> all;
    for (std::size_t cap = 0; cap < caps; ++cap) {
        gocsp::chan<int> c(cap);
        for (std::size_t i = 0; i < cap; ++i) c.send(static_cast<int>(i));
        all.push_back({c, go_probe([c] { c.send(-1); })});
    }
    for (auto& s : all) REQUIRE(eventually([&] { return s.sender->started.load(); }));
    std::this_thread::sleep_for(block_window);
    for (std::size_t cap = 0; cap < caps; ++cap) {
        INFO("cap " << cap);
        auto& s = all[cap];
        REQUIRE_FALSE(s.sender->done.load());
        REQUIRE(gocsp::select(gocsp::send_case(s.c, 0), gocsp::default_case) == 1);
        REQUIRE_FALSE(s.c.try_send(0));
        REQUIRE(s.c.len() == cap);
        // One receive makes room: the oldest value comes out and the blocked sender's value
        // goes in behind the others.
        REQUIRE(s.c.recv() == (cap == 0 ? -1 : 0));
        REQUIRE(eventually([&] { return s.sender->done.load(); }));
        REQUIRE(s.c.len() == cap);
        for (std::size_t i = 1; i < cap; ++i) REQUIRE(s.c.recv() == static_cast<int>(i));
        if (cap > 0) REQUIRE(s.c.recv() == -1);
        REQUIRE(s.c.len() == 0);
    }
}

TEST_CASE("chan_caps: a closed channel yields its buffered values in order, then zero values") {
    for (std::size_t cap = 0; cap < caps; ++cap) {
        INFO("cap " << cap);
        gocsp::chan<int> c(cap);
        for (std::size_t i = 0; i < cap; ++i) c.send(static_cast<int>(i));
        c.close();
        for (std::size_t i = 0; i < cap; ++i) REQUIRE(c.recv() == static_cast<int>(i));
        REQUIRE(c.recv() == 0);
        auto [v, ok] = c.recv_ok();
        REQUIRE(v == 0);
        REQUIRE_FALSE(ok);
        auto r = c.try_recv();
        REQUIRE(r.has_value());
        REQUIRE_FALSE(r->ok);
    }
}

TEST_CASE("chan_caps: close unblocks a blocked receive") {
    watchdog dog("chan_caps: close unblocks");
    for (std::size_t cap = 0; cap < caps; ++cap) {
        INFO("cap " << cap);
        gocsp::chan<int> c(cap);
        gocsp::chan<bool> done(0);
        gocsp::go([c, done] {
            auto [v, ok] = c.recv_ok();
            done.send(v == 0 && !ok);
        });
        gocsp::sleep_for(1ms);
        c.close();
        REQUIRE(done.recv());
    }
}

TEST_CASE("chan_caps: values arrive uncorrupted, in FIFO order from one sender, once each from several") {
    watchdog dog("chan_caps: fifo and counts");
    constexpr int P = 4;
    const int L = stress_iterations / 10;
    for (std::size_t cap = 0; cap < caps; ++cap) {
        INFO("cap " << cap);
        gocsp::chan<int> c(cap);
        gocsp::go([c] {
            for (int i = 0; i < 100; ++i) c.send(i);
        });
        for (int i = 0; i < 100; ++i) REQUIRE(c.recv() == i);

        // Same, with recv_ok.
        gocsp::go([c] {
            for (int i = 0; i < 100; ++i) c.send(i);
        });
        for (int i = 0; i < 100; ++i) {
            auto [v, ok] = c.recv_ok();
            REQUIRE(ok);
            REQUIRE(v == i);
        }

        // P senders of 0..L-1, P receivers of L values each: every value arrives P times.
        for (int p = 0; p < P; ++p) {
            gocsp::go([c] {
                for (int i = 0; i < L; ++i) c.send(i);
            });
        }
        gocsp::chan<std::map<int, int>> done(0);
        for (int p = 0; p < P; ++p) {
            gocsp::go([c, done] {
                std::map<int, int> recv;
                for (int i = 0; i < L; ++i) ++recv[c.recv()];
                done.send(std::move(recv));
            });
        }
        std::map<int, int> recv;
        for (int p = 0; p < P; ++p)
            for (auto [k, v] : done.recv()) recv[k] += v;
        REQUIRE(recv.size() == static_cast<std::size_t>(L));
        bool all_p = true;
        for (auto [k, v] : recv) all_p = all_p && v == P && k >= 0 && k < L;
        REQUIRE(all_p);
    }
}

TEST_CASE("chan_caps: len and cap") {
    for (std::size_t cap = 0; cap < caps; ++cap) {
        INFO("cap " << cap);
        gocsp::chan<int> c(cap);
        REQUIRE(c.len() == 0);
        REQUIRE(c.cap() == cap);
        for (std::size_t i = 0; i < cap; ++i) {
            c.send(static_cast<int>(i));
            REQUIRE(c.len() == i + 1);
        }
        REQUIRE(c.len() == cap);
        REQUIRE(c.cap() == cap);
        gocsp::send_chan<int> s = c;
        gocsp::recv_chan<int> r = c;
        REQUIRE(s.len() == cap);
        REQUIRE(r.cap() == cap);
    }
}
