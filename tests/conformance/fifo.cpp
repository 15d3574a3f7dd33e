// Checks the behaviour of Go's test/chan/fifo.go: a buffered channel is a FIFO for a single
// sender (AsynchFifo), and a daisy chain of goroutines, each taking its turn to receive from one
// unbuffered channel, receives the values in the order they were sent (SynchFifo).
#include "common.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace conformance;

namespace {

/// Go's Chain: waits for its turn (in), receives from ch and checks the value, passes the turn.
void chain(gocsp::recv_chan<int> ch, int val, gocsp::recv_chan<int> in, gocsp::send_chan<int> out, failures& log) {
    (void)in.recv();
    const int got = ch.recv();
    EXPECT_OFF_MAIN(log, got == val, "link " << val << " received " << got);
    out.send(1);
}

/// Go's SynchFifo with n links; the sends come from the calling thread or goroutine.
void synch_fifo(int n, failures& log) {
    gocsp::chan<int> ch(0);
    gocsp::chan<int> in(0);
    gocsp::chan<int> start = in;
    for (int i = 0; i < n; ++i) {
        gocsp::chan<int> out(0);
        gocsp::go([ch, i, in, out, &log] { chain(ch, i, in, out, log); });
        in = out;
    }
    start.send(0);
    for (int i = 0; i < n; ++i) ch.send(i);
    (void)in.recv();  // the last link is done
}

}  // namespace

TEST_CASE("fifo: a buffered channel delivers a single sender's values in order") {
    for (int n : {10, 1000}) {
        gocsp::chan<int> ch(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) ch.send(i);
        REQUIRE(ch.len() == static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) REQUIRE(ch.recv() == i);
        REQUIRE(ch.len() == 0);
    }
}

TEST_CASE("fifo: a buffered channel stays FIFO while it wraps around and a concurrent sender blocks") {
    watchdog dog("fifo: wrap-around");
    // A small buffer, a sender that runs ahead and blocks when it is full: order is preserved
    // across the wrap of the ring and across the hand-over from blocked senders to the buffer.
    for (std::size_t cap : {std::size_t{1}, std::size_t{3}, std::size_t{7}}) {
        INFO("cap " << cap);
        gocsp::chan<int> ch(cap);
        const int n = stress_iterations;
        gocsp::go([ch] {
            for (int i = 0; i < n; ++i) ch.send(i);
            ch.close();
        });
        int expect = 0;
        bool in_order = true;
        for (int v : ch) {
            if (v != expect) in_order = false;
            ++expect;
            if (expect % 97 == 0) gocsp::yield();  // let the sender fill up and block
        }
        REQUIRE(in_order);
        REQUIRE(expect == n);
    }
}

TEST_CASE("fifo: a daisy chain of goroutines receives an unbuffered channel's values in order") {
    watchdog dog("fifo: synch fifo");
    for (int n : {10, stress_iterations / 40}) {  // Go's 10, and 1000 (100 in sanitizer builds)
        INFO("links " << n);
        failures log;
        synch_fifo(n, log);
        INFO(log.summary());
        REQUIRE(log.count() == 0);
        failures log2;
        in_goroutine([&] { synch_fifo(n, log2); });
        INFO(log2.summary());
        REQUIRE(log2.count() == 0);
    }
}
