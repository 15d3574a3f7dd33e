// Checks the behaviour of Go's test/chan/select7.go: a receive that discards its value, in three
// shapes (a plain receive, a select with that one case, a select with a second never-ready case),
// against a sender in three matching shapes (plain send, one-case select, select with a second
// never-ready case): all nine pairings complete. Beyond Go's test, the receiver also reports
// which case ran, and the value-keeping forms of the receive check the value.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <string>

using namespace conformance;

namespace {

using recv_fn = void (*)(gocsp::recv_chan<int>, failures&);
using send_fn = void (*)(gocsp::send_chan<int>, failures&);

void recv1(gocsp::recv_chan<int> c, failures&) { (void)c.recv(); }

void recv2(gocsp::recv_chan<int> c, failures& log) {
    const auto i = gocsp::select(gocsp::recv_case(c));
    EXPECT_OFF_MAIN(log, i == 0, "recv2 chose " << i);
}

void recv3(gocsp::recv_chan<int> c, failures& log) {
    gocsp::chan<int> c2(0);
    const auto i = gocsp::select(gocsp::recv_case(c), gocsp::recv_case(c2));
    EXPECT_OFF_MAIN(log, i == 0, "recv3 chose " << i);
}

// The same three shapes keeping the value.
void recv1v(gocsp::recv_chan<int> c, failures& log) {
    const int v = c.recv();
    EXPECT_OFF_MAIN(log, v == 1, "recv1v got " << v);
}

void recv2v(gocsp::recv_chan<int> c, failures& log) {
    int v = 0;
    const auto i = gocsp::select(gocsp::recv_case(c, v));
    EXPECT_OFF_MAIN(log, i == 0 && v == 1, "recv2v chose " << i << " got " << v);
}

void recv3v(gocsp::recv_chan<int> c, failures& log) {
    gocsp::chan<int> c2(0);
    int v = 0, w = -5;
    bool ok = false;
    const auto i = gocsp::select(gocsp::recv_case(c2, w), gocsp::recv_case(c, v, ok));
    EXPECT_OFF_MAIN(log, i == 1 && v == 1 && ok && w == -5, "recv3v chose " << i << " got " << v << ", " << ok);
}

void send1(gocsp::send_chan<int> c, failures&) { c.send(1); }

void send2(gocsp::send_chan<int> c, failures& log) {
    const auto i = gocsp::select(gocsp::send_case(c, 1));
    EXPECT_OFF_MAIN(log, i == 0, "send2 chose " << i);
}

void send3(gocsp::send_chan<int> c, failures& log) {
    gocsp::chan<int> c2(0);
    const auto i = gocsp::select(gocsp::send_case(c, 1), gocsp::send_case(c2, 1));
    EXPECT_OFF_MAIN(log, i == 0, "send3 chose " << i);
}

/// Go's sendN(recv): starts the receiver, yields, sends; then waits until the receiver is done.
void pairing(send_fn send, recv_fn recv, failures& log) {
    gocsp::chan<int> c(0);
    gocsp::chan<bool> done(0);
    gocsp::go([c, done, recv, &log] {
        recv(c, log);
        done.send(true);
    });
    gocsp::yield();
    send(c, log);
    (void)done.recv();
}

const recv_fn receivers[] = {recv1, recv2, recv3, recv1v, recv2v, recv3v};
const send_fn senders[] = {send1, send2, send3};

void all_pairings(int repeats, failures& log) {
    for (int r = 0; r < repeats; ++r)
        for (recv_fn recv : receivers)
            for (send_fn send : senders) pairing(send, recv, log);
}

}  // namespace

TEST_CASE("select7: every receive shape against every send shape, senders on the main thread") {
    watchdog dog("select7: main thread");
    failures log;
    all_pairings(stress_iterations / 100, log);
    INFO(log.summary());
    REQUIRE(log.count() == 0);
}

TEST_CASE("select7: every receive shape against every send shape, senders in a goroutine") {
    watchdog dog("select7: goroutine");
    failures log;
    in_goroutine([&] { all_pairings(stress_iterations / 100, log); });
    INFO(log.summary());
    REQUIRE(log.count() == 0);
}

TEST_CASE("select7: the receiver arrives after the sender is already blocked") {
    // The other order: the sender blocks first, then the receiver (each shape) arrives.
    watchdog dog("select7: sender first");
    failures log;
    for (int r = 0; r < stress_iterations / 100; ++r) {
        for (recv_fn recv : receivers) {
            for (send_fn send : senders) {
                gocsp::chan<int> c(0);
                gocsp::chan<bool> done(0);
                gocsp::go([c, done, send, &log] {
                    send(c, log);
                    done.send(true);
                });
                gocsp::yield();
                recv(c, log);
                (void)done.recv();
            }
        }
    }
    INFO(log.summary());
    REQUIRE(log.count() == 0);
}
