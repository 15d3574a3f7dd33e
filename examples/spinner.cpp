// spinner - gopl.io/ch8/spinner: a goroutine animates a spinner while main computes a slow
// Fibonacci number, then main prints the result and the program ends.
//
// The lesson: `go f()` runs f at the same time as its caller. In the book, returning from main
// ends the program and the spinner goroutine with it, without waiting for it - so a frame the
// spinner draws just then may land after the result. Here main first tells the spinner to stop
// and waits until it has: the send on the unbuffered channel `stop` completes only when the
// spinner receives it, between two frames, so the result is the last thing printed.
//
// Nothing preempts a goroutine in gocsp, but main is a plain thread and the spinner runs on a
// worker thread, so main may compute without ever yielding and the spinner still turns, even
// with a single worker (GOCSP_MAXPROCS=1).
//
//     spinner          Fibonacci(45), as in the book (a few seconds)
//     spinner -n 40    a quicker one
#include "flags.hpp"

#include <gocsp/gocsp.hpp>

#include <chrono>
#include <string_view>

using namespace std::chrono_literals;
namespace io = gocsp::io;

// spinner: draws a frame every delay until it receives from stop.
static void spinner(std::chrono::nanoseconds delay, gocsp::recv_chan<gocsp::empty> stop) {
    for (;;) {
        for (char r : std::string_view("-\\|/")) {
            io::fprintf(io::stdout_writer(), "\r%c", r);
            gocsp::time::timer next(delay);
            if (gocsp::select(gocsp::recv_case(next.c), gocsp::recv_case(stop)) == 1) return;
        }
    }
}

static long long fib(int x) {
    if (x < 2) return x;
    return fib(x - 1) + fib(x - 2);
}

int main(int argc, char** argv) {
    const int& n = flag::integer("n", 45, "compute Fibonacci(`n`)");
    flag::parse(argc, argv);

    gocsp::chan<gocsp::empty> stop(0);  // make(chan struct{})
    gocsp::go(spinner, 100ms, stop);
    const long long fib_n = fib(n);  // slow
    stop << gocsp::empty{};        // returns once the spinner has taken it: no frame after this
    io::fprintf(io::stdout_writer(), "\rFibonacci(%d) = %lld\n", n, fib_n);
}
