// mirrored - mirroredQuery of section 8.4.4 of "The Go Programming Language" (gopl.io/ch8,
// page 233): ask three mirrors at once, answer with the quickest.
//
// The lesson: a buffered channel as the place where answers that nobody waits for can go.
// mirrored_query starts a goroutine per mirror, each sending its mirror's response on
// `responses`, and returns the first one received. With a buffer of 3 the two slower
// goroutines still complete their sends - into the buffer - and exit. With an unbuffered
// channel they would block forever on a send that no one will ever receive: a goroutine leak,
// which no garbage collector reclaims. The mirrors are simulated: each answers with its own
// name after a random delay of 10 to 100 ms.
//
//     $ mirrored                          # the quickest mirror's name
//     europe.gopl.io
//     $ mirrored -leaks                   # then, once the slower mirrors have answered:
//     europe.gopl.io
//     goroutines: 1
//     $ mirrored -leaks -unbuffered       # the two slower senders are stuck for good
//     americas.gopl.io
//     goroutines: 3
//
// "goroutines" is gocsp::num_goroutine() (Go's runtime.NumGoroutine, main included), counted
// once the mirrors' goroutines have finished or 2 s have passed (gocsp::testing::leak_check);
// the goroutines left behind are listed on stderr.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "flags.hpp"

bool& unbuffered = flag::boolean("unbuffered", false, "send the responses on an unbuffered channel (leaks two goroutines)");
bool& leaks = flag::boolean("leaks", false, "wait for the slower mirrors, then count the goroutines left");

// request asks mirror `hostname`; this one is simulated: it answers with the host name after
// 10 to 100 ms.
std::string request(const std::string& hostname) {
    thread_local std::mt19937 rng{std::random_device{}()};
    gocsp::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(10, 100)(rng)));
    return hostname;
}

std::string mirrored_query() {
    gocsp::chan<std::string> responses(unbuffered ? 0 : 3);
    gocsp::go([responses] { responses << request("asia.gopl.io"); });
    gocsp::go([responses] { responses << request("europe.gopl.io"); });
    gocsp::go([responses] { responses << request("americas.gopl.io"); });
    return responses.recv();  // return the quickest response
}

int main(int argc, char** argv) {
    flag::parse(argc, argv);
    gocsp::testing::leak_check check;
    std::printf("%s\n", mirrored_query().c_str());
    if (leaks) {
        const std::string report = check.report(std::chrono::seconds(2));
        std::printf("goroutines: %lld\n", static_cast<long long>(gocsp::num_goroutine()));
        std::fputs(report.c_str(), stderr);
    }
}
