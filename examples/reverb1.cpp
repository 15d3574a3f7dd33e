// reverb1 - gopl.io/ch8/reverb1: an echo server that shouts each line back three times, loud,
// normal and soft, with a pause between, like an echo in a canyon.
//
// The lesson: each connection has its own goroutine, but within one connection the lines are
// answered in turn: a second shout waits until the first has faded. reverb2 answers each line
// in its own goroutine.
//
//     reverb1 &                       listens on localhost:8000, 1 s between echoes, as in the book
//     reverb1 -port 8010 -delay 300ms
//     netcat3                         to shout at it
#include "accept.hpp"
#include "flags.hpp"
#include "reverb.hpp"

#include <gocsp/gocsp.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
namespace io = gocsp::io;
namespace net = gocsp::net;

static void handle_conn(net::conn c, std::chrono::nanoseconds delay) {
    io::scanner input(c);
    while (input.scan()) reverb::echo(c, input.text(), delay);
    // NOTE: ignoring potential errors from input.err()
    c.close();
}

int main(int argc, char** argv) {
    const int& port = flag::integer("port", 8000, "listen on localhost:`port`");
    const auto& delay = flag::duration("delay", 1s, "pause between the echoes of a line");
    flag::parse(argc, argv);

    const net::listener l = must([&] { return net::listen("tcp", "localhost:" + std::to_string(port)); });
    for (;;) {
        const net::conn conn = accept_retrying(l);  // on an error: logs it, waits, tries again
        gocsp::go(handle_conn, conn, delay);
    }
}
