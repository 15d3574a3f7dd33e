// A deliberate data race, for the ThreadSanitizer build to catch (tests/sanitizer_test.cpp):
// two goroutines, on two workers at the same time, increment one plain int. Nothing orders them:
// they meet only through relaxed atomics, which establish no happens-before. Under TSan the run
// must end with "WARNING: ThreadSanitizer: data race" and a non-zero status; in other builds it
// just prints a (wrong) count. Run with GOCSP_MAXPROCS=2 or more.
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <cstdio>

int main() {
    int counter = 0;  // the race: written by both goroutines without synchronisation
    std::atomic<int> arrived{0};
    gocsp::wait_group wg;
    wg.add(2);
    for (int i = 0; i < 2; ++i)
        gocsp::go([&] {
            // Both spin until both run, so they run on two workers at once.
            arrived.fetch_add(1, std::memory_order_relaxed);
            while (arrived.load(std::memory_order_relaxed) < 2) {
            }
            for (int k = 0; k < 100000; ++k) ++counter;
            wg.done();
        });
    wg.wait();
    std::printf("counter = %d\n", counter);
    return 0;
}
