// Checks the behaviour of Go's test/chan/goroutines.go: a long chain of goroutines threaded
// together by unbuffered channels, each passing the value on from right to left; the value
// reaches the leftmost channel, and the goroutines tear down cleanly. Here each link adds one,
// so the value must arrive incremented exactly once per link.
#include "common.hpp"

#include <catch2/catch.hpp>

using namespace conformance;

namespace {

/// Go's f: left <- <-right (plus one).
void link(gocsp::send_chan<int> left, gocsp::recv_chan<int> right) { left.send(right.recv() + 1); }

int chain(int n) {
    gocsp::chan<int> leftmost(0);
    gocsp::chan<int> left = leftmost;
    gocsp::chan<int> right = leftmost;
    for (int i = 0; i < n; ++i) {
        right = gocsp::chan<int>(0);
        gocsp::go(gocsp::stack_size{32 * 1024}, [left, right] { link(left, right); });
        left = right;
    }
    gocsp::go([right] { right.send(1); });
    return leftmost.recv();
}

}  // namespace

TEST_CASE("goroutines: a long chain of goroutines (10000) passes the value along, incremented by each") {
    watchdog dog("goroutines: chain");
    const auto before = gocsp::num_goroutine();
    const int n = stress_iterations / 4;  // 10000, as in Go's test (1000 in sanitizer builds)
    REQUIRE(chain(n) == 1 + n);
    // Torn down cleanly: every goroutine of the chain exits.
    // (At most `before`: a goroutine left over from an earlier test case in this process may end
    // meanwhile.)
    REQUIRE(eventually([&] { return gocsp::num_goroutine() <= before; }));
}

TEST_CASE("goroutines: the chain built and read from inside a goroutine") {
    watchdog dog("goroutines: chain in goroutine");
    int got = 0;
    const int n = stress_iterations / 20;
    in_goroutine([&] { got = chain(n); });
    REQUIRE(got == n + 1);
}
