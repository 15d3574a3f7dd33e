// du1 - gopl.io/ch8/du1 of "The Go Programming Language" (section 8.8): the disk usage of the
// files under the given directories (default "."), as "<n> files  <x.x> GB".
//
// The lesson: two goroutines connected by a channel. A walker goroutine traverses the trees and
// sends the size of every file it finds on file_sizes, then closes it; main receives, adds up,
// and prints the totals once the channel is closed. The walk (du::walk_dir in du.hpp) is the
// book's recursive walkDir turned into a loop over an explicit stack of directories, opened
// relative to their parents: a goroutine's stack cannot grow, a tree's depth can (see du.hpp).
// It reads the directories on a helper thread through gocsp::blocking, a batch of up to 1,024
// entries at a time, so a slow disk stalls no worker.
//
//     $ du1 $HOME /usr /bin /etc
//     213201 files  62.7 GB
#include <gocsp/gocsp.hpp>

#include <cstdint>

#include "du.hpp"
#include "flags.hpp"

int main(int argc, char** argv) {
    // Determine the initial directories.
    flag::parse(argc, argv);
    const std::vector<std::string> roots = du::roots();

    // Traverse the file tree.
    gocsp::chan<std::int64_t> file_sizes(0);
    gocsp::go([roots, file_sizes] {
        for (const std::string& root : roots) du::walk_dir(root, file_sizes, "du1");
        file_sizes.close();
    });

    // Print the results.
    std::int64_t nfiles = 0, nbytes = 0;
    for (std::int64_t size : file_sizes) {
        ++nfiles;
        nbytes += size;
    }
    du::print_disk_usage(nfiles, nbytes);
}
