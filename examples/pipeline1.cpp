// pipeline1 - gopl.io/ch8/pipeline1 of "The Go Programming Language" (section 8.4.2): three
// goroutines connected by two unbuffered channels, counter -> squarer -> printer.
//
// The lesson: a pipeline. Each stage receives from one channel and sends to the next; the
// unbuffered channels make every stage wait for its neighbour, so the three run in lock step.
// Nothing ever closes a channel: the program prints 0, 1, 4, 9, ... until it is killed.
//
//     $ pipeline1 | head -4
//     0
//     1
//     4
//     9
//
// Go's int is 64 bits and wraps on overflow; std::int64_t is the same size, and x * x would
// only overflow after three billion numbers (hours of printing).
#include <gocsp/gocsp.hpp>

#include "flags.hpp"  // flag::parse_help: -h and -help

#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
    flag::parse_help(argc, argv);
    gocsp::chan<std::int64_t> naturals(0);
    gocsp::chan<std::int64_t> squares(0);

    // Counter
    gocsp::go([naturals] {
        for (std::int64_t x = 0;; ++x) naturals << x;
    });

    // Squarer
    gocsp::go([naturals, squares] {
        for (;;) {
            std::int64_t x = naturals.recv();
            squares << x * x;
        }
    });

    // Printer (in the main thread)
    for (;;) std::printf("%lld\n", static_cast<long long>(squares.recv()));
}
