// On SIGQUIT the process prints every goroutine and exits with status 2, as Go does
// (GOCSP_SIGQUIT=continue: prints and runs on).
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>

using namespace std::chrono_literals;

int main() {
    std::signal(SIGQUIT, SIG_DFL);  // as in a foreground process
    gocsp::chan<int> never(0);
    gocsp::wait_group parked;
    parked.add(2);
    gocsp::go([never, &parked] { parked.done(); never.recv(); });
    gocsp::go([&parked] { parked.done(); gocsp::sleep_for(std::chrono::hours(1)); });
    parked.wait();
    gocsp::sleep_for(50ms);
    std::raise(SIGQUIT);
    gocsp::sleep_for(2s);
    std::printf("still running\n");
    return 0;
}
