// netcat1 - gopl.io/ch8/netcat1: a read-only TCP client: copies what the server sends to the
// standard output until the server closes the connection.
//
// The lesson: a client for clock1 and clock2; several at once show the difference between the
// sequential and the concurrent server.
//
//     netcat1                connects to localhost:8000, as in the book
//     netcat1 -port 8010     another port
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
    must_copy(io::stdout_writer(), conn);
    conn.close();
}
