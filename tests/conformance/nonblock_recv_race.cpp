// Checks the behaviour of Go's src/runtime/chan_test.go, TestNonblockRecvRace: a non-blocking
// receive racing with close must never report "would block" on a channel that is ready all along.
// Each iteration: a buffered channel holding one value; a goroutine does a non-blocking receive
// while the main thread closes the channel and then receives. Whatever the interleaving, the
// channel is never empty-and-open while the goroutine looks (it holds the value, or it is closed),
// so the goroutine's receive must always succeed: with the value, or with ok == false.
#include "common.hpp"

#include <catch2/catch.hpp>

using namespace conformance;

namespace {

enum class flavour { select_default, try_recv };

void race(flavour f, int n) {
    std::atomic<int> would_block{0}, wrong_value{0};
    gocsp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; ++i) {
        gocsp::chan<int> c(1);
        c.send(1);
        gocsp::go([c, f, &would_block, &wrong_value, &wg] {
            if (f == flavour::select_default) {
                int v = -1;
                bool ok = false;
                if (gocsp::select(gocsp::recv_case(c, v, ok), gocsp::default_case) == 1) ++would_block;
                else if (!(ok ? v == 1 : v == 0)) ++wrong_value;
            } else {
                auto r = c.try_recv();
                if (!r) ++would_block;
                else if (!(r->ok ? r->value == 1 : r->value == 0)) ++wrong_value;
            }
            wg.done();
        });
        c.close();
        (void)c.recv();
    }
    wg.wait();
    REQUIRE(would_block.load() == 0);
    REQUIRE(wrong_value.load() == 0);
}

}  // namespace

TEST_CASE("nonblock_recv_race: select with default racing with close never takes the default") {
    watchdog dog("nonblock_recv_race: select");
    race(flavour::select_default, stress_iterations);
}

TEST_CASE("nonblock_recv_race: try_recv racing with close never reports would-block") {
    watchdog dog("nonblock_recv_race: try_recv");
    race(flavour::try_recv, stress_iterations);
}
