// crawl/cancelable.hpp - links::extract and an HTTP GET that stop when a context ends, for
// crawl4 (Exercise 8.10) and fetchfirst (Exercise 8.11): Go's http.NewRequestWithContext.
//
//     auto [ctx, cancel] = gocsp::with_cancel(gocsp::background());
//     std::vector<std::string> list = cancelable::extract(ctx, url);   // throws if ctx ends
//
// A request in flight when its context ends is aborted, not waited out: links.hpp's request
// waits for the network on gocsp's poller (io::raw_fd) with the context, so the context's end
// wakes the waiting goroutine at once; the transfer is then abandoned and its connection closed,
// so the server sees the client go. The request itself is links.hpp's: the same checks of the
// URL, the same judgement of the response from its headers, the same connection cache.
#pragma once

#include <string>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "../links/links.hpp"

namespace cancelable {

/// get: links.hpp's request, that stops when ctx ends: throws ctx.err() (a gocsp::context_error,
/// "context canceled" or "context deadline exceeded") then, and links.hpp's errors otherwise.
/// Call it from a goroutine (it parks) or a plain thread (it blocks).
inline links::detail::response get(const gocsp::context& ctx, const std::string& url) {
    return links::detail::get(url, false, &ctx);
}

/// extract: links::extract(url), that stops when ctx ends (as get).
inline std::vector<std::string> extract(const gocsp::context& ctx, const std::string& url) {
    return links::detail::links_of(get(ctx, url), url);
}

}  // namespace cancelable
