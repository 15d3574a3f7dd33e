// du4 - gopl.io/ch8/du4 of "The Go Programming Language" (section 8.9): du3 that stops as soon
// as anything arrives on its standard input (hit return).
//
// The lesson: cancellation by broadcast. A receive from a closed channel never blocks, so
// closing `done` tells every goroutine at once, however many there are. A goroutine reads one
// byte from stdin (or its end) and closes done. Each walker polls it on entry (cancelled()),
// before each entry it handles and before each batch of up to 1,024 entries it reads
// (du::dirents in du.hpp; the book reads a whole directory at once and polls only per
// directory, which in a directory of a million entries kept going for seconds after the
// cancellation), a walker waiting for a semaphore token selects on it too, and main's
// loop (du::totals in du.hpp), on seeing done closed, drains file_sizes so that every walker
// blocked in a send can finish, then returns without printing totals. Uncancelled, du4 prints
// the progress every 500 ms, then the totals.
//
// -leakcheck: before exiting, check that no goroutine started by the walk is left and no
// timer is pending (gocsp::testing::leak_check); if any is, print them on stderr and exit with
// status 1. The book's program uses time.Tick, whose ticker can never be stopped; this one uses
// a ticker it stops, so that the check holds. The goroutine reading stdin predates the check:
// it stays blocked when the walk ends uncancelled, as it does in Go.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>

#include "du.hpp"
#include "flags.hpp"

bool& leakcheck = flag::boolean("leakcheck", false, "check at exit that no goroutine or timer was left behind");

const gocsp::chan<du::token> done(0);

bool cancelled() {
    switch (gocsp::select(gocsp::recv_case(done), gocsp::default_case)) {
        case 0: return true;
        default: return false;
    }
}

const gocsp::chan<du::token> sema(20);  // concurrency-limiting counting semaphore

// dirents calls each with the entries of directory dir, a batch at a time, until each returns
// false.
template <class F>
void dirents(const std::string& dir, F&& each) {
    switch (gocsp::select(gocsp::send_case(sema, du::token{}), gocsp::recv_case(done))) {
        case 0: break;  // acquire token
        case 1: return;  // cancelled
    }
    du::dirents(dir, "du", each, [] { sema.recv(); });  // release token once dir is closed
}

// walk_dir recursively walks the file tree rooted at dir and sends the size of each found file
// on file_sizes.
void walk_dir(const std::string& dir, gocsp::wait_group* n, gocsp::send_chan<std::int64_t> file_sizes) {
    if (!cancelled()) {
        dirents(dir, [&](const std::vector<du::file_info>& entries) {
            for (const du::file_info& entry : entries) {
                if (cancelled()) return false;  // stop wherever the walk is
                if (entry.is_dir) {
                    n->add(1);
                    gocsp::go(walk_dir, du::join(dir, entry.name), n, file_sizes);
                } else {
                    file_sizes << entry.size;
                }
            }
            return !cancelled();  // read no further batch
        });
    }
    n->done();
}

int main(int argc, char** argv) {
    // Determine the initial directories.
    flag::parse(argc, argv);

    // Cancel traversal when input is detected.
    gocsp::go([] {
        char byte;
        try {
            gocsp::io::stdin_reader().read({&byte, 1});  // read a single byte
        } catch (const std::system_error&) {  // Go ignores the error too
        }
        done.close();
    });
    std::optional<gocsp::testing::leak_check> leaks;
    if (leakcheck) leaks.emplace();

    // Traverse each root of the file tree in parallel.
    gocsp::chan<std::int64_t> file_sizes(0);
    gocsp::wait_group n;
    for (const std::string& root : du::roots()) {
        n.add(1);
        gocsp::go(walk_dir, root, &n, file_sizes);
    }
    gocsp::go([&n, file_sizes] {
        n.wait();
        file_sizes.close();
    });

    // Print the results periodically; on cancellation, drain file_sizes and print nothing.
    gocsp::time::ticker tick(std::chrono::milliseconds(500));
    du::totals(file_sizes, tick.c, done);
    tick.stop();

    if (leaks) {
        if (std::string report = leaks->report(); !report.empty()) {
            std::fprintf(stderr, "du4: %s", report.c_str());
            return 1;
        }
        std::fprintf(stderr, "du4: leak check: no goroutine or timer left behind\n");
    }
}
