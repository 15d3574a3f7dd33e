// Checks the behaviour of Go's src/runtime/chan_test.go, TestNonblockSelectRace and
// TestNonblockSelectRace2: a select acts on the state of its channels at one moment, not over a
// smeared window. A goroutine does a non-blocking select receiving from c1 and c2 while the main
// thread makes c2 ready (a send, or a close) and then empties c1 if it can. From the moment the
// goroutine starts, at least one of c1 and c2 is always ready, so its select must never take the
// default case.
#include "common.hpp"

#include <catch2/catch.hpp>

using namespace conformance;

namespace {

void race(bool close_c2, int n) {
    gocsp::chan<bool> done(1);
    int defaults = 0;
    for (int i = 0; i < n; ++i) {
        gocsp::chan<int> c1(1), c2(close_c2 ? 0 : 1);
        c1.send(1);
        gocsp::go([c1, c2, done] {
            switch (gocsp::select(gocsp::recv_case(c1), gocsp::recv_case(c2), gocsp::default_case)) {
                case 2: done.send(false); return;
                default: done.send(true); return;
            }
        });
        if (close_c2) c2.close();
        else c2.send(1);
        (void)gocsp::select(gocsp::recv_case(c1), gocsp::default_case);
        if (!done.recv()) ++defaults;
    }
    REQUIRE(defaults == 0);
}

}  // namespace

TEST_CASE("nonblock_select_race: c2 made ready by a send while c1 is emptied") {
    watchdog dog("nonblock_select_race: send");
    race(false, stress_iterations);
}

TEST_CASE("nonblock_select_race: c2 made ready by close while c1 is emptied") {
    watchdog dog("nonblock_select_race: close");
    race(true, stress_iterations);
}
