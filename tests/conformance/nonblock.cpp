// Checks the behaviour of Go's test/chan/nonblock.go: non-blocking sends and receives (try_send /
// try_recv, and select with a default case) on channels of several element types with buffer
// sizes 0 and 1, against a partner goroutine that eventually arrives. Where Go's test sleeps once
// and tries once, this one retries (generously bounded) until the operation succeeds, so it never
// depends on timing; it checks the values and that nothing succeeds that must not.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>

using namespace conformance;

namespace {

enum class mode { try_ops, select_default };

const char* name(mode m) { return m == mode::try_ops ? "try_send/try_recv" : "select with default"; }

template <class T>
bool nb_send(const gocsp::chan<T>& c, const T& v, mode m) {
    if (m == mode::try_ops) return c.try_send(v);
    return gocsp::select(gocsp::send_case(c, v), gocsp::default_case) == 0;
}

/// A non-blocking receive: nullopt if it would block, else the value and ok.
template <class T>
std::optional<gocsp::recv_result<T>> nb_recv(const gocsp::chan<T>& c, mode m) {
    if (m == mode::try_ops) return c.try_recv();
    T v{};
    bool ok = false;
    if (gocsp::select(gocsp::default_case, gocsp::recv_case(c, v, ok)) == 0) return std::nullopt;
    return gocsp::recv_result<T>{std::move(v), ok};
}

/// Retries op (a non-blocking operation returning whether it succeeded) until it succeeds,
/// letting the partner run in between; false if it never did within the generous deadline.
template <class Op>
bool retry(Op op) {
    const auto deadline = std::chrono::steady_clock::now() + generous;
    for (int i = 0;; ++i) {
        if (op()) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (i < 50) gocsp::yield();
        else gocsp::sleep_for(50us);
    }
}

/// One element type, one buffer size, one mode: Go's main loop body for that type.
template <class T>
void scenario(std::size_t buffer, mode m, const T& to_receiver, const T& from_sender, failures& log) {
    gocsp::chan<T> c(buffer);
    gocsp::chan<bool> sync(0);

    // Nothing to receive yet: a non-blocking receive must not succeed.
    EXPECT_OFF_MAIN(log, !nb_recv(c, m).has_value(), "receive from an empty channel succeeded");
    // Sends: with no receiver, an unbuffered one fails; a buffered one fills exactly the buffer.
    if (buffer == 0) {
        EXPECT_OFF_MAIN(log, !nb_send(c, to_receiver, m), "unbuffered send without a receiver succeeded");
    } else {
        EXPECT_OFF_MAIN(log, nb_send(c, to_receiver, m), "send into a free slot failed");
        EXPECT_OFF_MAIN(log, !nb_send(c, to_receiver, m), "send into a full buffer succeeded");
        auto r = nb_recv(c, m);
        EXPECT_OFF_MAIN(log, r && r->ok && r->value == to_receiver, "buffered value not received");
        EXPECT_OFF_MAIN(log, !nb_recv(c, m).has_value(), "receive from a drained buffer succeeded");
    }

    // A receiver arrives; the non-blocking send eventually succeeds and delivers the value.
    gocsp::go([c, sync, to_receiver, &log] {
        T v = c.recv();
        EXPECT_OFF_MAIN(log, v == to_receiver, "receiver got a wrong value");
        sync.send(true);
    });
    EXPECT_OFF_MAIN(log, retry([&] { return nb_send(c, to_receiver, m); }),
                    "non-blocking send never succeeded although a receiver was waiting");
    (void)sync.recv();

    // A sender arrives; the non-blocking receive eventually succeeds with its value.
    gocsp::go([c, sync, from_sender] {
        c.send(from_sender);
        sync.send(true);
    });
    if (buffer > 0) (void)sync.recv();  // the send completed into the buffer
    std::optional<gocsp::recv_result<T>> got;
    EXPECT_OFF_MAIN(log, retry([&] { return (got = nb_recv(c, m)).has_value(); }),
                    "non-blocking receive never succeeded although a sender was waiting");
    EXPECT_OFF_MAIN(log, got && got->ok, "ok was false");
    EXPECT_OFF_MAIN(log, got && got->value == from_sender, "received a wrong value");
    if (buffer == 0) (void)sync.recv();
}

void all_types(mode m, failures& log) {
    for (std::size_t buffer = 0; buffer < 2; ++buffer) {
        scenario<std::int32_t>(buffer, m, 123, 234, log);
        scenario<std::int64_t>(buffer, m, 123456, 234567, log);
        scenario<bool>(buffer, m, true, true, log);
        scenario<std::string>(buffer, m, std::string("hello"), std::string("hello again"), log);
    }
}

}  // namespace

TEST_CASE("nonblock: non-blocking operations with buffer sizes 0 and 1, driven from the main thread") {
    watchdog dog("nonblock: main thread");
    for (mode m : {mode::try_ops, mode::select_default}) {
        INFO(name(m));
        failures log;
        all_types(m, log);
        INFO(log.summary());
        REQUIRE(log.count() == 0);
    }
}

TEST_CASE("nonblock: non-blocking operations with buffer sizes 0 and 1, driven from a goroutine") {
    watchdog dog("nonblock: goroutine");
    for (mode m : {mode::try_ops, mode::select_default}) {
        INFO(name(m));
        failures log;
        in_goroutine([&] { all_types(m, log); });
        INFO(log.summary());
        REQUIRE(log.count() == 0);
    }
}

TEST_CASE("nonblock: repeated handoffs through an unbuffered channel by non-blocking operations only") {
    // Both sides non-blocking is impossible on an unbuffered channel (neither waits), so one
    // side blocks and the other polls: every value must arrive exactly once and in order.
    watchdog dog("nonblock: repeated handoffs");
    const int n = stress_iterations / 10;
    for (mode m : {mode::try_ops, mode::select_default}) {
        INFO(name(m));
        failures log;
        gocsp::chan<int> c(0);
        gocsp::wait_group wg;
        wg.add(1);
        gocsp::go([&] {
            for (int i = 0; i < n; ++i) EXPECT_OFF_MAIN(log, c.recv() == i, "out of order at " << i);
            wg.done();
        });
        for (int i = 0; i < n; ++i)
            EXPECT_OFF_MAIN(log, retry([&] { return nb_send(c, i, m); }), "send " << i << " never succeeded");
        wg.wait();
        wg.add(1);
        gocsp::go([&] {
            for (int i = 0; i < n; ++i) c.send(i);
            wg.done();
        });
        for (int i = 0; i < n; ++i) {
            std::optional<gocsp::recv_result<int>> r;
            EXPECT_OFF_MAIN(log, retry([&] { return (r = nb_recv(c, m)).has_value(); }), "recv " << i);
            EXPECT_OFF_MAIN(log, r && r->ok && r->value == i, "value " << (r ? r->value : -1) << " at " << i);
        }
        wg.wait();
        INFO(log.summary());
        REQUIRE(log.count() == 0);
    }
}
