// crawl2: gopl.io/ch8/crawl2 on gocsp - the crawler of crawl1 with its concurrency limited by a
// counting semaphore, and a loop that ends when the crawl is done; with Exercise 8.6's -depth.
//
//     crawl2 [-depth N] [-concurrency N] URL...
//
// The lessons:
//   - a buffered channel of empty values is a counting semaphore: a goroutine sends a token
//     before its request and receives one after, so at most cap(tokens) requests (20) are in
//     flight however many goroutines wait to make one;
//   - termination: n counts the sends to the worklist still to come; when it drops to zero no
//     goroutine is left that could find a link, and main returns.
// -depth N (Exercise 8.6) visits only the URLs at most N links away from the arguments (see
// seen_links in crawl/seen_links.hpp); -concurrency sets the number of tokens, to compare a crawl
// with one request at a time.
#include <exception>
#include <string>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "crawl/seen_links.hpp"
#include "flags.hpp"
#include "links/links.hpp"

int& depth = flag::integer("depth", -1, "crawl only URLs at most `n` links away from the arguments (negative: no limit)");
int& concurrency = flag::integer("concurrency", 20, "make at most `n` requests at once (the semaphore's tokens)");

// tokens is a counting semaphore used to enforce a limit of `concurrency` (20) concurrent
// requests; token is Go's struct{}, an empty type that takes no room in the buffer.
struct token {};
gocsp::chan<token> tokens;

// crawl prints url, fetches it holding a token, and returns the links on the page.
std::vector<std::string> crawl(const std::string& url) {
    gocsp::io::fprintf(gocsp::io::stdout_writer(), "%s\n", url.c_str());
    tokens << token{};  // acquire a token
    std::vector<std::string> list;
    std::string err;
    try {
        list = links::extract(url);
    } catch (const std::exception& e) {
        err = e.what();
    }
    tokens.recv();  // release the token
    if (!err.empty()) log_print(err);
    return list;
}

int main(int argc, char* argv[]) {
    flag::parse(argc, argv);
    if (concurrency < 1) log_fatal("-concurrency must be at least 1");
    tokens = gocsp::chan<token>(static_cast<std::size_t>(concurrency));

    gocsp::chan<found> worklist(0);
    int n = 0;  // number of pending sends to worklist

    // Start with the command-line arguments.
    n++;
    gocsp::go([worklist] { worklist << found{"", flag::args()}; });

    // Crawl the web concurrently.
    seen_links seen(depth);
    for (; n > 0; n--) {
        found list = worklist.recv();
        for (const std::string& link : seen.add(list)) {
            n++;
            gocsp::go([worklist, link] { worklist << found{link, crawl(link)}; });
        }
    }
}
