// netcat3 - gopl.io/ch8/netcat3 with exercise 8.3: netcat2 that waits, on an unbuffered
// channel, for the goroutine copying the replies before it exits.
//
// The lessons: an unbuffered channel synchronizes: main receives from `done` only once the
// goroutine has finished (and logged "done"). And a half-close: at the end of its input the
// client closes only its writing side (close_write, Go's CloseWrite), so the server reads end
// of file while the replies still in flight keep coming; the background copy ends when the
// server closes the connection.
//
//     netcat3                connects to localhost:8000, as in the book
//     netcat3 -port 8010     another port
#include "flags.hpp"

#include <gocsp/gocsp.hpp>

#include <exception>
#include <string>

namespace io = gocsp::io;
namespace net = gocsp::net;

template <class W, class R>
static void must_copy(W dst, R src) {
    must([&] { return io::copy(dst, src); });
}

int main(int argc, char** argv) {
    const int& port = flag::integer("port", 8000, "connect to localhost:`port`");
    flag::parse(argc, argv);

    const net::conn conn = must([&] { return net::dial("tcp", "localhost:" + std::to_string(port)); });
    gocsp::chan<gocsp::empty> done(0);  // make(chan struct{})
    gocsp::go([conn, done] {
        try {
            io::copy(io::stdout_writer(), conn);
        } catch (const std::exception&) {
            // NOTE: ignoring errors
        }
        log_print("done");
        done << gocsp::empty{};  // signal the main goroutine
    });
    must_copy(conn, io::stdin_reader());
    conn.close_write();  // the server reads end of file; its replies can still arrive
    done.recv();         // wait for background goroutine to finish
    conn.close();
}
