// fetchfirst: Exercise 8.11 of The Go Programming Language on gocsp - fetch (gopl.io/ch1/fetch)
// that requests every URL at once, prints the first answer, and cancels the other requests
// (the book's mirroredQuery of section 8.4.4, with cancellation).
//
//     fetchfirst URL...
//
// The first response to arrive - whatever its status - is written to stdout (its body if it is
// HTML: the request is links.hpp's, which reads no other body), its URL and status to stderr ("fetchfirst: http://b/ answered first: 200 OK"). The other requests are cancelled
// through their shared context the moment that happens: their transfers are aborted and their
// connections closed (crawl/cancelable.hpp), so the program ends without waiting for them. A
// request that fails is logged; if every one fails, the program exits with status 1.
//
// The lessons: a buffered channel with room for every answer, so that no goroutine is left
// blocked on it (mirroredQuery's leak-free form); and one cancel for all the losers.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "crawl/cancelable.hpp"
#include "flags.hpp"

/// answer: one request's outcome, as a goroutine sends it to main.
struct answer {
    std::string url;
    links::detail::response response;
    std::string error;  // empty if the response came
};

int main(int argc, char* argv[]) {
    flag::parse(argc, argv);
    const std::vector<std::string>& urls = flag::args();
    if (urls.empty()) log_fatal("usage: fetchfirst URL...");

    auto [ctx, cancel] = gocsp::with_cancel(gocsp::background());
    gocsp::chan<answer> answers(urls.size());  // room for all: nobody blocks on a late answer
    for (const std::string& url : urls) {
        gocsp::go([ctx = ctx, answers, url] {
            answer a{url, {}, {}};
            try {
                a.response = cancelable::get(ctx, url);
            } catch (const std::exception& e) {
                a.error = e.what();
            }
            answers << std::move(a);
        });
    }

    int status = 1;
    for (std::size_t i = 0; i < urls.size(); ++i) {
        answer a = answers.recv();
        if (!a.error.empty()) {
            if (!ctx.err()) log_print(a.error);  // a loser's cancellation is no news
            continue;
        }
        if (ctx.err()) continue;  // a later answer: too late
        cancel();  // the others are no longer wanted
        gocsp::io::write_string(gocsp::io::stdout_writer(), a.response.body);
        std::fprintf(stderr, "fetchfirst: %s answered first: %s\n", a.url.c_str(), a.response.status_line.c_str());
        status = 0;
    }
    cancel();
    return status;
}
