// Checks the behaviour of Go's src/runtime/chan_test.go, TestMultiConsumer: 23 workers range
// over one work channel (some yielding now and then, to disturb the FIFO-ish order of range) and
// forward every value to a result channel; a feeder sends the work, closes the work channel,
// waits for the workers and closes the results. The count and the sum of the results are exact.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <thread>
#include <vector>

using namespace conformance;

namespace {

constexpr int nwork = 23;
constexpr std::array<int, 10> pn{2, 3, 7, 11, 13, 17, 19, 23, 27, 31};

struct result {
    long n = 0, sum = 0, expect = 0;
};

/// Go's test; `threads` of the workers are plain std::threads, the others goroutines.
result run(int niter, int threads) {
    gocsp::chan<int> q(nwork * 3), r(nwork * 3);
    gocsp::wait_group wg;
    std::vector<std::thread> plain;
    auto worker = [q, r, &wg](int w) {
        for (int v : q) {
            if (pn[static_cast<std::size_t>(w) % pn.size()] == v) gocsp::yield();  // mess with range's order
            r.send(v);
        }
        wg.done();
    };
    wg.add(nwork);
    for (int i = 0; i < nwork; ++i) {
        if (i < threads) plain.emplace_back(worker, i);
        else gocsp::go(worker, i);
    }
    // Feeder and closer.
    gocsp::go([q, r, &wg, niter] {
        for (int i = 0; i < niter; ++i) q.send(pn[static_cast<std::size_t>(i) % pn.size()]);
        q.close();  // no more work
        wg.wait();  // workers done
        r.close();  // ... so there can be no more results
    });
    result res;
    for (int i = 0; i < niter; ++i) res.expect += pn[static_cast<std::size_t>(i) % pn.size()];
    for (int v : r) {
        ++res.n;
        res.sum += v;
    }
    for (auto& t : plain) t.join();
    return res;
}

}  // namespace

TEST_CASE("multi_consumer: many goroutines consume one channel, count and sum exact") {
    watchdog dog("multi_consumer: goroutines");
    const int niter = 10 * stress_iterations + 1828;  // Go uses 271828
    auto res = run(niter, 0);
    REQUIRE(res.n == niter);
    REQUIRE(res.sum == res.expect);
}

TEST_CASE("multi_consumer: consumers that are goroutines and plain threads together") {
    watchdog dog("multi_consumer: mixed");
    const int niter = 2 * stress_iterations + 1828;
    auto res = run(niter, 5);
    REQUIRE(res.n == niter);
    REQUIRE(res.sum == res.expect);
}
