// Reads stdin line by line in a goroutine and echoes each line to stdout as "echo: <line>",
// then "eof" - through gocsp::io, so a pipe or terminal parks the goroutine on the poller and
// a regular file goes through the blocking pool. Meanwhile another goroutine keeps counting
// (it would stall if the reader blocked the only worker); the count is printed at the end.
// main waits for the counting goroutine to stop before it returns: that goroutine uses main's
// locals, which die with main (in C++, unlike Go, nothing keeps them alive for a goroutine).
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <cstdio>
#include <string>

int main() {
    namespace io = gocsp::io;
    std::atomic<bool> finished{false};
    std::atomic<long> ticks{0};
    gocsp::chan<int> done(0), stopped(0);
    gocsp::go([&finished, &ticks, stopped] {
        while (!finished.load()) {
            gocsp::sleep_for(std::chrono::milliseconds(1));
            ++ticks;
        }
        stopped.close();  // its own copy of the handle: main may return the moment this wakes it
    });
    gocsp::go([&] {
        io::scanner input(io::stdin_reader());
        auto out = io::stdout_writer();
        while (input.scan()) io::fprintf(out, "echo: %s\n", input.text().c_str());
        if (input.err()) io::write_string(out, "error\n");
        io::write_string(out, "eof\n");
        done.close();
    });
    done.recv();
    finished = true;
    stopped.recv();
    std::fprintf(stderr, "ticks=%ld\n", ticks.load());
    return 0;
}
