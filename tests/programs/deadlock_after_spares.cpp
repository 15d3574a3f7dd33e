// A deadlock after spare workers have stood in: every worker (the P and m0) is held in a
// "system call" until a goroutine queued behind them, which only a spare can run, ends the calls
// (tests/support/helpers.hpp). Then main receives on a channel nobody will ever send on. The
// spares have stood down, so it must still end with Go's deadlock report and status 2.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>

#include "../support/helpers.hpp"

int main() {
    std::puts(gocsp_test::hold_every_worker_in_a_call(std::chrono::seconds(20)) ? "released" : "gave up");
    std::fflush(stdout);
    gocsp::chan<int> ch(0);
    ch.recv();
    return 0;
}
