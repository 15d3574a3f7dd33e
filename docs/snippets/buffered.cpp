// buffered: a buffered channel is a queue; sends block only when it is full. A buffer sized for
// every sender lets the slow ones finish after nobody listens any more.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

std::string request(const char* mirror, std::chrono::milliseconds latency) {
    gocsp::sleep_for(latency);  // stands in for a network round trip
    return std::string("response from ") + mirror;
}

// mirrored_query asks three mirrors and returns the quickest answer.
std::string mirrored_query() {
    gocsp::chan<std::string> responses(3);  // room for every answer: no sender is left blocked
    gocsp::go([responses] { responses << request("asia", 30ms); });
    gocsp::go([responses] { responses << request("europe", 10ms); });
    gocsp::go([responses] { responses << request("americas", 20ms); });
    return responses.recv();
}

int main() {
    gocsp::chan<std::string> ch(3);  // make(chan string, 3)
    ch << "A" << "B";                // two sends; neither blocks
    std::printf("len=%zu cap=%zu\n", ch.len(), ch.cap());
    std::printf("%s\n", ch.recv().c_str());  // FIFO: "A" first
    std::printf("len=%zu cap=%zu\n", ch.len(), ch.cap());

    std::printf("%s\n", mirrored_query().c_str());
}
