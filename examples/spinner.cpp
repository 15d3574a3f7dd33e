// spinner - gopl.io/ch8/spinner: a goroutine animates a spinner while main computes a slow
// Fibonacci number, then main prints the result and the program ends.
//
// The lesson: `go f()` runs f at the same time as its caller; returning from main ends the
// program, the spinner goroutine with it, without waiting for it.
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

static void spinner(std::chrono::nanoseconds delay) {
    for (;;) {
        for (char r : std::string_view("-\\|/")) {
            io::fprintf(io::stdout_writer(), "\r%c", r);
            gocsp::time::sleep(delay);
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

    gocsp::go(spinner, 100ms);
    const long long fib_n = fib(n);  // slow
    io::fprintf(io::stdout_writer(), "\rFibonacci(%d) = %lld\n", n, fib_n);
}
