// crawl3: gopl.io/ch8/crawl3 on gocsp - the crawler of crawl1 with a fixed pool of 20 crawler
// goroutines instead of a goroutine per link; with Exercise 8.6's -depth.
//
//     crawl3 [-depth N] URL...
//
// The lesson: bounded parallelism by a fixed number of long-lived workers. The main loop
// de-duplicates the links and hands each new one to the crawlers over the unbuffered channel
// unseen_links; a crawler sends the links it finds back to main from a new goroutine, so that a
// crawler and main never wait on each other (main may be blocked sending to unseen_links while
// every crawler has links to send). Like Go's, the program does not end: when the crawl is done
// main waits on the worklist for ever, the crawlers on unseen_links, and the runtime reports
// the deadlock. -depth N (Exercise 8.6) visits only the URLs at most N links away from the
// arguments (see seen_links in crawl/seen_links.hpp).
#include <string>
#include <utility>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "crawl/crawl.hpp"  // crawl(url): print, extract, log errors
#include "crawl/seen_links.hpp"
#include "flags.hpp"

int& depth = flag::integer("depth", -1, "crawl only URLs at most `n` links away from the arguments (negative: no limit)");

int main(int argc, char* argv[]) {
    flag::parse(argc, argv);

    gocsp::chan<found> worklist(0);           // lists of URLs, may have duplicates
    gocsp::chan<std::string> unseen_links(0);  // de-duplicated URLs

    // Add command-line arguments to worklist.
    gocsp::go([worklist] { worklist << found{"", flag::args()}; });

    // Create 20 crawler goroutines to fetch each unseen link.
    for (int i = 0; i < 20; i++) {
        gocsp::go([worklist, unseen_links] {
            for (const std::string& link : unseen_links) {
                found found_links{link, crawl(link)};
                gocsp::go([worklist, found_links = std::move(found_links)]() mutable {
                    worklist << std::move(found_links);
                });
            }
        });
    }

    // The main goroutine de-duplicates worklist items and sends the unseen ones to the crawlers.
    seen_links seen(depth);
    for (const found& list : worklist) {
        for (const std::string& link : seen.add(list)) unseen_links << link;
    }
}
