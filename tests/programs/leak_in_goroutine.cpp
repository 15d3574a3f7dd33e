// LeakSanitizer and goroutine stacks (tests/sanitizer_test.cpp, AddressSanitizer build):
//
//   leak_in_goroutine ended    16 goroutines, alive at once, each allocate 12,345 bytes and end
//                              without freeing them: 16 real leaks, which the report at exit
//                              must show, though the pointers are still written in the freed
//                              stacks the pool keeps for reuse
//   leak_in_goroutine parked   a goroutine allocates 23,456 bytes and parks for good, the
//                              pointer in a local of its stack: main returns, and nothing may
//                              be reported, since the goroutine still holds the memory
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <cstring>

namespace {

// allocate: n bytes on the heap, written so the allocation cannot be left out; the pointer goes
// to the caller's stack frame only.
GOCSP_NOINLINE char* allocate(std::size_t n) {
    char* p = new char[n];
    std::memset(p, 1, n);
    return p;
}

}  // namespace

int main(int argc, char** argv) {
    const bool parked = argc > 1 && std::strcmp(argv[1], "parked") == 0;
    if (parked) {
        gocsp::chan<int> never(0), ready(0);
        gocsp::go([never, ready] {
            char* volatile held = allocate(23456);
            ready.send(1);
            never.recv();  // parks until the process exits
            delete[] held;
        });
        ready.recv();
        gocsp::sleep_for(std::chrono::milliseconds(50));  // the goroutine is parked on `never`
        std::puts("parked");
        std::fflush(stdout);
        return 0;
    }
    constexpr int n = 16;
    gocsp::wait_group allocated, finished;
    gocsp::chan<int> release(0);
    allocated.add(n);
    finished.add(n);
    for (int i = 0; i < n; ++i)
        gocsp::go([&] {
            char* volatile lost = allocate(12345);
            (void)lost;
            allocated.done();
            release.recv();  // all 16 alive at once: 16 stacks
            finished.done();
        });
    allocated.wait();
    release.close();
    finished.wait();
    std::puts("ended");
    std::fflush(stdout);  // LeakSanitizer ends the process before buffers are flushed
    return 0;
}
