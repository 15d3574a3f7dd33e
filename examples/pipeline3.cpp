// pipeline3 - gopl.io/ch8/pipeline3 of "The Go Programming Language" (section 8.4.3):
// pipeline2 with each stage in a function of its own.
//
// The lesson: unidirectional channel types. Each stage's parameters say which way data flows:
// gocsp::send_chan<T> is Go's `chan<- T` (send and close only), gocsp::recv_chan<T> is
// `<-chan T` (receive only). main passes the bidirectional chan<T>, which converts implicitly
// to either; a stage that tried to receive from its send-only parameter would not compile.
// Prints 0, 1, 4, ..., 9801, as pipeline2.
#include <gocsp/gocsp.hpp>

#include "flags.hpp"  // flag::parse_help: -h and -help

#include <cstdint>
#include <cstdio>

void counter(gocsp::send_chan<std::int64_t> out) {
    for (std::int64_t x = 0; x < 100; ++x) out << x;
    out.close();
}

void squarer(gocsp::send_chan<std::int64_t> out, gocsp::recv_chan<std::int64_t> in) {
    for (std::int64_t v : in) out << v * v;
    out.close();
}

void printer(gocsp::recv_chan<std::int64_t> in) {
    for (std::int64_t v : in) std::printf("%lld\n", static_cast<long long>(v));
}

int main(int argc, char** argv) {
    flag::parse_help(argc, argv);
    gocsp::chan<std::int64_t> naturals(0);
    gocsp::chan<std::int64_t> squares(0);
    gocsp::go(counter, naturals);
    gocsp::go(squarer, squares, naturals);
    printer(squares);
}
