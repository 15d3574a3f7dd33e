// evens - the select example of section 8.7 of "The Go Programming Language" (gopl.io/ch8,
// page 245): a loop of ten selects over one channel with a buffer of one.
//
// The lesson: select runs whichever case can proceed. With the buffer empty only the send can
// (i = 0, 2, 4, ...); with it full only the receive can, which takes the value sent on the
// previous iteration. So the program always prints the even numbers 0 2 4 6 8, one per line,
// though select picks at random among ready cases: here there is never more than one.
#include <gocsp/gocsp.hpp>

#include "flags.hpp"  // flag::parse_help: -h and -help

#include <cstdio>

int main(int argc, char** argv) {
    flag::parse_help(argc, argv);
    gocsp::chan<int> ch(1);
    for (int i = 0; i < 10; ++i) {
        int x;
        switch (gocsp::select(gocsp::recv_case(ch, x), gocsp::send_case(ch, i))) {
            case 0: std::printf("%d\n", x); break;  // "0" "2" "4" "6" "8"
            case 1: break;
        }
    }
}
