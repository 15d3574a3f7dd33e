// A goroutine throws; the process must print Go's panic report and exit with status 2.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>

int main() {
    std::printf("before\n");  // buffered output printed before a panic must not be lost
    gocsp::go([] { throw std::runtime_error("boom"); });
    gocsp::sleep_for(std::chrono::seconds(20));
    std::printf("not reached\n");
    return 0;
}
