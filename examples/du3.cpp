// du3 - gopl.io/ch8/du3 of "The Go Programming Language" (section 8.8): du2 walking every
// directory in a goroutine of its own.
//
// The lesson: unbounded parallelism, bounded where it costs. walk_dir starts a goroutine for
// each subdirectory, and a wait_group counts the walkers still running: a closer goroutine
// waits for it to reach zero and then closes file_sizes. Goroutines are cheap, but open files
// are not: a counting semaphore - a channel with a buffer of 20, a token sent to acquire and
// received to release - keeps at most 20 directories open at once. The book's dirents reads a
// whole directory while holding a token; this one reads it in batches of up to 1,024 entries
// (du::dirents in du.hpp: bounded memory in a directory of millions) and gives the token back
// when the directory is closed: after its first batch for most directories, after its last for
// a big one. The reads run on helper threads (gocsp::blocking), so they overlap without stalling
// the workers.
//
//     $ du3 -v $HOME /usr /bin /etc
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdint>

#include "du.hpp"
#include "flags.hpp"

bool& verbose = flag::boolean("v", false, "show verbose progress messages");

// sema is a counting semaphore for limiting concurrency in dirents.
const gocsp::chan<du::token> sema(20);

// dirents calls each with the entries of directory dir, a batch at a time.
template <class F>
void dirents(const std::string& dir, F&& each) {
    sema << du::token{};  // acquire token
    du::dirents(dir, "du", each, [] { sema.recv(); });  // release token once dir is closed
}

// walk_dir recursively walks the file tree rooted at dir and sends the size of each found file
// on file_sizes.
void walk_dir(const std::string& dir, gocsp::wait_group* n, gocsp::send_chan<std::int64_t> file_sizes) {
    dirents(dir, [&](const std::vector<du::file_info>& entries) {
        for (const du::file_info& entry : entries) {
            if (entry.is_dir) {
                n->add(1);
                gocsp::go(walk_dir, du::join(dir, entry.name), n, file_sizes);
            } else {
                file_sizes << entry.size;
            }
        }
        return true;
    });
    n->done();
}

int main(int argc, char** argv) {
    // Determine the initial directories.
    flag::parse(argc, argv);

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

    // Print the results periodically.
    gocsp::recv_chan<gocsp::time::time_point> tick;  // nil: never ready
    if (verbose) tick = gocsp::time::tick(std::chrono::milliseconds(500));
    du::totals(file_sizes, tick);
}
