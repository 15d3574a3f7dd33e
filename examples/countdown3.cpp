// countdown3 - gopl.io/ch8/countdown3: the countdown of countdown1 that a key press aborts
// within the second: each count is a select between the next tick and the abort channel.
//
// The lesson: select in a loop, and tickers that do not leak. The book first writes this with
// time.Tick and then shows the leak: once the loop returns on an abort, nobody receives the
// ticks, yet they go on. A time::ticker (Go's time.NewTicker) is stopped when its scope ends,
// on either path.
//
// Press return (or end the input) to abort. With -check-leaks the program reports at exit any
// goroutine or timer the countdown left behind (the goroutine reading the input is the
// program's own: it waits for input as long as the program runs, as in Go).
//
//     countdown3                    10 to 1, a second each, as in the book
//     countdown3 -n 3 -tick 100ms   quicker
//
// A negative -n or a -tick that is not positive is a flag error (exit status 2): a ticker needs
// a positive interval (Go's time.NewTicker panics without one).
#include "flags.hpp"

#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

using namespace std::chrono_literals;
namespace io = gocsp::io;

static void launch() { io::fprintf(io::stdout_writer(), "Lift off!\n"); }

static void countdown(gocsp::recv_chan<gocsp::empty> abort, int start, std::chrono::nanoseconds interval) {
    io::fprintf(io::stdout_writer(), "Commencing countdown.  Press return to abort.\n");
    gocsp::time::ticker ticker(interval);  // ticker.Stop() when this scope ends
    for (int countdown = start; countdown > 0; --countdown) {
        io::fprintf(io::stdout_writer(), "%d\n", countdown);
        switch (gocsp::select(gocsp::recv_case(ticker.c), gocsp::recv_case(abort))) {
            case 0:  // Do nothing.
                break;
            case 1:
                io::fprintf(io::stdout_writer(), "Launch aborted!\n");
                return;
        }
    }
    launch();
}

int main(int argc, char** argv) {
    const int& start = flag::integer("n", 10, "count down from `n`");
    const auto& interval = flag::duration("tick", 1s, "time between counts");
    const bool& check_leaks = flag::boolean("check-leaks", false,
                                            "at exit, report goroutines and timers left behind (exit status 1)");
    flag::parse(argc, argv);
    if (start < 0) flag::invalid_value("n", "negative count");
    if (interval <= interval.zero()) flag::invalid_value("tick", "non-positive interval");

    gocsp::chan<gocsp::empty> abort(0);  // make(chan struct{})
    gocsp::go([abort] {
        char byte;
        try {
            io::stdin_reader().read({&byte, 1});  // read a single byte
        } catch (const std::exception&) {
        }
        abort << gocsp::empty{};
    });
    std::optional<gocsp::testing::leak_check> leaks;
    if (check_leaks) leaks.emplace();

    countdown(abort, start, interval);

    if (const std::string report = leaks ? leaks->report() : ""; !report.empty()) {
        std::fputs(report.c_str(), stderr);
        return 1;
    }
}
