// Checks the behaviour of Go's test/chan/select3.go: the semantics table of blocking and
// panicking for nil, closed, ready and non-ready channels, in plain operations and in select
// (with and without default, empty, only-nil, and a select that sees its own channel).
#include "common.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace conformance;

namespace {

constexpr int async = 1;  // Go's "asynchronous channels": buffered with one slot

gocsp::chan<int> closed_chan() {
    gocsp::chan<int> c(0);
    c.close();
    return c;
}

}  // namespace

// [leaks-ok]: the probe goroutine blocks forever, which is what this case checks.
TEST_CASE("select3: send and receive on a nil channel block forever", "[leaks-ok]") {
    gocsp::chan<int> nilch;
    REQUIRE(nilch.is_nil());
    CHECK(blocks([nilch] { nilch.send(7); }));
    CHECK(blocks([nilch] { (void)nilch.recv(); }));
    CHECK(blocks([nilch] { (void)nilch.recv_ok(); }));
    CHECK(blocks([nilch] {
        for (int v : nilch) (void)v;  // range over a nil channel never ends
    }));
    CHECK(blocks([nilch] { nilch << 7; }));
    CHECK(blocks([nilch] {
        int v = 0;
        (void)(nilch >> v);
    }));
    // Through the directional views too.
    gocsp::send_chan<int> s = nilch;
    gocsp::recv_chan<int> r = nilch;
    CHECK(blocks([s] { s.send(1); }));
    CHECK(blocks([r] { (void)r.recv(); }));
}

TEST_CASE("select3: a plain thread blocks on a nil channel as a goroutine parks") {
    gocsp::chan<int> nilch;
    CHECK(still_blocked(thread_probe([nilch] { (void)nilch.recv(); })));
    CHECK(still_blocked(thread_probe([nilch] { nilch.send(1); })));
}

TEST_CASE("select3: non-blocking operations on a nil channel never succeed and never block") {
    gocsp::chan<int> nilch;
    REQUIRE_FALSE(nilch.try_send(7));
    REQUIRE_FALSE(nilch.try_recv().has_value());
    REQUIRE(nilch.len() == 0);
    REQUIRE(nilch.cap() == 0);
}

TEST_CASE("select3: nil-channel cases in a select with default are never chosen") {
    gocsp::chan<int> nilch;
    int v = 42;
    bool ok = true;
    for (int i = 0; i < 100; ++i) {
        REQUIRE(gocsp::select(gocsp::send_case(nilch, 7), gocsp::default_case) == 1);
        REQUIRE(gocsp::select(gocsp::recv_case(nilch), gocsp::default_case) == 1);
        REQUIRE(gocsp::select(gocsp::recv_case(nilch, v, ok), gocsp::default_case) == 1);
        REQUIRE(gocsp::select(gocsp::default_case, gocsp::recv_case(nilch, v), gocsp::send_case(nilch, 1)) == 0);
    }
    REQUIRE(v == 42);  // untouched: the case did not run
    REQUIRE(ok);
}

TEST_CASE("select3: sending into free buffer space does not block") {
    CHECK(completes([] {
        gocsp::chan<int> ch(async);
        ch.send(7);
    }));
    gocsp::chan<int> ch(async);
    ch.send(7);  // on the main thread as well
    REQUIRE(ch.len() == 1);
    REQUIRE(ch.recv() == 7);
}

TEST_CASE("select3: receiving from a closed channel never blocks and yields zero with ok false") {
    auto closedch = closed_chan();
    failures log;
    CHECK(completes([closedch, &log] {
        for (int i = 0; i < 10; ++i) {
            EXPECT_OFF_MAIN(log, closedch.recv() == 0, "expected zero value from closed channel");
            auto [x, ok] = closedch.recv_ok();
            EXPECT_OFF_MAIN(log, x == 0 && !ok, "expected 0, false from closed channel");
        }
    }));
    INFO(log.summary());
    REQUIRE(log.count() == 0);
    for (int i = 0; i < 10; ++i) {  // and from the main thread
        REQUIRE(closedch.recv() == 0);
        auto [x, ok] = closedch.recv_ok();
        REQUIRE(x == 0);
        REQUIRE_FALSE(ok);
    }
}

TEST_CASE("select3: sending on a closed channel panics") {
    auto closedch = closed_chan();
    REQUIRE_THROWS_MATCHES(closedch.send(7), gocsp::panic_error, Catch::Message("send on closed channel"));
    REQUIRE_THROWS_MATCHES(closedch << 7, gocsp::panic_error, Catch::Message("send on closed channel"));
    REQUIRE_THROWS_MATCHES(closedch.try_send(7), gocsp::panic_error, Catch::Message("send on closed channel"));
    // And in a goroutine, where the panic can be caught as well.
    auto p = go_probe([closedch] { closedch.send(7); });
    REQUIRE(eventually([&] { return p->threw.load() || p->done.load(); }));
    REQUIRE(p->threw.load());
    REQUIRE(p->what == "send on closed channel");
}

// [leaks-ok]: the probe goroutine blocks forever, which is what this case checks.
TEST_CASE("select3: receiving from a channel nobody sends on blocks", "[leaks-ok]") {
    CHECK(blocks([] {
        gocsp::chan<int> ch(0);
        (void)ch.recv();
    }));
    CHECK(blocks([] {
        gocsp::chan<int> ch(async);  // empty buffered channel
        (void)ch.recv();
    }));
    CHECK(blocks([] {
        gocsp::chan<int> ch(0);  // unbuffered send without a receiver
        ch.send(1);
    }));
    CHECK(blocks([] {
        gocsp::chan<int> ch(async);  // full buffered channel
        ch.send(1);
        ch.send(2);
    }));
}

// [leaks-ok]: the probe goroutine blocks forever, which is what this case checks.
TEST_CASE("select3: an empty select blocks forever", "[leaks-ok]") {
    CHECK(blocks([] { (void)gocsp::select(); }));
    CHECK(blocks([] {
        std::vector<gocsp::select_case> none;
        (void)gocsp::select(none);
    }));
}

// [leaks-ok]: the probe goroutine blocks forever, which is what this case checks.
TEST_CASE("select3: a select with only nil-channel cases blocks forever", "[leaks-ok]") {
    gocsp::chan<int> nilch;
    CHECK(blocks([nilch] { (void)gocsp::select(gocsp::recv_case(nilch)); }));
    CHECK(blocks([nilch] { (void)gocsp::select(gocsp::send_case(nilch, 7)); }));
    CHECK(blocks([nilch] { (void)gocsp::select(gocsp::recv_case(nilch), gocsp::send_case(nilch, 7)); }));
    CHECK(blocks([nilch] {
        int v = 0;
        bool ok = false;
        std::vector<gocsp::select_case> cases{gocsp::recv_case(nilch, v, ok), gocsp::send_case(nilch, v)};
        (void)gocsp::select(cases);
    }));
}

// [leaks-ok]: the probe goroutine blocks forever, which is what this case checks.
TEST_CASE("select3: a select on non-ready channels blocks", "[leaks-ok]") {
    CHECK(blocks([] {
        gocsp::chan<int> ch(0);
        (void)gocsp::select(gocsp::recv_case(ch));
    }));
    CHECK(blocks([] {
        gocsp::chan<int> ch(0);
        (void)gocsp::select(gocsp::send_case(ch, 1));
    }));
    CHECK(blocks([] {
        gocsp::chan<int> full(1);
        full.send(1);
        gocsp::chan<int> empty(1);
        (void)gocsp::select(gocsp::send_case(full, 2), gocsp::recv_case(empty));
    }));
}

TEST_CASE("select3: a select with a default case never blocks") {
    CHECK(completes([] {
        if (gocsp::select(gocsp::default_case) != 0) throw std::runtime_error("default not chosen");
    }));
    gocsp::chan<int> nilch;
    CHECK(completes([nilch] {
        if (gocsp::select(gocsp::recv_case(nilch), gocsp::default_case) != 1) throw std::runtime_error("nil recv");
    }));
    CHECK(completes([nilch] {
        if (gocsp::select(gocsp::send_case(nilch, 7), gocsp::default_case) != 1) throw std::runtime_error("nil send");
    }));
    CHECK(completes([] {
        gocsp::chan<int> ch(0);  // not ready: the default runs
        if (gocsp::select(gocsp::recv_case(ch), gocsp::send_case(ch, 1), gocsp::default_case) != 2)
            throw std::runtime_error("unready");
    }));
    REQUIRE(gocsp::select(gocsp::default_case) == 0);  // also on the main thread
}

TEST_CASE("select3: a select on ready channels does not block and does not take the default") {
    CHECK(completes([] {
        gocsp::chan<int> ch(async);
        if (gocsp::select(gocsp::send_case(ch, 7), gocsp::default_case) != 0) throw std::runtime_error("send");
        if (ch.recv() != 7) throw std::runtime_error("value");
    }));
    CHECK(completes([] {
        gocsp::chan<int> ch(async);
        ch.send(7);
        int v = 0;
        if (gocsp::select(gocsp::recv_case(ch, v), gocsp::default_case) != 0) throw std::runtime_error("recv");
        if (v != 7) throw std::runtime_error("value");
    }));
}

TEST_CASE("select3: select cases on a closed channel behave like the plain operations") {
    auto closedch = closed_chan();
    CHECK(completes([closedch] {
        if (gocsp::select(gocsp::recv_case(closedch)) != 0) throw std::runtime_error("index");
    }));
    failures log;
    CHECK(completes([closedch, &log] {
        int x = 99;
        EXPECT_OFF_MAIN(log, gocsp::select(gocsp::recv_case(closedch, x)) == 0, "index");
        EXPECT_OFF_MAIN(log, x == 0, "x = " << x << ", want the zero value");
    }));
    CHECK(completes([closedch, &log] {
        int x = 99;
        bool ok = true;
        EXPECT_OFF_MAIN(log, gocsp::select(gocsp::recv_case(closedch, x, ok)) == 0, "index");
        EXPECT_OFF_MAIN(log, x == 0 && !ok, "x, ok = " << x << ", " << ok << "; want 0, false");
    }));
    INFO(log.summary());
    REQUIRE(log.count() == 0);
    // A closed receive case is ready: it wins over the default every time.
    for (int i = 0; i < 100; ++i) REQUIRE(gocsp::select(gocsp::recv_case(closedch), gocsp::default_case) == 0);
    // A chosen send case on a closed channel panics, as the plain send does.
    REQUIRE_THROWS_MATCHES(gocsp::select(gocsp::send_case(closedch, 7)), gocsp::panic_error,
                           Catch::Message("send on closed channel"));
    REQUIRE_THROWS_MATCHES(gocsp::select(gocsp::send_case(closedch, 7), gocsp::default_case), gocsp::panic_error,
                           Catch::Message("send on closed channel"));
}

// [leaks-ok]: the probe goroutine blocks forever, which is what this case checks.
TEST_CASE("select3: a select does not get confused when it sees its own channel on both sides", "[leaks-ok]") {
    // A send and a receive case on one unbuffered channel can never pair with each other.
    CHECK(blocks([] {
        gocsp::chan<int> c(0);
        (void)gocsp::select(gocsp::send_case(c, 1), gocsp::recv_case(c));
    }));
    CHECK(blocks([] {
        gocsp::chan<int> c(0);
        (void)gocsp::select(gocsp::recv_case(c), gocsp::send_case(c, 1), gocsp::recv_case(c));
    }));
}
