// semaphore: a buffered channel of capacity n as a counting semaphore - at most n goroutines
// hold a token at once, however many are started.
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>

int main() {
    constexpr int limit = 3, jobs = 12;
    gocsp::chan<gocsp::empty> tokens(limit);  // tokens := make(chan struct{}, 3)
    std::atomic<int> running{0}, peak{0};
    gocsp::wait_group wg;

    for (int i = 0; i < jobs; ++i) {
        wg.add(1);
        gocsp::go([&] {
            tokens << gocsp::empty{};  // acquire: blocks while `limit` goroutines hold one
            int now = ++running;
            for (int p = peak.load(); now > p && !peak.compare_exchange_weak(p, now);) {
            }
            gocsp::sleep_for(std::chrono::milliseconds(2));  // the limited work
            --running;
            tokens.recv();  // release
            wg.done();
        });
    }
    wg.wait();
    std::printf("%d jobs done, at most %d at once (limit %d)\n", jobs, peak.load(), limit);
}
