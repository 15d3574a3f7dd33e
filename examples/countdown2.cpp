// countdown2 - gopl.io/ch8/countdown2: a launch that waits ten seconds unless a key is pressed:
// a select between a timer and an abort channel fed by a goroutine reading the standard input.
//
// The lesson: select waits on several channels at once and runs the first case ready. The
// book waits on time.After; this waits on a time::timer (Go's time.NewTimer), which stops when
// its scope ends: after an abort, an after() would stay pending until its time came.
//
// Press return (or end the input) to abort. With -check-leaks the program reports at exit any
// goroutine or timer the countdown left behind (the goroutine reading the input is the
// program's own: it waits for input as long as the program runs, as in Go).
//
//     countdown2                    waits 10 s, as in the book
//     countdown2 -n 3 -tick 100ms   waits n ticks: 300 ms
//
// A negative -n or a -tick that is not positive is a flag error (exit status 2), as is, for
// countdown2, a wait of n ticks longer than the longest duration (about 292 years).
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

static void countdown(gocsp::recv_chan<gocsp::empty> abort, std::chrono::nanoseconds wait) {
    io::fprintf(io::stdout_writer(), "Commencing countdown.  Press return to abort.\n");
    gocsp::time::timer timer(wait);
    switch (gocsp::select(gocsp::recv_case(timer.c), gocsp::recv_case(abort))) {
        case 0:  // Do nothing.
            break;
        case 1:
            io::fprintf(io::stdout_writer(), "Launch aborted!\n");
            return;
    }
    launch();
}

int main(int argc, char** argv) {
    const int& start = flag::integer("n", 10, "wait `n` ticks");
    const auto& interval = flag::duration("tick", 1s, "length of a tick");
    const bool& check_leaks = flag::boolean("check-leaks", false,
                                            "at exit, report goroutines and timers left behind (exit status 1)");
    flag::parse(argc, argv);
    if (start < 0) flag::invalid_value("n", "negative count");
    if (interval <= interval.zero()) flag::invalid_value("tick", "non-positive interval");
    if (start > 0 && interval.count() > std::chrono::nanoseconds::max().count() / start)  // n * tick overflows
        flag::invalid_value("n", std::to_string(start) + " ticks of " + flag::format_duration(interval) +
                                     " are longer than the longest duration, " +
                                     flag::format_duration(std::chrono::nanoseconds::max()));

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

    countdown(abort, start * interval);

    if (const std::string report = leaks ? leaks->report() : ""; !report.empty()) {
        std::fputs(report.c_str(), stderr);
        return 1;
    }
}
