// chat - a chat server: gopl.io/ch8/chat of "The Go Programming Language" (section 8.10), with
// the chapter's exercises 8.12 to 8.15.
//
// The lesson: one goroutine, the broadcaster, owns the set of connected clients; nobody else
// touches it, so no lock guards it. Goroutines talk to it only through channels: `entering` and
// `leaving` announce clients, `messages` carries every line a client says. Each connection has a
// handler goroutine (reads the client's lines) and a writer goroutine (drains the client's
// outgoing channel to the socket). The book's program has 2n+2 goroutines for n clients: main
// (accepting), the broadcaster, and a handler and a writer per client.
//
//     $ chat &                                   $ nc localhost 8000
//     $ nc localhost 8000                        You are 127.0.0.1:41002
//     You are 127.0.0.1:41000                    hi
//     127.0.0.1:41002 has arrived                127.0.0.1:41002: hi
//     127.0.0.1:41002: hi                        ^C
//     127.0.0.1:41002 has left
//
// Flags (Go's flag syntax: -name value, -name=value; booleans -name or -name=false):
//   -addr host:port  where to listen (default localhost:8000, as the book)
//   -announce        exercise 8.12: tell each newcomer who is here, one line:
//                    "Current clients: <a>, <b>, <newcomer>" (in order of arrival)
//   -idle duration   exercise 8.13: disconnect a client that has sent nothing for this long
//                    (default 5m, as the exercise; 0 never). The handler waits in a select on
//                    the client's next line and a timer, so a third goroutine per client reads
//                    the connection: 3n+2 goroutines.
//   -names           exercise 8.14: ask each client for its name ("What is your name?"); the
//                    first line it sends is its name, used instead of its address (an empty
//                    line keeps the address)
//   -buffer n        exercise 8.15: the capacity of each client's outgoing channel (default
//                    1024). The broadcaster sends with a select that has a default case: a
//                    client whose channel is full misses that message, and a client that stops
//                    reading holds up nobody. The writer sends everything queued in one write,
//                    so that a client that reads promptly keeps up with a burst. -buffer 0 is
//                    the book's broadcaster: unbuffered channels, blocking sends, and one stuck
//                    client stalls the whole room.
// The defaults keep what clients see exactly the book's: 8.12 and 8.14 change the protocol, so
// they take a flag; 8.13 and 8.15 change nothing for a client that talks within five minutes and
// reads what it is sent, so they are on.
#include <gocsp/gocsp.hpp>

#include "flags.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace net = gocsp::net;
namespace io = gocsp::io;
using namespace std::chrono_literals;

namespace {

// The flags, set by main before the first goroutine starts; read-only afterwards.
struct options {
    std::string& addr = flag::string("addr", "localhost:8000", "listen on `host:port`");
    bool& announce = flag::boolean("announce", false, "tell each newcomer the current clients (exercise 8.12)");
    std::chrono::nanoseconds& idle =
        flag::duration("idle", 5min, "disconnect a client silent this long; 0: never (exercise 8.13)");
    bool& names = flag::boolean("names", false, "ask each client for its name (exercise 8.14)");
    int& buffer = flag::integer("buffer", 1024,
                                "outgoing messages queued per client; when full, a client misses messages\n"
                                "(exercise 8.15); 0: the book's unbuffered channel and blocking send");
};
options opt;

struct client {
    gocsp::send_chan<std::string> out;  // an outgoing message channel
    std::string name;
};

gocsp::chan<client> entering(0);
gocsp::chan<client> leaving(0);
gocsp::chan<std::string> messages(0);  // all incoming client messages

// deliver: gives msg to cli's writer. Exercise 8.15: skip a client whose channel is full rather
// than wait for it. With -buffer 0, the book's blocking send.
void deliver(const client& cli, const std::string& msg) {
    if (opt.buffer == 0) {
        cli.out.send(msg);
        return;
    }
    switch (gocsp::select(gocsp::send_case(cli.out, msg), gocsp::default_case)) {
        case 0: break;  // queued
        case 1: break;  // full: this client misses msg
    }
}

void broadcaster() {
    std::vector<client> clients;  // all connected clients, in order of arrival
    for (;;) {
        std::string msg;
        client cli;
        switch (gocsp::select(gocsp::recv_case(messages, msg), gocsp::recv_case(entering, cli),
                              gocsp::recv_case(leaving, cli))) {
            case 0:
                // Broadcast incoming message to all clients' outgoing message channels.
                for (const client& c : clients) deliver(c, msg);
                break;
            case 1:
                clients.push_back(cli);
                if (opt.announce) {  // exercise 8.12
                    std::string who = "Current clients: ";
                    for (const client& c : clients) who += (&c == &clients.front() ? "" : ", ") + c.name;
                    deliver(cli, who);
                }
                break;
            case 2:
                std::erase_if(clients, [&](const client& c) { return c.out == cli.out; });
                cli.out.close();
                break;
        }
    }
}

// client_writer: writes what the client is sent, until its channel is closed.
void client_writer(net::conn conn, gocsp::recv_chan<std::string> ch) {
    for (std::string& msg : ch) {
        msg += '\n';
        // 8.15: take what else is queued too, so a burst costs one write, not one per line.
        while (msg.size() < 64 * 1024) {
            auto more = ch.try_recv();
            if (!more || !more->ok) break;
            msg += more->value;
            msg += '\n';
        }
        try {
            conn.write(msg);
        } catch (const net::error&) {
            // NOTE: ignoring network errors, as the book does (keep draining the channel)
        }
    }
}

// client_reader: sends each line the client says to lines; closes lines at the end of input.
void client_reader(net::conn conn, gocsp::send_chan<std::string> lines) {
    io::scanner input(conn);
    while (input.scan()) lines << input.text();
    // NOTE: ignoring potential errors from input.err(), as the book does
    lines.close();
}

void handle_conn(net::conn conn) {
    gocsp::chan<std::string> ch(static_cast<std::size_t>(opt.buffer));  // outgoing client messages
    gocsp::go(client_writer, conn, ch);

    // Exercise 8.13: the next line or, after -idle of silence, nothing (nil timer: no limit).
    gocsp::chan<std::string> lines(0);
    gocsp::go(client_reader, conn, lines);
    std::optional<gocsp::time::timer> idle;
    gocsp::recv_chan<gocsp::time::time_point> timeout;
    if (opt.idle > 0s) {
        idle.emplace(opt.idle);
        timeout = idle->c;
    }
    auto next_line = [&]() -> std::optional<std::string> {
        std::string line;
        bool ok = false;
        switch (gocsp::select(gocsp::recv_case(lines, line, ok), gocsp::recv_case(timeout))) {
            case 0:
                if (!ok) return std::nullopt;  // the client left
                if (idle) {
                    if (!idle->stop()) idle->c.try_recv();  // fired meanwhile: drain
                    idle->reset(opt.idle);
                }
                return line;
            default:
                return std::nullopt;  // idle too long
        }
    };
    auto hang_up = [&] {
        conn.close();
        for (auto& rest : lines) (void)rest;  // let the reader see the closed connection and end
    };

    std::string who = conn.remote_addr();
    if (opt.names) {  // exercise 8.14
        ch << "What is your name?";
        auto name = next_line();
        if (!name) {
            ch.close();  // the broadcaster never knew this client
            hang_up();
            return;
        }
        if (!name->empty()) who = *name;
    }
    ch << "You are " + who;
    messages << who + " has arrived";
    entering << client{ch, who};

    while (auto line = next_line()) messages << who + ": " + *line;

    leaving << client{ch, who};
    messages << who + " has left";
    hang_up();
}

}  // namespace

int main(int argc, char** argv) {
    flag::parse(argc, argv);
    if (opt.buffer < 0 || !flag::args().empty()) {
        flag::print_usage();
        return 2;
    }
    net::listener listener;
    try {
        listener = net::listen("tcp", opt.addr);
    } catch (const net::error& e) {
        log_fatal(e.what());
    }

    gocsp::go([] { broadcaster(); });  // not go(broadcaster): C++ would read that as a declaration
    for (;;) {
        net::conn conn;
        try {
            conn = listener.accept();
        } catch (const net::error& e) {
            log_print(e.what());
            continue;
        }
        gocsp::go(handle_conn, conn);
    }
}
