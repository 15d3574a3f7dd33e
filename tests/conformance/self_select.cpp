// Checks the behaviour of Go's src/runtime/chan_test.go, TestSelfSelect: goroutines that select
// on both a send to and a receive from the SAME channel (case orders alternating) neither crash
// nor deadlock, and on an unbuffered channel a goroutine never receives its own value (its send
// case cannot pair with its own receive case). Beyond Go's test: exact accounting of values.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace conformance;

namespace {

struct tally {
    std::atomic<long> sent{0}, received{0}, self_received{0}, foreign{0};
};

/// One participant p in {0, 1}: n selects, each either sends p or receives a value.
void participant(const gocsp::chan<int>& c, int p, int n, std::size_t cap, tally& t) {
    for (int i = 0; i < n; ++i) {
        int v = -1;
        bool received = false;
        if (p == 0 || i % 2 == 0) {
            received = gocsp::select(gocsp::send_case(c, p), gocsp::recv_case(c, v)) == 1;
        } else {
            received = gocsp::select(gocsp::recv_case(c, v), gocsp::send_case(c, p)) == 0;
        }
        if (received) {
            ++t.received;
            if (cap == 0 && v == p) ++t.self_received;
            if (v != 0 && v != 1) ++t.foreign;
        } else {
            ++t.sent;
        }
    }
}

void check(tally& t, std::size_t cap, const gocsp::chan<int>& c, int n) {
    INFO("cap " << cap << ": sent " << t.sent << ", received " << t.received);
    REQUIRE(t.self_received.load() == 0);
    REQUIRE(t.foreign.load() == 0);
    REQUIRE(t.sent.load() + t.received.load() == 2L * n);
    // Whatever was sent and not received is still in the buffer.
    REQUIRE(t.sent.load() - t.received.load() == static_cast<long>(c.len()));
    if (cap == 0) REQUIRE(t.sent.load() == t.received.load());
}

}  // namespace

TEST_CASE("self_select: two goroutines select on send and receive of one channel") {
    watchdog dog("self_select: goroutines");
    const int n = stress_iterations / 10;
    for (std::size_t cap : {std::size_t{0}, std::size_t{1}, std::size_t{10}}) {
        gocsp::chan<int> c(cap);
        tally t;
        gocsp::wait_group wg;
        wg.add(2);
        for (int p = 0; p < 2; ++p) {
            gocsp::go([&, p] {
                participant(c, p, n, cap, t);
                wg.done();
            });
        }
        wg.wait();
        check(t, cap, c, n);
    }
}

TEST_CASE("self_select: a goroutine and a plain thread select on send and receive of one channel") {
    watchdog dog("self_select: goroutine and thread");
    const int n = stress_iterations / 10;
    for (std::size_t cap : {std::size_t{0}, std::size_t{1}}) {
        gocsp::chan<int> c(cap);
        tally t;
        gocsp::wait_group wg;
        wg.add(1);
        gocsp::go([&] {
            participant(c, 0, n, cap, t);
            wg.done();
        });
        std::thread other([&] { participant(c, 1, n, cap, t); });
        wg.wait();
        other.join();
        check(t, cap, c, n);
    }
}

// [leaks-ok]: the lone select blocks forever, which is what this case checks.
TEST_CASE("self_select: alone, a select on both ends of an unbuffered channel blocks", "[leaks-ok]") {
    // The degenerate case: no partner, so neither case can ever run.
    CHECK(blocks([] {
        gocsp::chan<int> c(0);
        int v = 0;
        (void)gocsp::select(gocsp::recv_case(c, v), gocsp::send_case(c, 1));
    }));
    // With one slot, the same select alternates: send into the slot, then receive it back.
    gocsp::chan<int> c(1);
    for (int i = 0; i < 10; ++i) {
        int v = -1;
        const auto first = gocsp::select(gocsp::recv_case(c, v), gocsp::send_case(c, i));
        REQUIRE(first == 1);  // empty: only the send is ready
        const auto second = gocsp::select(gocsp::recv_case(c, v), gocsp::send_case(c, i + 100));
        REQUIRE(second == 0);  // full: only the receive is ready
        REQUIRE(v == i);
    }
}
