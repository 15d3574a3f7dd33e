// crawl/cancelable.hpp - links::extract and an HTTP GET that stop when a context ends, for
// crawl4 (Exercise 8.10) and fetchfirst (Exercise 8.11): Go's http.NewRequestWithContext.
//
//     auto [ctx, cancel] = gocsp::with_cancel(gocsp::background());
//     std::vector<std::string> list = cancelable::extract(ctx, url);   // throws if ctx ends
//
// A request in flight when its context ends is aborted, not waited out: the transfer runs on a
// libcurl multi handle that polls its sockets; a watcher goroutine wakes that poll
// (curl_multi_wakeup) as soon as ctx.done() is closed, and the transfer's progress callback
// (CURLOPT_XFERINFOFUNCTION) then sees the context ended and aborts it - its connection is
// closed, so the server sees the client go. The caller does not wait even for that: it leaves
// at once through gocsp::blocking(ctx, f). The request itself is links.hpp's: the same checks
// of the URL, the same judgement of the response from its headers, the same connection cache.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <curl/curl.h>
#include <gumbo.h>

#include <gocsp/gocsp.hpp>

#include "../links/links.hpp"

namespace cancelable {

/// get: links.hpp's request, that stops when ctx ends: throws ctx.err() (a gocsp::context_error,
/// "context canceled" or "context deadline exceeded") then, and links.hpp's errors otherwise.
/// Call it from a goroutine (it parks) or a plain thread (it blocks).
links::detail::response get(const gocsp::context& ctx, const std::string& url);

/// extract: links::extract(url), that stops when ctx ends (as get).
std::vector<std::string> extract(const gocsp::context& ctx, const std::string& url);

// =============================================================================================
// Implementation
// =============================================================================================

namespace detail {

/// request: one transfer's state, on the helper thread that runs it.
struct request {
    links::detail::transfer t;
    gocsp::context ctx;
};

// The progress callback: libcurl calls it while the transfer runs (and each time the poll
// is woken); a non-zero return aborts the transfer with CURLE_ABORTED_BY_CALLBACK.
inline int on_progress(void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<request*>(p)->ctx.err() ? 1 : 0;
}

/// perform: runs the request for url on the calling (helper) thread, until it ends or ctx does.
inline links::detail::response perform(const gocsp::context& ctx, const std::string& url) {
    static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (init != CURLE_OK) throw std::runtime_error("Get \"" + url + "\": " + curl_easy_strerror(init));
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
    std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), &curl_multi_cleanup);
    if (!handle || !multi) throw std::runtime_error("Get \"" + url + "\": cannot create a curl handle");
    CURL* h = handle.get();
    request req{{}, ctx};
    req.t.handle = h;
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &links::detail::on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &req.t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &links::detail::on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &req.t);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &req);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_multi_add_handle(multi.get(), h);

    // The watcher: wakes the poll below when ctx ends. It may touch the multi handle only
    // until `finished` is closed; the transfer waits for it to be gone before freeing it.
    gocsp::chan<gocsp::empty> finished(0), watcher_gone(0);
    gocsp::go([ctx, m = multi.get(), finished, watcher_gone] {
        if (gocsp::select(gocsp::recv_case(ctx.done()), gocsp::recv_case(finished)) == 0) curl_multi_wakeup(m);
        watcher_gone.close();
    });
    CURLcode rc = CURLE_OK;
    for (int running = 1; running;) {
        curl_multi_perform(multi.get(), &running);
        if (running) curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
        if (running && ctx.err()) {
            curl_multi_perform(multi.get(), &running);  // the progress callback aborts it
            if (running) rc = CURLE_ABORTED_BY_CALLBACK;  // or removing the handle below does
            break;
        }
    }
    for (int left = 0; CURLMsg* msg = curl_multi_info_read(multi.get(), &left);)
        if (msg->msg == CURLMSG_DONE) rc = msg->data.result;
    finished.close();
    watcher_gone.recv_ok();
    curl_multi_remove_handle(multi.get(), h);

    if (rc == CURLE_ABORTED_BY_CALLBACK) throw ctx.err();
    if (req.t.stop == links::detail::transfer::too_large)
        throw std::runtime_error("getting " + url + ": body larger than " + std::to_string(links::max_body_bytes >> 20) + " MB");
    if (rc != CURLE_OK && req.t.stop != links::detail::transfer::unwanted)
        throw std::runtime_error("Get \"" + url + "\": " + (error[0] ? error : curl_easy_strerror(rc)));
    links::detail::response& r = req.t.r;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    const char* s = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s) r.content_type = s;
    s = nullptr;
    r.final_url = curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s ? s : url;
    if (r.status_line.find(' ') == std::string::npos)
        r.status_line = std::to_string(r.status) + " " + links::detail::status_text(r.status);
    return std::move(r);
}

}  // namespace detail

inline links::detail::response get(const gocsp::context& ctx, const std::string& url) {
    links::detail::check_url(url);
    // By value: if ctx ends first, the transfer finishes aborting on its own.
    return gocsp::blocking(ctx, [ctx, url] { return detail::perform(ctx, url); });
}

inline std::vector<std::string> extract(const gocsp::context& ctx, const std::string& url) {
    links::detail::response resp = get(ctx, url);
    if (resp.status != 200) throw std::runtime_error("getting " + url + ": " + resp.status_line);
    if (!links::detail::is_html(resp.content_type)) return {};
    std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> doc(
        gumbo_parse_with_options(&kGumboDefaultOptions, resp.body.data(), resp.body.size()),
        [](GumboOutput* d) { gumbo_destroy_output(&kGumboDefaultOptions, d); });
    if (!doc) throw std::runtime_error("parsing " + url + " as HTML: out of memory");
    const links::detail::resolver base(resp.final_url);
    std::vector<std::string> found;
    auto visit_node = [&](const GumboNode* n) {
        if (n->type != GUMBO_NODE_ELEMENT || n->v.element.tag != GUMBO_TAG_A) return;
        if (const GumboAttribute* href = gumbo_get_attribute(&n->v.element.attributes, "href"))
            if (std::string link = base.resolve(href->value); !link.empty()) found.push_back(std::move(link));
    };
    links::detail::for_each_node(doc->document, visit_node);
    return found;
}

}  // namespace cancelable
