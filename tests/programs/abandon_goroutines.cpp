// main returns while goroutines are blocked, sleeping, yielding in loops and queued:
// the process must exit at once with main's status, as a Go program does. It prints the
// steady_clock time at which main returns ("... at <ns> ns").
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
#if GOCSP_TEST_SANITIZED
    // 1,000 in sanitized builds: under ThreadSanitizer each started goroutine is a fiber with
    // its own thread record, and creating 10,000 of them alone takes most of a minute.
    constexpr int queued = 1000;
#else
    constexpr int queued = 10000;
#endif
    for (int i = 0; i < queued; ++i) gocsp::go([] { never.wait(); });
    // The moment main returns, on the clock every process shares (CLOCK_MONOTONIC), so the test
    // times the exit itself and not the start-up, which the sanitizers slow down.
    const auto now = std::chrono::steady_clock::now().time_since_epoch();
    std::printf("main returns with %lld goroutines at %lld ns\n", static_cast<long long>(gocsp::num_goroutine()),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
    return 7;
}
