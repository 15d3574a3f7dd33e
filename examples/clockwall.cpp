// clockwall - exercise 8.1 of "The Go Programming Language": a client of several clock servers
// at once (clock2, each started with its own TZ and -port), showing their times side by side,
// like the wall of clocks in an office that trades around the world.
//
// The lesson: one goroutine per server, each reading its connection line by line and sending
// what it reads on one channel, tagged with the clock it came from; main alone owns the table
// and redraws it on each reading. No clock waits for another: a server that is slow, or gone,
// holds up only its own column.
//
//     $ TZ=US/Eastern clock2 -port 8010 &
//     $ TZ=Asia/Tokyo clock2 -port 8020 &
//     $ TZ=Europe/London clock2 -port 8030 &
//     $ clockwall NewYork=localhost:8010 Tokyo=localhost:8020 London=localhost:8030
//     NewYork   Tokyo     London
//     09:41:07  22:41:07  14:41:07
//
// The header is printed once; the row of times below it is rewritten in place ("\r") after
// every reading. A server that closes its connection shows "closed" in its column from then on;
// when every server has closed, clockwall ends the row and exits with status 0. A server it
// cannot reach stops it at the start, as Go's log.Fatal would: "dial tcp 127.0.0.1:8010:
// connect: connection refused", status 1. An argument that is not name=host:port is a usage
// error (status 2). A line longer than 64 bytes ends that clock's column: a clock says 8.
#include "flags.hpp"

#include <gocsp/gocsp.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace io = gocsp::io;
namespace net = gocsp::net;

namespace {

// wall_clock: one column of the wall.
struct wall_clock {
    std::string name;
    std::string address;
};

// reading: what the watcher of clock `index` read: a line, or nothing once the server is gone.
struct reading {
    std::size_t index = 0;
    std::optional<std::string> time;
};

constexpr std::size_t max_line = 64;

// watch: sends every line the server sends on readings, then an empty reading when it is gone.
void watch(net::conn conn, std::size_t index, gocsp::send_chan<reading> readings) {
    io::scanner input(conn, max_line + 1);  // the newline too
    while (input.scan()) readings << reading{index, input.text()};
    // NOTE: an error (the connection reset, a line too long) ends the column as the end does
    conn.close();
    readings << reading{index, std::nullopt};
}

// parse_clocks: name=host:port for each argument; exits with status 2 on one that is not.
std::vector<wall_clock> parse_clocks(const std::vector<std::string>& args) {
    std::vector<wall_clock> clocks;
    for (const std::string& arg : args) {
        const std::size_t eq = arg.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
            std::fprintf(stderr, "clockwall: bad argument %s: want name=host:port\n", flag::detail::quote(arg).c_str());
            flag::print_usage();
            std::exit(2);
        }
        clocks.push_back({arg.substr(0, eq), arg.substr(eq + 1)});
    }
    if (clocks.empty()) {
        std::fprintf(stderr, "clockwall: no clocks: give name=host:port for each\n");
        flag::print_usage();
        std::exit(2);
    }
    return clocks;
}

// row: the texts, each padded to its column's width, two spaces apart.
std::string row(const std::vector<std::string>& texts, const std::vector<std::size_t>& width) {
    std::string line;
    for (std::size_t i = 0; i < texts.size(); ++i)
        line += (i ? "  " : "") + texts[i] + std::string(width[i] - std::min(width[i], texts[i].size()), ' ');
    return line;
}

}  // namespace

int main(int argc, char** argv) {
    flag::parse(argc, argv);
    const std::vector<wall_clock> clocks = parse_clocks(flag::args());

    gocsp::chan<reading> readings(0);
    for (std::size_t i = 0; i < clocks.size(); ++i) {
        const net::conn conn = must([&] { return net::dial("tcp", clocks[i].address); });
        gocsp::go(watch, conn, i, readings);
    }

    std::vector<std::size_t> width;
    std::vector<std::string> names;
    for (const wall_clock& c : clocks) {
        width.push_back(std::max<std::size_t>(c.name.size(), 8));  // "15:04:05"
        names.push_back(c.name);
    }
    std::string header = row(names, width);
    header.erase(header.find_last_not_of(' ') + 1);
    std::fputs((header + "\n").c_str(), stdout);
    std::vector<std::string> times(clocks.size());
    std::fflush(stdout);
    for (std::size_t open = clocks.size(); open > 0;) {
        const reading r = readings.recv();
        if (r.time) {
            times[r.index] = r.time->substr(0, width[r.index]);  // a row that always fits
        } else {
            times[r.index] = "closed";
            --open;
        }
        std::fputs("\r", stdout);
        std::fputs(row(times, width).c_str(), stdout);
        std::fflush(stdout);
    }
    std::fputs("\n", stdout);
}
