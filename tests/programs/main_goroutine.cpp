// main() runs goroutines on its own thread while it is parked (the main thread's worker m0):
// the ways such a program must still end.
//
//   main_goroutine deadlock   main waits on a wait group for goroutines that all block forever,
//                             some of which ran on the main thread: Go's deadlock report naming
//                             goroutine 1 with its wait reason, status 2
//   main_goroutine exit       main returns while goroutines keep running, yielding and sleeping
//                             (some on the main thread): status 0, at once
//   main_goroutine exit_call  a goroutine on the main thread calls std::exit while main is
//                             parked: status 3
//   main_goroutine spinners   main starts 300 goroutines that never park until main tells them
//                             to stop, tells them, then waits: prints "done", status 0 (main
//                             must not have handed its thread to one of them first)
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "";
    if (std::strcmp(mode, "deadlock") == 0) {
        gocsp::chan<int> never(0);
        gocsp::wait_group wg;
        wg.add(4);
        for (int i = 0; i < 4; ++i)
            gocsp::go([never, &wg] {
                never.recv();
                wg.done();
            });
        wg.wait();
        return 0;
    }
    if (std::strcmp(mode, "exit") == 0) {
        for (int i = 0; i < 8; ++i) {
            gocsp::go([] {
                for (;;) gocsp::yield();
            });
            gocsp::go([] {
                for (;;) gocsp::sleep_for(std::chrono::microseconds(100));
            });
        }
        gocsp::sleep_for(std::chrono::milliseconds(20));
        std::puts("main returns");
        return 0;
    }
    if (std::strcmp(mode, "exit_call") == 0) {
        gocsp::chan<int> never(0);
        gocsp::go([] {
            std::fflush(stdout);
            std::exit(3);
        });
        never.recv();  // parks main: m0 runs the goroutine above, which exits
        return 0;
    }
    if (std::strcmp(mode, "spinners") == 0) {
        std::atomic<bool> stop{false};
        gocsp::wait_group wg;
        constexpr int n = 300;  // more than a run queue holds
        wg.add(n);
        for (int i = 0; i < n; ++i)
            gocsp::go([&stop, &wg] {
                while (!stop.load()) {
                }
                wg.done();
            });
        stop = true;  // only now may main park
        wg.wait();
        std::puts("done");
        return 0;
    }
    std::fprintf(stderr, "usage: main_goroutine deadlock|exit|exit_call|spinners\n");
    return 64;
}
