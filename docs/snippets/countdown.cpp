// countdown: select waits on several channels at once - a ticker, an abort channel, a timeout.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;
namespace gtime = gocsp::time;  // not `time`: that name is C's time()

struct abort_signal {};

int main() {
    gocsp::chan<abort_signal> abort(0);  // nobody aborts here: see examples/countdown3.cpp

    std::printf("Commencing countdown.\n");
    gtime::ticker tick(10ms);  // stopped when it goes out of scope
    for (int countdown = 3; countdown > 0; --countdown) {
        std::printf("%d\n", countdown);
        switch (gocsp::select(gocsp::recv_case(tick.c), gocsp::recv_case(abort))) {
            case 0:  // <-tick.C
                break;
            case 1:  // <-abort
                std::printf("Launch aborted!\n");
                return 0;
        }
    }
    std::printf("Lift off!\n");

    // A timeout: gtime::after's channel receives once the time is up.
    gocsp::chan<int> results(0);  // nobody sends: the timeout wins
    int r = 0;
    switch (gocsp::select(gocsp::recv_case(results, r), gocsp::recv_case(gtime::after(20ms)))) {
        case 0: std::printf("result %d\n", r); break;
        case 1: std::printf("timed out\n"); break;
    }
}
