// netcat2 - gopl.io/ch8/netcat2: a TCP client that sends its standard input to the server
// while a goroutine copies the server's replies to the standard output.
//
// The lesson: two copies running at once, one in main and one in a goroutine, the client for
// reverb1 and reverb2. When the input ends, main returns and the program ends at once, even if
// replies are still on their way (netcat3 waits for them).
//
//     netcat2                connects to localhost:8000, as in the book
//     netcat2 -port 8010     another port
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
    gocsp::go([conn] { must_copy(io::stdout_writer(), conn); });
    must_copy(conn, io::stdin_reader());
    // The book's deferred conn.Close() is left to the end of the program: closing here would wake
    // the goroutine's copy with "use of closed network connection", which it would log as fatal
    // if it got there before main returned.
}
