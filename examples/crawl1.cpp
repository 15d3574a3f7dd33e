// crawl1: gopl.io/ch8/crawl1 on gocsp - a web crawler that crawls every link it finds, each in
// a goroutine of its own.
//
//     crawl1 https://golang.org
//
// The lesson: concurrency with no limit. The main loop keeps the seen set (only it touches the
// set, so no lock) and starts a goroutine per new link; each goroutine sends the links of its
// page back on the worklist. Nothing bounds the number of requests in flight: on a big site Go's
// version runs out of file descriptors ("too many open files"), and so does this one: each fetch
// waits on gocsp's poller, holding its connection, and while it runs an epoll instance and the
// socket pair of a libcurl multi handle (examples/links/links.hpp). Nor does the
// program end: when the site is exhausted the main loop waits on the worklist for ever - and,
// with nothing left that could send, the runtime reports a deadlock, as Go's does.
//
// Like Go's crawl1 it defines no flags and takes every argument as a URL, except that -h and
// -help print the usage, as in every example. A link's fragment is dropped before the seen set
// ("/a/b.html#top" is the page /a/b.html: see crawl/seen_links.hpp).
#include <string>
#include <unordered_map>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "crawl/crawl.hpp"       // crawl(url): print, extract, log errors
#include "crawl/seen_links.hpp"  // without_fragment(url)
#include "flags.hpp"

int main(int argc, char* argv[]) {
    flag::parse_help(argc, argv);
    gocsp::chan<std::vector<std::string>> worklist(0);

    // Start with the command-line arguments.
    std::vector<std::string> args(argv + 1, argv + argc);
    gocsp::go([worklist, args] { worklist << args; });

    // Crawl the web concurrently.
    std::unordered_map<std::string, bool> seen;
    for (const std::vector<std::string>& list : worklist) {
        for (const std::string& found_link : list) {
            const std::string link = without_fragment(found_link);
            if (!seen[link]) {
                seen[link] = true;
                gocsp::go([worklist, link] { worklist << crawl(link); });
            }
        }
    }
}
