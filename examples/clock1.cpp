// clock1 - gopl.io/ch8/clock1: a TCP server that writes the time of day to each client once a
// second, serving one client at a time.
//
// The lesson: a sequential server. While handle_conn serves a client, the next one waits in
// the listen queue until the first leaves (a write fails, which ends the handler). clock2
// serves each client in its own goroutine.
//
//     clock1 &               listens on localhost:8000, as in the book
//     clock1 -port 8010 &    another port (the flag of exercise 8.1)
//     netcat1                to watch it (or nc localhost 8000)
#include "accept.hpp"
#include "flags.hpp"

#include <gocsp/gocsp.hpp>

#include <chrono>
#include <ctime>
#include <string>

using namespace std::chrono_literals;
namespace io = gocsp::io;
namespace net = gocsp::net;

// time_of_day: the local time as Go's time.Now().Format("15:04:05\n") writes it.
static std::string time_of_day() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    char text[16];
    std::strftime(text, sizeof text, "%H:%M:%S\n", &local);
    return text;
}

static void handle_conn(net::conn c) {
    for (;;) {
        try {
            io::write_string(c, time_of_day());
        } catch (const net::error&) {
            break;  // e.g., client disconnected
        }
        gocsp::time::sleep(1s);
    }
    c.close();
}

int main(int argc, char** argv) {
    const int& port = flag::integer("port", 8000, "listen on localhost:`port`");
    flag::parse(argc, argv);

    const net::listener listener = must([&] { return net::listen("tcp", "localhost:" + std::to_string(port)); });
    for (;;) {
        const net::conn conn = accept_retrying(listener);  // on an error: logs it, waits, tries again
        handle_conn(conn);  // handle one connection at a time
    }
}
