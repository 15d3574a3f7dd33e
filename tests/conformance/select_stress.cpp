// Checks the behaviour of Go's src/runtime/chan_test.go, TestSelectStress: four channels (two
// unbuffered, capacities 2 and 3); on each, a plain sender and a plain receiver of N values; one
// goroutine sends N values on each channel through a single select and one receives N from each
// through a single select, each setting a channel's case to nil once its N are done. All of it
// interacts chaotically and must not deadlock. Beyond Go's test: every value is distinct, and
// the test checks that each was received exactly once, on the channel it was sent on.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <vector>

using namespace conformance;

namespace {

// Value encoding: channel k, source s (0 plain sender, 1 select sender), index i.
int encode(int k, int s, int i, int n) { return (k * 2 + s) * n + i; }

}  // namespace

TEST_CASE("select_stress: plain and select senders and receivers on four channels, nil-ing finished cases") {
    watchdog dog("select_stress");
    const int N = stress_iterations;
    std::array<gocsp::chan<int>, 4> c{gocsp::chan<int>(0), gocsp::chan<int>(0), gocsp::chan<int>(2),
                                      gocsp::chan<int>(3)};
    // seen[v]: receptions of value v; wrong_chan: values received on a channel they were not sent on.
    std::vector<std::atomic<int>> seen(static_cast<std::size_t>(8 * N));
    std::atomic<int> wrong_chan{0}, out_of_range{0};
    auto record = [&](int k, int v) {
        if (v < 0 || v >= 8 * N) {
            ++out_of_range;
            return;
        }
        if (v / (2 * N) != k) ++wrong_chan;
        ++seen[static_cast<std::size_t>(v)];
    };

    gocsp::wait_group wg;
    wg.add(10);
    for (int k = 0; k < 4; ++k) {
        gocsp::go([&, k] {
            for (int i = 0; i < N; ++i) c[static_cast<std::size_t>(k)].send(encode(k, 0, i, N));
            wg.done();
        });
        gocsp::go([&, k] {
            for (int i = 0; i < N; ++i) record(k, c[static_cast<std::size_t>(k)].recv());
            wg.done();
        });
    }
    std::array<int, 4> select_sent{}, select_received{};
    gocsp::go([&] {
        std::array<int, 4>& n = select_sent;
        std::array<gocsp::chan<int>, 4> c1 = c;
        for (int i = 0; i < 4 * N; ++i) {
            std::array<int, 4> v{encode(0, 1, n[0], N), encode(1, 1, n[1], N), encode(2, 1, n[2], N),
                                 encode(3, 1, n[3], N)};
            // Go's case order: 3, 2, 0, 1.
            static constexpr int order[4] = {3, 2, 0, 1};
            const auto chosen = gocsp::select(gocsp::send_case(c1[3], v[3]), gocsp::send_case(c1[2], v[2]),
                                              gocsp::send_case(c1[0], v[0]), gocsp::send_case(c1[1], v[1]));
            const auto k = static_cast<std::size_t>(order[chosen]);
            if (++n[k] == N) c1[k] = gocsp::chan<int>();  // done with this channel: nil disables the case
        }
        wg.done();
    });
    gocsp::go([&] {
        std::array<int, 4>& n = select_received;
        std::array<gocsp::chan<int>, 4> c1 = c;
        for (int i = 0; i < 4 * N; ++i) {
            std::array<int, 4> v{-1, -1, -1, -1};
            const auto k = gocsp::select(gocsp::recv_case(c1[0], v[0]), gocsp::recv_case(c1[1], v[1]),
                                         gocsp::recv_case(c1[2], v[2]), gocsp::recv_case(c1[3], v[3]));
            record(static_cast<int>(k), v[k]);
            if (++n[k] == N) c1[k] = gocsp::chan<int>();
        }
        wg.done();
    });
    wg.wait();

    REQUIRE(select_sent == std::array<int, 4>{N, N, N, N});
    REQUIRE(select_received == std::array<int, 4>{N, N, N, N});
    REQUIRE(out_of_range.load() == 0);
    REQUIRE(wrong_chan.load() == 0);
    long missing = 0, duplicated = 0;
    for (auto& s : seen) {
        if (s.load() == 0) ++missing;
        if (s.load() > 1) ++duplicated;
    }
    REQUIRE(missing == 0);
    REQUIRE(duplicated == 0);
    for (auto& ch : c) REQUIRE(ch.len() == 0);
}
