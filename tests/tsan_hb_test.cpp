// Channel operations order memory as Go's memory model says, in a way ThreadSanitizer can see.
//
// In every round a sender goroutine fills a payload with plain, non-atomic stores, then
// synchronises through one gocsp primitive; receiver goroutines wait on that primitive and read
// the payload with plain loads. Nothing else orders the two: the payload is not atomic, no mutex
// guards it. In the ThreadSanitizer build a missing happens-before edge in the primitive is a
// reported data race, which fails the test; in every build a wrong value fails it.
//
// The reader must run on another worker than the writer, or the check is empty. After
// synchronising, the sender keeps its worker busy (without yielding) until every receiver has
// read, so receivers run elsewhere; each round records whether they did, and with two or more
// workers some rounds must have crossed threads.
#include <gocsp/gocsp.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "support/helpers.hpp"

using gocsp_test::os_tid;

namespace {

constexpr int rounds = 25;

/// payload: what the sender publishes; plain data only.
struct payload {
    long values[8] = {};
    std::string text;
};

void fill(payload& p, int round) {
    for (long& v : p.values) v = round * 1000 + (&v - p.values);
    p.text = "round " + std::to_string(round);
}

bool matches(const payload& p, int round) {
    for (const long& v : p.values)
        if (v != round * 1000 + (&v - p.values)) return false;
    return p.text == "round " + std::to_string(round);
}

/// hold_worker: busy-waits, never yielding, until `count` reaches `n` (or 10 s pass): the
/// calling goroutine's worker can run nothing else meanwhile.
void hold_worker(const std::atomic<int>& count, int n) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (count.load(std::memory_order_relaxed) < n && std::chrono::steady_clock::now() < limit) {
    }
    while (count.load(std::memory_order_relaxed) < n) gocsp::yield();
}

struct tally {
    int wrong = 0;    // reads that saw something else than the sender wrote
    int crossed = 0;  // reads made on another OS thread than the writes
};

/// run_rounds: `rounds` rounds, each with a fresh Sync (the primitive and its two sides:
/// publish() in the sender, await() in each of `receivers` receivers).
template <class Sync>
tally run_rounds(int receivers) {
    tally t;
    for (int round = 0; round < rounds; ++round) {
        auto sync = std::make_shared<Sync>(receivers);
        payload data;         // plain memory, shared without any lock
        long writer_tid = 0;  // the sender's thread at the time of the writes
        std::atomic<int> done{0};
        std::atomic<int> wrong{0}, crossed{0};
        gocsp::wait_group finished;
        finished.add(receivers + 1);
        for (int r = 0; r < receivers; ++r)
            gocsp::go([&, sync, round] {
                sync->await();
                if (!matches(data, round)) ++wrong;  // the reads under test
                if (os_tid() != writer_tid) ++crossed;
                done.fetch_add(1, std::memory_order_relaxed);
                finished.done();
            });
        // The sender starts from a plain thread, so it runs on a background worker: main is a
        // goroutine pinned to the main thread, which runs the receivers main started while main
        // waits, and a sender started there too could run beside them on that one thread.
        std::thread starter([&, sync, round] {
            gocsp::go([&, sync, round] {
                writer_tid = os_tid();
                fill(data, round);  // the writes under test
                sync->publish();
                hold_worker(done, receivers);
                finished.done();
            });
        });
        starter.join();
        finished.wait();
        t.wrong += wrong.load();
        t.crossed += crossed.load() > 0;
    }
    return t;
}

void require_sound(const tally& t) {
    INFO("rounds: " << rounds << ", rounds read on another thread: " << t.crossed);
    REQUIRE(t.wrong == 0);
    if (gocsp::maxprocs() > 1) REQUIRE(t.crossed > 0);
}

// The primitives under test: publish() happens before await() returns.

struct unbuffered_send {
    gocsp::chan<int> c{0};
    explicit unbuffered_send(int) {}
    void publish() { c.send(1); }
    void await() { c.recv(); }
};

struct buffered_send_polled_receive {
    // The receiver never parks: it polls, so the only edge is the channel's buffer.
    gocsp::chan<int> c{4};
    explicit buffered_send_polled_receive(int) {}
    void publish() { c.send(1); }
    void await() {
        while (!c.try_recv()) gocsp::yield();
    }
};

struct close_broadcast {
    gocsp::chan<int> c{0};
    explicit close_broadcast(int) {}
    void publish() { c.close(); }
    void await() {
        auto [v, ok] = c.recv_ok();
        (void)v;
        (void)ok;
    }
};

struct select_both_sides {
    gocsp::chan<int> c{0}, never{0};
    explicit select_both_sides(int) {}
    void publish() { gocsp::select(gocsp::send_case(c, 1), gocsp::recv_case(never)); }
    void await() {
        int v = 0;
        gocsp::select(gocsp::recv_case(never, v), gocsp::recv_case(c, v));
    }
};

struct wait_group_done {
    gocsp::wait_group wg;
    explicit wait_group_done(int) { wg.add(1); }
    void publish() { wg.done(); }
    void await() { wg.wait(); }
};

}  // namespace

TEST_CASE("hb: a send on an unbuffered channel happens before the receive completes") {
    require_sound(run_rounds<unbuffered_send>(1));
}

TEST_CASE("hb: a send into a buffer happens before a receive that polls it") {
    require_sound(run_rounds<buffered_send_polled_receive>(1));
}

TEST_CASE("hb: a close happens before every receive that sees it") {
    require_sound(run_rounds<close_broadcast>(3));
}

TEST_CASE("hb: a send chosen by select happens before the receive chosen by select") {
    require_sound(run_rounds<select_both_sides>(1));
}

TEST_CASE("hb: wait_group.done happens before every wait it releases returns") {
    require_sound(run_rounds<wait_group_done>(3));
}
