// spinner: a goroutine animates a spinner while main computes; when main returns, the program
// ends and the spinner goroutine with it.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

void spinner(std::chrono::milliseconds delay) {
    for (;;) {
        for (char r : {'-', '\\', '|', '/'}) {
            std::printf("\r%c", r);
            std::fflush(stdout);
            gocsp::sleep_for(delay);  // parks the goroutine: its worker is free meanwhile
        }
    }
}

long fib(int x) { return x < 2 ? x : fib(x - 1) + fib(x - 2); }

int main() {
    gocsp::go(spinner, 100ms);  // go spinner(100 * time.Millisecond)
    const int n = 32;
    long result = fib(n);  // slow on purpose
    std::printf("\rFibonacci(%d) = %ld\n", n, result);
}
