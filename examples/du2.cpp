// du2 - gopl.io/ch8/du2 of "The Go Programming Language" (section 8.8): du1 with progress.
//
// The lesson: select over a data channel and a ticker. With -v, main receives either a file
// size or a tick (time::tick, every 500 ms) and prints the totals so far on each tick; without
// -v the tick channel stays nil, and a select case on a nil channel is never chosen, so the
// same loop prints only the final totals (du::totals in du.hpp, which du3 and du4 share).
//
//     $ du2 -v $HOME /usr /bin /etc
//     28608 files  8.3 GB
//     54147 files  10.3 GB
//     ...
//     213201 files  62.7 GB
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdint>

#include "du.hpp"
#include "flags.hpp"

bool& verbose = flag::boolean("v", false, "show verbose progress messages");

int main(int argc, char** argv) {
    // Determine the initial directories.
    flag::parse(argc, argv);
    const std::vector<std::string> roots = du::roots();

    // Traverse the file tree.
    gocsp::chan<std::int64_t> file_sizes(0);
    gocsp::go([roots, file_sizes] {
        for (const std::string& root : roots) du::walk_dir(root, file_sizes, "du");
        file_sizes.close();
    });

    // Print the results periodically.
    gocsp::recv_chan<gocsp::time::time_point> tick;  // nil: never ready
    if (verbose) tick = gocsp::time::tick(std::chrono::milliseconds(500));
    du::totals(file_sizes, tick);
}
