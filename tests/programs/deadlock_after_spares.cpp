// A deadlock after spare workers have stood in: every worker (the P and m0) is held in a
// "system call" (a spin inside syscall_scope) until a goroutine queued behind them, which only a
// spare can run, ends the calls. Then main receives on a channel nobody will ever send on. The
// spares have stood down, so it must still end with Go's deadlock report and status 2.
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>

int main() {
    const int holders = gocsp::maxprocs() + 1;
    std::atomic<int> started{0};
    std::atomic<bool> released{false};
    gocsp::wait_group wg;
    wg.add(holders);
    for (int i = 0; i < holders; ++i)
        gocsp::go([&] {
            if (started.fetch_add(1) + 1 == holders) gocsp::go([&] { released.store(true); });
            {
                gocsp::detail::syscall_scope in_call;
                const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
                while (!released.load() && std::chrono::steady_clock::now() < give_up) {
                }
            }
            wg.done();
        });
    wg.wait();
    std::puts(released.load() ? "released" : "gave up");
    std::fflush(stdout);
    gocsp::chan<int> ch(0);
    ch.recv();
    return 0;
}
