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
//                    (default 5m, as the exercise; 0 never). The handler moves the connection's
//                    read deadline on before each line (Go's SetReadDeadline): a silent client's
//                    read times out and ends its session. The handler still reads the
//                    connection itself, so the program keeps the book's 2n+2 goroutines. (A
//                    goroutine reading the lines for the handler to select on with a timer
//                    would put a third goroutine on each line's way to the broadcaster; with
//                    one run-next slot a worker then queues the broadcaster behind the writers
//                    it has just woken, for every line, and a burst costs a write per client
//                    for every three or four lines rather than every twenty: Go's runtime does
//                    the same, see docs/benchmarks.md.)
//   -names           exercise 8.14: ask each client for its name ("What is your name?"); the
//                    first line it sends is its name, used instead of its address (an empty
//                    line keeps the address)
//   -buffer n        exercise 8.15: the capacity of each client's outgoing channel (default
//                    1024, at most 65536). The broadcaster sends with a select that has a
//                    default case: a client whose channel is full misses that message, and a
//                    client that stops reading holds up nobody. The writer sends the short
//                    messages queued in one write (up to 64 KiB), so that a client that reads
//                    promptly keeps up with a burst. -buffer 0 is the book's broadcaster: unbuffered channels, blocking
//                    sends, and one stuck client stalls the whole room.
//   -buffer-bytes n  exercise 8.15 in bytes: a client misses a message also when the messages
//                    queued for it and not yet written would then pass n bytes (default 4 MiB;
//                    a client with nothing queued takes any one message, at most 128 KiB: a
//                    name and a line). What a client that never reads pins is so bounded by n
//                    bytes and one message, not by -buffer times the longest line. The messages
//                    are shared, so clients stuck on the same ones pin them once. And the server
//                    reads no more from a client whose own queue holds over n/2 bytes until it
//                    has read some: a client that talks faster than it reads is slowed to its
//                    own pace (TCP's flow control) rather than missing its own lines.
// The defaults keep what clients see exactly the book's: 8.12 and 8.14 change the protocol, so
// they take a flag; 8.13 and 8.15 change nothing for a client that talks within five minutes and
// reads what it is sent, so they are on.
//
// Memory stays bounded whatever clients do. A message is made once and shared by every client
// it goes to (the book's strings are shared the same way: Go's strings are immutable); a line
// longer than 64 KiB (Go's bufio.MaxScanTokenSize) ends the scanner, as in the book, and with it
// the client's session; a client's queue holds at most -buffer-bytes. A failed accept (out of file
// descriptors, say) is logged and retried after a wait that grows from 5 ms to 1 s, as Go's
// net/http server does (accept.hpp), rather than at once in a busy loop.
#include <gocsp/gocsp.hpp>

#include "accept.hpp"
#include "flags.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
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
    int& buffer_bytes = flag::integer("buffer-bytes", 4 << 20,
                                      "bytes of outgoing messages queued per client; past them, a client misses\n"
                                      "messages (exercise 8.15)");
};
options opt;

constexpr int max_buffer = 1 << 16;        // -buffer: 16 bytes a slot, all touched as the ring turns
constexpr int max_buffer_bytes = 1 << 30;  // -buffer-bytes: a bound, not an allocation, but 1 GiB is plenty

std::size_t half_budget() { return static_cast<std::size_t>(opt.buffer_bytes) / 2; }

// message: one line, newline included, made once and shared by all the clients it goes to.
using message = std::shared_ptr<const std::string>;

message make_message(std::string text) {
    text += '\n';
    return std::make_shared<const std::string>(std::move(text));
}

// backlog: the bytes of the messages sent to a client's channel and not yet written out, and a
// signal from the client's writer each time they fall to half of -buffer-bytes or less.
struct backlog {
    std::atomic<std::size_t> bytes{0};
    gocsp::chan<gocsp::empty> room = gocsp::chan<gocsp::empty>(1);
};
using queued_bytes = std::shared_ptr<backlog>;

struct client {
    gocsp::send_chan<message> out;  // an outgoing message channel
    std::string name;
    queued_bytes queued;
};

gocsp::chan<client> entering(0);
gocsp::chan<client> leaving(0);
gocsp::chan<message> messages(0);  // all incoming client messages

// tell: queues the line text for cli, waiting for room if need be (the handler's own messages
// to its client, before the broadcaster knows it).
void tell(const client& cli, const std::string& text) {
    const message msg = make_message(text);
    cli.queued->bytes.fetch_add(msg->size());
    cli.out << msg;
}

// deliver: gives msg to cli's writer. Exercise 8.15: skip a client whose channel is full, or
// whose queued messages would pass -buffer-bytes, rather than wait for it. With -buffer 0, the
// book's blocking send.
void deliver(const client& cli, const message& msg) {
    const std::size_t size = msg->size();
    const std::size_t before = cli.queued->bytes.fetch_add(size);  // counted before the writer can see it
    if (opt.buffer == 0) {
        cli.out.send(msg);
        return;
    }
    if (before == 0 || before + size <= static_cast<std::size_t>(opt.buffer_bytes)) {
        switch (gocsp::select(gocsp::send_case(cli.out, msg), gocsp::default_case)) {
            case 0: return;  // queued
            case 1: break;   // full: this client misses msg
        }
    }
    cli.queued->bytes.fetch_sub(size);
}

void broadcaster() {
    std::vector<client> clients;  // all connected clients, in order of arrival
    for (;;) {
        message msg;
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
                    deliver(cli, make_message(std::move(who)));
                }
                break;
            case 2:
                std::erase_if(clients, [&](const client& c) { return c.out == cli.out; });
                cli.out.close();
                break;
        }
    }
}

// client_writer: writes what the client is sent, until its channel is closed; a message's bytes
// leave the client's backlog once written.
void client_writer(net::conn conn, gocsp::recv_chan<message> ch, queued_bytes queued) {
    constexpr std::size_t batch_size = 64 * 1024;
    std::string batch;  // short messages gathered into one write (never more than batch_size)
    message held;       // received but not written: it did not fit in the last batch
    for (;;) {
        message msg = std::move(held);
        if (!msg) {
            auto [next, ok] = ch.recv_ok();
            if (!ok) return;
            msg = std::move(next);
        }
        // 8.15: take what else is queued too, so a burst of short lines costs one write, not one
        // per line. A long message goes out alone, as it is.
        std::size_t bytes = msg->size();
        batch.clear();
        while (bytes < batch_size) {
            auto more = ch.try_recv();
            if (!more || !more->ok) break;
            if (bytes + more->value->size() > batch_size) {
                held = std::move(more->value);
                break;
            }
            if (batch.empty()) batch = *msg;
            batch += *more->value;
            bytes += more->value->size();
        }
        try {
            conn.write(batch.empty() ? std::string_view(*msg) : std::string_view(batch));
        } catch (const net::error&) {
            // NOTE: ignoring network errors, as the book does (keep draining the channel)
        }
        if (queued->bytes.fetch_sub(bytes) - bytes <= half_budget()) queued->room.try_send({});
    }
}

// wait_for_room: parks while the client's own backlog is over half of -buffer-bytes. A client
// that talks faster than it reads (its own lines come back to it) is so slowed down to the pace
// at which it reads, rather than missing its own lines; it holds up nobody else.
void wait_for_room(const backlog& queued) {
    if (opt.buffer == 0) return;  // the book's blocking sends: no budget
    while (queued.bytes.load() > half_budget()) queued.room.recv();
}

void handle_conn(net::conn conn) {
    gocsp::chan<message> ch(static_cast<std::size_t>(opt.buffer));  // outgoing client messages
    const queued_bytes queued = std::make_shared<backlog>();
    gocsp::go(client_writer, conn, ch, queued);

    // The client's next line; none when it left, sent a line longer than 64 KiB (the scanner's
    // error, as Go's bufio.Scanner) or, exercise 8.13, was silent for -idle (the read times out).
    io::scanner input(conn);
    auto next_line = [&]() -> std::optional<std::string> {
        if (opt.idle > 0s) conn.set_read_deadline(std::chrono::system_clock::now() + opt.idle);
        if (!input.scan()) return std::nullopt;  // NOTE: ignoring input.err(), as the book does
        return input.text();
    };

    client self{ch, conn.remote_addr(), queued};
    if (opt.names) {  // exercise 8.14
        tell(self, "What is your name?");
        auto name = next_line();
        if (!name) {
            ch.close();  // the broadcaster never knew this client
            conn.close();
            return;
        }
        if (!name->empty()) self.name = *name;
    }
    const std::string& who = self.name;
    tell(self, "You are " + who);
    messages << make_message(who + " has arrived");
    entering << self;

    while (auto line = next_line()) {
        messages << make_message(who + ": " + *line);
        wait_for_room(*queued);
    }

    leaving << self;
    messages << make_message(who + " has left");
    conn.close();
}

}  // namespace

int main(int argc, char** argv) {
    flag::parse(argc, argv);
    if (opt.buffer < 0 || opt.buffer > max_buffer)
        flag::invalid_value("buffer", "not between 0 and " + std::to_string(max_buffer) + " messages");
    if (opt.buffer_bytes < 1 || opt.buffer_bytes > max_buffer_bytes)
        flag::invalid_value("buffer-bytes", "not between 1 and " + std::to_string(max_buffer_bytes) + " bytes");
    if (!flag::args().empty()) {
        flag::print_usage();
        return 2;
    }
    const net::listener listener = must([] { return net::listen("tcp", opt.addr); });

    gocsp::go([] { broadcaster(); });  // not go(broadcaster): C++ would read that as a declaration
    for (;;) {
        const net::conn conn = accept_retrying(listener);  // on an error: logs it, waits, tries again
        gocsp::go(handle_conn, conn);
    }
}
