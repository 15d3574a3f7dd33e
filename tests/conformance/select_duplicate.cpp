// Checks the behaviour of Go's src/runtime/chan_test.go, TestSelectDuplicateChannel: a select may
// name the same channel in several cases, so one goroutine is queued on a channel more than once.
// Goroutine A selects on (c, c, d); goroutine B then receives on c; A is woken through d and must
// dequeue itself from c completely, so that a later send on c wakes B (and not the departed A).
// Beyond Go's test: the chosen duplicate case receives the value into its own destination only,
// duplicate send cases send the value of the case chosen, and when both duplicates are ready at
// once each is chosen sometimes.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <array>

using namespace conformance;

TEST_CASE("select_duplicate: Go's scenario - A on (c, c, d) woken by d, then B on c woken by a send") {
    watchdog dog("select_duplicate: Go's scenario");
    const int rounds = stress_iterations / 50;
    for (int round = 0; round < rounds; ++round) {
        gocsp::chan<int> c(0), d(0), e(0);
        std::atomic<int> a_index{-1}, b_value{-1};
        gocsp::wait_group b_done;
        b_done.add(1);
        // Goroutine A.
        gocsp::go([&] {
            a_index = static_cast<int>(gocsp::select(gocsp::recv_case(c), gocsp::recv_case(c), gocsp::recv_case(d)));
            e.send(9);
        });
        gocsp::sleep_for(1ms);  // make sure A gets queued first on c (likely; not required)
        // Goroutine B.
        gocsp::go([&] {
            b_value = c.recv();
            b_done.done();
        });
        gocsp::sleep_for(1ms);  // and B behind it
        d.send(7);              // wakes A, which dequeues itself from c (this used to corrupt c's queue)
        REQUIRE(e.recv() == 9);
        c.send(8);  // wakes B (this used to try to wake the already running A instead)
        b_done.wait();
        REQUIRE(a_index.load() == 2);
        REQUIRE(b_value.load() == 8);
    }
}

TEST_CASE("select_duplicate: a value through duplicate receive cases lands in the chosen case's destination only") {
    watchdog dog("select_duplicate: destinations");
    const int rounds = stress_iterations / 10;
    std::atomic<int> bad{0};
    std::array<std::atomic<int>, 2> chosen{};
    for (int round = 0; round < rounds; ++round) {
        gocsp::chan<int> c(0);
        gocsp::wait_group done;
        done.add(1);
        gocsp::go([&] {
            int x = -1, y = -1;
            const auto i = gocsp::select(gocsp::recv_case(c, x), gocsp::recv_case(c, y));
            if (i > 1 || (i == 0 && (x != round || y != -1)) || (i == 1 && (y != round || x != -1))) ++bad;
            else ++chosen[i];
            done.done();
        });
        if (round % 2 == 0) gocsp::yield();  // sometimes the select parks first, sometimes the send does
        c.send(round);
        done.wait();
    }
    REQUIRE(bad.load() == 0);
    REQUIRE(chosen[0].load() + chosen[1].load() == rounds);
}

TEST_CASE("select_duplicate: when both duplicate cases are ready at once, each is chosen sometimes") {
    gocsp::chan<int> c(1);
    int wins[2] = {0, 0};
    for (int i = 0; i < 1000; ++i) {
        c.send(i);
        int x = -1, y = -1;
        const auto k = gocsp::select(gocsp::recv_case(c, x), gocsp::recv_case(c, y));
        REQUIRE(k <= 1);
        REQUIRE((k == 0 ? x : y) == i);
        REQUIRE((k == 0 ? y : x) == -1);
        ++wins[k];
    }
    // Uniform choice between two ready cases: missing one 1000 times has probability 2^-1000.
    REQUIRE(wins[0] > 0);
    REQUIRE(wins[1] > 0);
}

TEST_CASE("select_duplicate: duplicate send cases send the chosen case's value") {
    watchdog dog("select_duplicate: sends");
    const int rounds = stress_iterations / 10;
    std::atomic<int> bad{0};
    for (int round = 0; round < rounds; ++round) {
        gocsp::chan<int> c(0);
        std::atomic<int> index{-1};
        gocsp::wait_group done;
        done.add(1);
        gocsp::go([&] {
            index = static_cast<int>(gocsp::select(gocsp::send_case(c, 100), gocsp::send_case(c, 200),
                                                   gocsp::recv_case(c)));  // the receive cannot pair with its own sends
            done.done();
        });
        if (round % 2 == 0) gocsp::yield();
        const int v = c.recv();
        done.wait();
        if (!((index == 0 && v == 100) || (index == 1 && v == 200))) ++bad;
    }
    REQUIRE(bad.load() == 0);
}

TEST_CASE("select_duplicate: several goroutines each queued twice on the same channels, all served") {
    // k goroutines each select on (c, d, c, d); 2k sends alternate between c and d after they
    // queued; each goroutine is woken exactly once, and the k values all arrive.
    watchdog dog("select_duplicate: several");
    constexpr int k = 8;
    const int rounds = stress_iterations / 50;
    for (int round = 0; round < rounds; ++round) {
        gocsp::chan<int> c(0), d(0);
        std::atomic<int> sum{0}, woken{0};
        gocsp::wait_group done;
        done.add(k);
        for (int g = 0; g < k; ++g) {
            gocsp::go([&] {
                int v = 0;
                (void)gocsp::select(gocsp::recv_case(c, v), gocsp::recv_case(d, v), gocsp::recv_case(c, v),
                                    gocsp::recv_case(d, v));
                sum += v;
                ++woken;
                done.done();
            });
        }
        gocsp::sleep_for(100us);
        for (int i = 1; i <= k; ++i) (i % 2 == 0 ? c : d).send(i);
        done.wait();
        REQUIRE(woken.load() == k);
        REQUIRE(sum.load() == k * (k + 1) / 2);
    }
}
