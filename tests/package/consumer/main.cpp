// Package test consumer: includes gocsp from wherever the build found it, starts one goroutine
// and exits 0 once it has run.
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <thread>

int main() {
    std::atomic<bool> ran{false};
    gocsp::go([&ran] { ran = true; });
    while (!ran) std::this_thread::yield();
    return 0;
}
