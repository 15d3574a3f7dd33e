// reverb2 - gopl.io/ch8/reverb2 with exercise 8.4: the echo server of reverb1, answering each
// line in its own goroutine, so that the echoes of lines shouted back to back overlap.
//
// The lessons: goroutines within one connection: a second shout is answered while the first
// still echoes. And a wait_group per connection (exercise 8.4) counts the echoes in flight:
// when the client has half-closed (netcat3 at the end of its input), the server closes the
// connection only after the last echo, so none is cut off.
//
//     reverb2 &                       listens on localhost:8000, 1 s between echoes, as in the book
//     reverb2 -port 8010 -delay 300ms
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
    gocsp::wait_group echoes;  // the echo goroutines still running
    io::scanner input(c);
    while (input.scan()) {
        echoes.add(1);
        gocsp::go([&echoes, c, shout = input.text(), delay] {
            reverb::echo(c, shout, delay);
            echoes.done();
        });
    }
    // NOTE: ignoring potential errors from input.err()
    echoes.wait();  // the last echo is out...
    c.close();      // ...before the connection closes
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
