// crawl4: Exercise 8.10 of The Go Programming Language on gocsp - crawl2 that stops at once,
// cancelling the requests in flight, when anything comes on its standard input (a line typed at
// a terminal, or a key pressed in raw mode) or when it closes.
//
//     crawl4 [-depth N] URL...
//
// The lessons:
//   - cancellation as a broadcast: one context, and its done() channel closed once for every
//     goroutine that selects on it (the book's `done` channel, wrapped in Go's context);
//   - cancelling what is in flight: each request is made with the context
//     (crawl/cancelable.hpp), and is aborted - its connection closed - the moment the context
//     ends, not waited out;
//   - ending cleanly: once cancelled, no new crawl starts, the goroutines waiting for a token
//     give up, those in a request return at once, and main's count of pending sends drops to
//     zero as in crawl2: the program ends with no goroutine left behind. It then logs
//     "crawl canceled" on stderr.
#include <exception>
#include <string>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "crawl/cancelable.hpp"
#include "crawl/seen_links.hpp"
#include "flags.hpp"

int& depth = flag::integer("depth", -1, "crawl only URLs at most `n` links away from the arguments (negative: no limit)");

// tokens is a counting semaphore enforcing a limit of 20 concurrent requests.
gocsp::chan<gocsp::empty> tokens(20);

// crawl prints url and returns the links on its page - none once ctx has ended: neither the
// wait for a token nor the request outlasts the cancellation.
std::vector<std::string> crawl(const gocsp::context& ctx, const std::string& url) {
    gocsp::io::fprintf(gocsp::io::stdout_writer(), "%s\n", url.c_str());
    if (gocsp::select(gocsp::send_case(tokens, gocsp::empty{}), gocsp::recv_case(ctx.done())) == 1)
        return {};  // cancelled while waiting for a token
    std::vector<std::string> list;
    std::string err;
    try {
        list = cancelable::extract(ctx, url);
    } catch (const gocsp::context_error&) {
        // cancelled: not an error of this page
    } catch (const std::exception& e) {
        err = e.what();
    }
    tokens.recv();
    if (!err.empty()) log_print(err);
    return list;
}

int main(int argc, char* argv[]) {
    flag::parse(argc, argv);
    auto [ctx, cancel] = gocsp::with_cancel(gocsp::background());

    // Cancel the crawl as soon as stdin has something to say: a byte, its end, or an error.
    gocsp::go([cancel = cancel] {
        char b[1];
        try {
            (void)gocsp::io::stdin_reader().read(b);
        } catch (const std::exception&) {
        }
        cancel();
    });

    gocsp::chan<found> worklist(0);
    int n = 1;  // number of pending sends to worklist
    gocsp::go([worklist] { worklist << found{"", flag::args()}; });

    seen_links seen(depth);
    for (; n > 0; n--) {
        found list = worklist.recv();
        if (ctx.err()) continue;  // cancelled: only count down what is still coming
        for (const std::string& link : seen.add(list)) {
            n++;
            gocsp::go([ctx = ctx, worklist, link] { worklist << found{link, crawl(ctx, link)}; });
        }
    }
    if (ctx.err()) log_print("crawl canceled");
    cancel();
}
