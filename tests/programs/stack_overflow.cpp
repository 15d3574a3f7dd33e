// Unbounded recursion in a goroutine must stop the program loudly (a fault in the guard region
// below its stack), never corrupt memory silently and carry on.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>

namespace {
volatile int sink;
volatile bool keep_going = true;
int recurse(int n) {
    volatile char frame[512];
    frame[0] = static_cast<char>(n);
    sink = frame[0];
    if (!keep_going) return 0;
    return recurse(n + 1) + frame[0];
}
}  // namespace

int main() {
    gocsp::go(gocsp::stack_size{64 * 1024}, [] { sink = recurse(0); });
    gocsp::sleep_for(std::chrono::seconds(20));
    std::printf("survived\n");
    return 0;
}
