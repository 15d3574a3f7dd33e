// main returns while goroutines are blocked, sleeping, yielding in loops and queued:
// the process must exit at once with main's status, as a Go program does.
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>

int main() {
    static gocsp::wait_group never;  // never reaches zero
    never.add(1);
    gocsp::wait_group started;
    started.add(300);
    for (int i = 0; i < 100; ++i) gocsp::go([&started] { started.done(); never.wait(); });
    for (int i = 0; i < 100; ++i)
        gocsp::go([&started] { started.done(); gocsp::sleep_for(std::chrono::hours(1)); });
    for (int i = 0; i < 100; ++i)
        gocsp::go([&started] {
            started.done();
            for (;;) gocsp::yield();
        });
    started.wait();
    for (int i = 0; i < 10000; ++i) gocsp::go([] { never.wait(); });
    std::printf("main returns with %lld goroutines\n", static_cast<long long>(gocsp::num_goroutine()));
    return 7;
}
