// reverb3 - gopl.io/ch8/reverb2 with exercise 8.8: the echo server of reverb2 that hangs up on
// a client that has shouted nothing for 10 seconds.
//
// The lesson: a timeout is one more case of a select. A goroutine reads the client's lines and
// sends each on a channel; the handler waits in a select for the next line or for a timer,
// which each line sets back to the full timeout. When the timer wins, the handler waits for
// the echoes still sounding (reverb2's wait_group, exercise 8.4) and closes the connection. The
// reading goroutine then sees the closed connection and closes its channel, which the handler
// drains, so neither is left behind. A client that half-closes is answered and closed as by
// reverb2.
//
//     reverb3 &                        listens on localhost:8000, 1 s between echoes, hangs up
//                                      after 10 s of silence
//     reverb3 -port 8010 -delay 300ms -timeout 3s
//     netcat2                          to shout at it (and to see the server hang up)
#include "accept.hpp"
#include "flags.hpp"
#include "reverb.hpp"

#include <gocsp/gocsp.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
namespace io = gocsp::io;
namespace net = gocsp::net;

// read_lines: sends each line the client says on lines; closes lines at the end of the input,
// or when the connection is closed under it.
static void read_lines(net::conn c, gocsp::send_chan<std::string> lines) {
    io::scanner input(c);
    while (input.scan()) lines << input.text();
    // NOTE: ignoring potential errors from input.err()
    lines.close();
}

static void handle_conn(net::conn c, std::chrono::nanoseconds delay, std::chrono::nanoseconds timeout) {
    gocsp::wait_group echoes;  // the echo goroutines still running
    gocsp::chan<std::string> lines(0);
    gocsp::go(read_lines, c, lines);
    gocsp::time::timer silence(timeout);
    for (bool talking = true; talking;) {
        std::string shout;
        bool ok = false;
        switch (gocsp::select(gocsp::recv_case(lines, shout, ok), gocsp::recv_case(silence.c))) {
            case 0:
                if (!ok) {  // the client closed its side
                    talking = false;
                    break;
                }
                if (!silence.stop()) silence.c.try_recv();  // fired meanwhile: drain it
                silence.reset(timeout);
                echoes.add(1);
                gocsp::go([&echoes, c, shout = std::move(shout), delay] {
                    reverb::echo(c, shout, delay);
                    echoes.done();
                });
                break;
            case 1:  // silent for too long
                talking = false;
                break;
        }
    }
    echoes.wait();  // the last echo is out...
    c.close();      // ...before the connection closes
    for ([[maybe_unused]] const std::string& ignored : lines) {
        // the reader ends on the closed connection; a line it was sending is dropped
    }
}

int main(int argc, char** argv) {
    const int& port = flag::integer("port", 8000, "listen on localhost:`port`");
    const auto& delay = flag::duration("delay", 1s, "pause between the echoes of a line");
    const auto& timeout = flag::duration("timeout", 10s, "hang up on a client silent this long (exercise 8.8)");
    flag::parse(argc, argv);
    if (timeout <= 0s) flag::invalid_value("timeout", "non-positive timeout");

    const net::listener l = must([&] { return net::listen("tcp", "localhost:" + std::to_string(port)); });
    for (;;) {
        const net::conn conn = accept_retrying(l);  // on an error: logs it, waits, tries again
        gocsp::go(handle_conn, conn, delay, timeout);
    }
}
