// Checks the behaviour of Go's test/chan/doubleselect.go: a select over several send cases runs
// exactly one of them. Senders select-send each value onto one of four channels; a mux per
// channel forwards into one channel; receivers check that no value arrives twice (two cases of
// one select both ran) and, beyond Go's test, that none is lost (the count is exact).
#include "common.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace conformance;

namespace {

/// Go's sender: each value onto one of c1..c4, by select; closes them all when done.
void sender(int first, int n, gocsp::send_chan<int> c1, gocsp::send_chan<int> c2, gocsp::send_chan<int> c3,
            gocsp::send_chan<int> c4) {
    for (int i = first; i < first + n; ++i) {
        (void)gocsp::select(gocsp::send_case(c1, i), gocsp::send_case(c2, i), gocsp::send_case(c3, i),
                            gocsp::send_case(c4, i));
    }
}

/// Go's mux: forwards in to out until in is closed.
void mux(gocsp::send_chan<int> out, gocsp::recv_chan<int> in) {
    for (int v : in) out.send(v);
}

struct outcome {
    std::vector<int> seen;  // per value: how many times it arrived
    long total = 0;
};

/// Runs the network: `senders` senders of n values each (distinct ranges), `receivers`
/// receivers on the muxed channel (one of them on the calling thread).
outcome run(int senders, int n, int receivers, std::size_t cap) {
    gocsp::chan<int> c1(cap), c2(cap), c3(cap), c4(cap), cmux(0);
    gocsp::wait_group sending, muxing;
    sending.add(senders);
    for (int s = 0; s < senders; ++s) {
        gocsp::go(
            [&sending, c1, c2, c3, c4, n](int first) {
                sender(first, n, c1, c2, c3, c4);
                sending.done();
            },
            s * n);
    }
    // The last sender to finish closes the four channels (Go's single sender defers the closes).
    gocsp::go([&sending, c1, c2, c3, c4] {
        sending.wait();
        c1.close();
        c2.close();
        c3.close();
        c4.close();
    });
    muxing.add(4);
    for (const gocsp::chan<int>& in : {c1, c2, c3, c4}) {
        gocsp::go(
            [&muxing, cmux](gocsp::chan<int> from) {
                mux(cmux, from);
                muxing.done();
            },
            in);
    }
    gocsp::go([&muxing, cmux] {
        muxing.wait();
        cmux.close();
    });

    // Go's recver, several times over: each keeps its own tally, merged at the end.
    const std::size_t total = static_cast<std::size_t>(senders) * static_cast<std::size_t>(n);
    std::vector<std::vector<int>> tallies(static_cast<std::size_t>(receivers), std::vector<int>(total, 0));
    std::vector<long> counts(static_cast<std::size_t>(receivers), 0);
    gocsp::wait_group receiving;
    receiving.add(receivers - 1);
    auto recver = [&](std::size_t r) {
        for (int v : cmux) {
            if (v >= 0 && static_cast<std::size_t>(v) < total) ++tallies[r][static_cast<std::size_t>(v)];
            ++counts[r];
        }
    };
    for (int r = 1; r < receivers; ++r) {
        gocsp::go(
            [&](std::size_t k) {
                recver(k);
                receiving.done();
            },
            static_cast<std::size_t>(r));
    }
    recver(0);
    receiving.wait();

    outcome o;
    o.seen.assign(total, 0);
    for (std::size_t r = 0; r < tallies.size(); ++r) {
        for (std::size_t v = 0; v < total; ++v) o.seen[v] += tallies[r][v];
        o.total += counts[r];
    }
    return o;
}

void check(const outcome& o, long expected) {
    REQUIRE(o.total == expected);
    long duplicates = 0, lost = 0, first_bad = -1;
    for (std::size_t v = 0; v < o.seen.size(); ++v) {
        if (o.seen[v] > 1) ++duplicates;
        if (o.seen[v] == 0) ++lost;
        if (o.seen[v] != 1 && first_bad < 0) first_bad = static_cast<long>(v);
    }
    INFO("first value not delivered exactly once: " << first_bad);
    REQUIRE(duplicates == 0);
    REQUIRE(lost == 0);
}

}  // namespace

TEST_CASE("doubleselect: one sender, four unbuffered channels, one receiver (Go's setup)") {
    watchdog dog("doubleselect: Go's setup");
    const int n = 4 * stress_iterations;
    check(run(1, n, 1, 0), n);
}

TEST_CASE("doubleselect: several senders and several receivers, no value twice and none lost") {
    watchdog dog("doubleselect: several");
    const int n = stress_iterations;
    check(run(3, n, 3, 0), 3L * n);
}

TEST_CASE("doubleselect: the same with buffered channels") {
    watchdog dog("doubleselect: buffered");
    const int n = stress_iterations;
    check(run(3, n, 2, 3), 3L * n);
}
