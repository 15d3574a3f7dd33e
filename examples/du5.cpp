// du5 - exercise 8.9 of "The Go Programming Language": du3 that keeps a separate total for each
// root directory and, with -v, prints every root's totals periodically.
//
// The lesson: a value that says where it comes from. The walkers of du3 send each file's size
// on one channel; here each size travels with the index of the root whose walk found it, so
// the one goroutine that adds them up (main) keeps a total per root - still without a lock,
// since nobody else touches the totals. Everything else is du3: a goroutine per directory, a
// counting semaphore of 20 tokens on open directories, a wait_group that closes the channel
// after the last walker.
//
//     $ du5 -v $HOME /usr
//     /root: 1203 files  0.2 GB
//     /usr: 28608 files  1.3 GB
//     ...
//     /root: 2841 files  0.4 GB
//     /usr: 166004 files  6.3 GB
//
// Each report is one line per root, in the order given, every 500 ms with -v, and once at the
// end. A root given twice is walked and counted twice, each under its own line. Errors are
// reported as du3 reports them ("du: open /x: permission denied").
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "du.hpp"
#include "flags.hpp"

bool& verbose = flag::boolean("v", false, "show verbose progress messages");

// file_size: the size of a file found in the walk of root number `root`.
struct file_size {
    std::size_t root = 0;
    std::int64_t size = 0;
};

// sema is a counting semaphore for limiting concurrency in dirents.
const gocsp::chan<du::token> sema(20);

// dirents calls each with the entries of directory dir, a batch at a time.
template <class F>
void dirents(const std::string& dir, F&& each) {
    sema << du::token{};  // acquire token
    du::dirents(dir, "du", each, [] { sema.recv(); });  // release token once dir is closed
}

// walk_dir recursively walks the file tree rooted at dir, part of root number `root`, and sends
// the size of each found file on file_sizes.
void walk_dir(const std::string& dir, std::size_t root, gocsp::wait_group* n,
              gocsp::send_chan<file_size> file_sizes) {
    dirents(dir, [&](const std::vector<du::file_info>& entries) {
        for (const du::file_info& entry : entries) {
            if (entry.is_dir) {
                n->add(1);
                gocsp::go(walk_dir, du::join(dir, entry.name), root, n, file_sizes);
            } else {
                file_sizes << file_size{root, entry.size};
            }
        }
        return true;
    });
    n->done();
}

// print_disk_usage: a line per root, "<root>: <n> files  <x.x> GB", written at once.
void print_disk_usage(const std::vector<std::string>& roots, const std::vector<std::int64_t>& nfiles,
                      const std::vector<std::int64_t>& nbytes) {
    std::string report;
    for (std::size_t i = 0; i < roots.size(); ++i) {
        char line[128];
        std::snprintf(line, sizeof line, ": %lld files  %.1f GB\n", static_cast<long long>(nfiles[i]),
                      static_cast<double>(nbytes[i]) / 1e9);
        report += roots[i] + line;
    }
    std::fputs(report.c_str(), stdout);
    std::fflush(stdout);
}

int main(int argc, char** argv) {
    // Determine the initial directories.
    flag::parse(argc, argv);
    const std::vector<std::string> roots = du::roots();

    // Traverse each root of the file tree in parallel.
    gocsp::chan<file_size> file_sizes(0);
    gocsp::wait_group n;
    for (std::size_t i = 0; i < roots.size(); ++i) {
        n.add(1);
        gocsp::go(walk_dir, roots[i], i, &n, file_sizes);
    }
    gocsp::go([&n, file_sizes] {
        n.wait();
        file_sizes.close();
    });

    // Print the results periodically.
    gocsp::recv_chan<gocsp::time::time_point> tick;  // nil: never ready
    if (verbose) tick = gocsp::time::tick(std::chrono::milliseconds(500));
    std::vector<std::int64_t> nfiles(roots.size()), nbytes(roots.size());
    for (;;) {
        file_size f;
        bool ok = false;
        switch (gocsp::select(gocsp::recv_case(file_sizes, f, ok), gocsp::recv_case(tick))) {
            case 0:
                if (!ok) {  // file_sizes was closed
                    print_disk_usage(roots, nfiles, nbytes);  // final totals
                    return 0;
                }
                ++nfiles[f.root];
                nbytes[f.root] += f.size;
                break;
            case 1: print_disk_usage(roots, nfiles, nbytes); break;
        }
    }
}
