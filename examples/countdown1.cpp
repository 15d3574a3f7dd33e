// countdown1 - gopl.io/ch8/countdown1: a rocket launch countdown, one count a second from a
// ticking channel, then "Lift off!".
//
// The lesson: time::tick (Go's time.Tick) is a channel that receives the time at a fixed
// interval, a metronome to block on. It can never be stopped: fine for a program that ticks
// until it ends, a leak anywhere else (countdown3 uses a ticker and stops it). With
// -check-leaks the program shows this: at exit it reports the tick's timer still pending.
//
//     countdown1                    10 to 1, a second each, as in the book
//     countdown1 -n 3 -tick 100ms   quicker
//
// A negative -n or a -tick that is not positive is a flag error (exit status 2): time::tick,
// as Go's time.Tick, gives a nil channel for such a tick, and the count would wait for ever.
#include "flags.hpp"

#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

using namespace std::chrono_literals;
namespace io = gocsp::io;

static void launch() { io::fprintf(io::stdout_writer(), "Lift off!\n"); }

int main(int argc, char** argv) {
    const int& start = flag::integer("n", 10, "count down from `n`");
    const auto& interval = flag::duration("tick", 1s, "time between counts");
    const bool& check_leaks = flag::boolean("check-leaks", false,
                                            "at exit, report goroutines and timers left behind (exit status 1)");
    flag::parse(argc, argv);
    if (start < 0) flag::invalid_value("n", "negative count");
    if (interval <= interval.zero()) flag::invalid_value("tick", "non-positive interval");
    std::optional<gocsp::testing::leak_check> leaks;
    if (check_leaks) leaks.emplace();

    io::fprintf(io::stdout_writer(), "Commencing countdown.\n");
    auto tick = gocsp::time::tick(interval);
    for (int countdown = start; countdown > 0; --countdown) {
        io::fprintf(io::stdout_writer(), "%d\n", countdown);
        tick.recv();
    }
    launch();

    if (const std::string report = leaks ? leaks->report() : ""; !report.empty()) {
        std::fputs(report.c_str(), stderr);
        return 1;
    }
}
