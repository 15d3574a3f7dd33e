// One goroutine per worker panics at the same instant (they spin on a barrier, each on its own
// worker, then throw together), with long messages so that printing a report takes a while.
// Go prints exactly one panic report, whole, and exits with status 2.
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

int main() {
    const int panickers = gocsp::maxprocs();
    static std::atomic<int> arrived{0};
    for (int i = 0; i < panickers; ++i) {
        gocsp::go([i, panickers] {
            arrived.fetch_add(1);
            while (arrived.load() < panickers) {
            }
            throw std::runtime_error("boom " + std::to_string(i) + " " + std::string(1 << 16, 'x'));
        });
    }
    gocsp::sleep_for(std::chrono::seconds(20));
    return 0;
}
