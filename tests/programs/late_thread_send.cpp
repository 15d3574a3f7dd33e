// main blocks on a receive that a std::thread, unknown to the runtime until it sends, satisfies
// 300 ms later. Not a deadlock (Go has no such threads, but its detector never reports a
// deadlock that is not one): must print the value and exit 0, in every build, ThreadSanitizer's
// included. With the argument "late", the thread is started by a goroutine after main has
// parked, and that goroutine ends at once, leaving no goroutine but main.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

int main(int argc, char** argv) {
    const bool late = argc > 1 && std::strcmp(argv[1], "late") == 0;
    gocsp::chan<int> ch(0);
    auto sender = [ch] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ch.send(42);
    };
    std::thread early;
    if (late) {
        gocsp::go([ch, sender] {
            gocsp::sleep_for(std::chrono::milliseconds(50));  // main parks first
            std::thread(sender).detach();
        });
    } else {
        early = std::thread(sender);
    }
    std::printf("%d\n", ch.recv());
    if (early.joinable()) early.join();
    return 0;
}
