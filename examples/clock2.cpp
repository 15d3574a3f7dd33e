// clock2 - gopl.io/ch8/clock2: the time-of-day server of clock1, made concurrent: each client
// is served in its own goroutine.
//
// The lesson: adding `go` to the call of handle_conn is all it takes. Every client gets the
// time at once, and a client that leaves ends only its own goroutine.
//
//     clock2 &               listens on localhost:8000, as in the book
//     clock2 -port 8010 &    another port (the flag of exercise 8.1)
//     TZ=Asia/Tokyo clock2 -port 8020 &
//                            another time zone: the time is local time, which TZ sets, as in
//                            Go (exercise 8.1: clockwall shows several such clocks at once)
//     netcat1 & netcat1      two clients at once
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
        gocsp::go(handle_conn, conn);  // handle connections concurrently
    }
}
