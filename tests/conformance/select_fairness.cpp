// Checks the behaviour of Go's src/runtime/chan_test.go, TestSelectFairness (and
// TestPseudoRandomSend): among the cases of a select that are ready, each is chosen about equally
// often, whatever its position, whether the cases are receives or sends. The bounds cannot flake:
// over 100,000 trials, each of k ready cases must win 1/k of them within +-5 percentage points -
// for two cases that is 5,000 wins off the mean, more than 30 standard deviations (~158). A
// select that always prefers one position fails them by a mile.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>

using namespace conformance;

namespace {

constexpr long trials = 100000;

/// within: count is within +-5% (absolute, of trials) of trials/k.
bool within(long count, long k) {
    const long expected = trials / k;
    const long slack = trials / 20;
    return count > expected - slack && count < expected + slack;
}

}  // namespace

TEST_CASE("select_fairness: Go's setup - a goroutine selecting over two ready and two idle channels") {
    watchdog dog("select_fairness: Go's setup");
    gocsp::chan<std::uint8_t> c1(trials + 1), c2(trials + 1);
    for (long i = 0; i < trials + 1; ++i) {
        c1.send(1);
        c2.send(2);
    }
    gocsp::chan<std::uint8_t> c3(0), c4(0), out(0), done(0);
    gocsp::wait_group wg;
    wg.add(1);
    gocsp::go([&] {
        for (;;) {
            std::uint8_t b = 0;
            (void)gocsp::select(gocsp::recv_case(c3, b), gocsp::recv_case(c4, b), gocsp::recv_case(c1, b),
                                gocsp::recv_case(c2, b));
            if (gocsp::select(gocsp::send_case(out, b), gocsp::recv_case(done)) == 1) break;
        }
        wg.done();
    });
    long cnt1 = 0, cnt2 = 0, other = 0;
    for (long i = 0; i < trials; ++i) {
        switch (out.recv()) {
            case 1: ++cnt1; break;
            case 2: ++cnt2; break;
            default: ++other; break;
        }
    }
    done.close();
    wg.wait();
    INFO("case 1 won " << cnt1 << ", case 2 won " << cnt2 << " of " << trials);
    REQUIRE(other == 0);
    REQUIRE(cnt1 + cnt2 == trials);
    REQUIRE(within(cnt1, 2));
    REQUIRE(within(cnt2, 2));
}

TEST_CASE("select_fairness: two always-ready receive cases on the main thread") {
    gocsp::chan<int> a(1), b(1);
    a.send(0);
    b.send(1);
    std::array<long, 2> wins{};
    for (long i = 0; i < trials; ++i) {
        int v = -1;
        const auto k = gocsp::select(gocsp::recv_case(a, v), gocsp::recv_case(b, v));
        ++wins[k];
        (k == 0 ? a : b).send(v);  // ready again
    }
    INFO("wins " << wins[0] << " / " << wins[1]);
    REQUIRE(within(wins[0], 2));
    REQUIRE(within(wins[1], 2));
}

TEST_CASE("select_fairness: four ready cases among nil and idle ones, in a goroutine") {
    watchdog dog("select_fairness: four");
    std::array<long, 4> wins{};
    long wrong = 0;
    in_goroutine([&] {
        std::array<gocsp::chan<int>, 4> ready{gocsp::chan<int>(1), gocsp::chan<int>(1), gocsp::chan<int>(1),
                                             gocsp::chan<int>(1)};
        for (int k = 0; k < 4; ++k) ready[static_cast<std::size_t>(k)].send(k);
        gocsp::chan<int> idle(0), nil;
        for (long i = 0; i < trials; ++i) {
            int v = -1;
            const auto idx = gocsp::select(gocsp::recv_case(idle, v), gocsp::recv_case(ready[0], v), gocsp::recv_case(nil, v),
                                           gocsp::recv_case(ready[1], v), gocsp::recv_case(ready[2], v),
                                           gocsp::send_case(idle, 5), gocsp::recv_case(ready[3], v));
            int k = -1;
            switch (idx) {
                case 1: k = 0; break;
                case 3: k = 1; break;
                case 4: k = 2; break;
                case 6: k = 3; break;
                default: ++wrong; continue;
            }
            if (v != k) ++wrong;
            ++wins[static_cast<std::size_t>(k)];
            ready[static_cast<std::size_t>(k)].send(k);
        }
    });
    INFO("wins " << wins[0] << " / " << wins[1] << " / " << wins[2] << " / " << wins[3]);
    REQUIRE(wrong == 0);
    for (long w : wins) REQUIRE(within(w, 4));
}

TEST_CASE("select_fairness: two ready send cases choose pseudo-randomly (TestPseudoRandomSend)") {
    gocsp::chan<int> c(1);
    long ones = 0;
    for (long i = 0; i < trials; ++i) {
        REQUIRE(gocsp::select(gocsp::send_case(c, 1), gocsp::send_case(c, 0)) <= 1);
        ones += c.recv();
    }
    INFO(ones << " ones of " << trials);
    REQUIRE(within(ones, 2));
    REQUIRE(within(trials - ones, 2));
}
