// Blocked goroutines are not a deadlock while main can still make progress: the unbuffered
// mirroredQuery leak (two senders stuck forever), a goroutine sleeping, and main waiting for
// the sleeper. Must exit 0.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

int main() {
    gocsp::chan<std::string> responses(0);  // unbuffered: the slower two leak
    gocsp::go([responses] { gocsp::sleep_for(10ms); responses.send("asia"); });
    gocsp::go([responses] { gocsp::sleep_for(20ms); responses.send("europe"); });
    gocsp::go([responses] { gocsp::sleep_for(30ms); responses.send("americas"); });
    std::printf("%s\n", responses.recv().c_str());

    gocsp::wait_group wg;
    wg.add(1);
    gocsp::go([&wg] {
        gocsp::sleep_for(300ms);  // main waits on wg meanwhile: a timer is pending, no deadlock
        wg.done();
    });
    wg.wait();
    std::printf("done\n");
    return 0;
}
