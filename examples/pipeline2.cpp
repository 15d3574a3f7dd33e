// pipeline2 - gopl.io/ch8/pipeline2 of "The Go Programming Language" (section 8.4.2): the
// counter -> squarer -> printer pipeline of pipeline1, made finite.
//
// The lesson: closing a channel says "no more values". The counter closes `naturals` after
// 100 numbers; the squarer's range loop ends once `naturals` is closed and drained, and it
// closes `squares` in turn; the printer's range loop ends, and main returns. Prints the squares
// of 0 to 99, one per line: 0, 1, 4, ..., 9801.
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
        for (std::int64_t x = 0; x < 100; ++x) naturals << x;
        naturals.close();
    });

    // Squarer
    gocsp::go([naturals, squares] {
        for (std::int64_t x : naturals) squares << x * x;
        squares.close();
    });

    // Printer (in the main thread)
    for (std::int64_t x : squares) std::printf("%lld\n", static_cast<long long>(x));
}
