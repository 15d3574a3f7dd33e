// links/links.hpp - the book's gopl.io/ch5/links package on gocsp: extract(url) fetches a page
// and returns the links in it, as the web crawlers of chapter 8 use it.
//
//     for (const std::string& link : links::extract("https://go.dev/"))
//         std::printf("%s\n", link.c_str());
//
// HTTP(S) is libcurl's (redirects followed, as Go's http.Get does); the HTML parser is gumbo.
// The request runs on gocsp's blocking pool (gocsp::blocking), so a goroutine waiting for a
// page parks and its worker runs other goroutines meanwhile. Connections are kept alive and
// reused, as Go's http.DefaultClient reuses them: every request shares one libcurl connection
// cache (a share handle, see connections()), so a crawl of one site opens a few connections
// rather than one per page.
//
// Where this differs from a plain "download, then look":
//   - URLs are checked the way Go's http.Get checks them before anything is sent: one without a
//     scheme ("example.com", "-h") is refused with Go's "unsupported protocol scheme", where
//     libcurl on its own would guess http.
//   - A response is judged by its status line and headers, before its body: a body that is not
//     wanted (a status other than 200, a Content-Type other than text/html) stops the transfer
//     at its first bytes, and an HTML body is read to at most max_body_bytes (32 MB). Memory
//     stays bounded whatever a server sends, endless bodies included.
//   - References are resolved as RFC 3986 section 5 says. libcurl's URL API does it, except for
//     the references with an empty path and no query - "" and "#frag" - which the libcurl of
//     Debian 12 (7.88) resolves against the base's directory ("b.html" dropped) and later
//     versions resolve keeping the base's fragment, and for absolute URIs of schemes it does
//     not know ("mailto:..."), which it refuses; those are resolved here.
//   - Like the book's links.Extract, the links keep their fragments ("/a/b.html#top"): a page
//     says where its links point. Dropping them, so that "/a/b.html#top" and "/a/b.html" are
//     one page, is the crawler's business (crawl/seen_links.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace links {

/// max_body_bytes: the largest HTML body extract reads (32 MB); a longer one is an error.
inline constexpr std::size_t max_body_bytes = std::size_t{32} << 20;

/// extract: makes an HTTP GET request to url (following redirects), parses the response as
/// HTML and returns the targets of its <a href> elements, resolved against the final URL of the
/// request (the one after redirects) as RFC 3986 says, fragments kept, in document order,
/// duplicates included; an absolute URI of any scheme ("mailto:...") is kept as it is, as in Go.
/// An href that does not resolve to a URL is skipped. A response that is
/// not HTML (its Content-Type is not text/html) has no links: its transfer stops before its
/// body is read.
///
/// Throws std::runtime_error with the messages of the Go original (http.Get's, then
/// links.Extract's):
///     Get "example.com": unsupported protocol scheme ""        not an http or https URL
///     parse "127.0.0.1:80/": first path segment in URL cannot contain colon
///     Get "http://example.com/": <why the request failed>     no response (refused, DNS, TLS, ...)
///     getting http://example.com/a: 404 Not Found              a status other than 200 OK
///     getting http://example.com/a: body larger than 32 MB     an HTML body over max_body_bytes
/// Call it from a goroutine (it parks) or a plain thread (it blocks).
std::vector<std::string> extract(const std::string& url);

}  // namespace links

// =============================================================================================
// Implementation
// =============================================================================================

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include <curl/curl.h>
#include <gumbo.h>

#include <gocsp/blocking.hpp>

namespace links {
namespace detail {

/// response: what get() learned about the final response of a request.
struct response {
    long status = 0;           // 200, 404, ...
    std::string status_line;   // "404 Not Found" (Go's resp.Status), from the last status line
    std::string content_type;  // the Content-Type header, "" if none
    std::string final_url;     // the URL the response came from, after redirects
    std::string body;          // the body of a 200 text/html response (any 200 one with any_type), else ""
};

/// status_text: the standard reason phrase of an HTTP status code, for responses that carry
/// none (HTTP/2); "" for a code it does not know.
inline const char* status_text(long code) {
    switch (code) {
        case 200: return "OK";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 410: return "Gone";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "";
    }
}

/// is_html: the Content-Type says HTML ("text/html", maybe with parameters).
inline bool is_html(std::string_view content_type) {
    return content_type == "text/html" || content_type.starts_with("text/html;");
}

/// scheme_of: url's scheme, lower-cased, as url.Parse reads it - a letter, then letters, digits,
/// '+', '-' or '.', up to the first ':' - or "" if it has none.
inline std::string scheme_of(std::string_view url) {
    for (std::size_t i = 0; i < url.size(); ++i) {
        const char c = url[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (letter || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))) continue;
        if (c != ':' || i == 0) return "";
        std::string scheme(url.substr(0, i));
        for (char& l : scheme) l = static_cast<char>(l >= 'A' && l <= 'Z' ? l - 'A' + 'a' : l);
        return scheme;
    }
    return "";
}

/// check_url: throws the error Go's http.Get gives, before sending anything, for a URL that is
/// not http or https: url.Parse's errors for a missing scheme or a colon where a scheme cannot
/// end, then "unsupported protocol scheme".
inline void check_url(const std::string& url) {
    if (url.starts_with(':')) throw std::runtime_error("parse \"" + url + "\": missing protocol scheme");
    const std::string scheme = scheme_of(url);
    if (scheme.empty()) {
        // A relative reference: url.Parse refuses a ':' in its first segment (it would read as
        // a scheme); otherwise http.Get refuses the empty scheme.
        const std::string_view first = std::string_view(url).substr(0, url.find_first_of("/?#"));
        if (first.find(':') != std::string_view::npos)
            throw std::runtime_error("parse \"" + url + "\": first path segment in URL cannot contain colon");
    }
    if (scheme != "http" && scheme != "https")
        throw std::runtime_error("Get \"" + url + "\": unsupported protocol scheme \"" + scheme + "\"");
}

/// transfer: one request in flight: the handle, what has come so far, and why the write
/// callback stopped it, if it did.
struct transfer {
    enum stop_t { none, unwanted, too_large };
    CURL* handle = nullptr;
    response r;
    bool judged = false;  // the first body bytes came and the response was judged
    bool wanted = false;  // 200 and text/html (any type with any_type): the body is kept
    bool any_type = false;  // keep a 200 response's body whatever its Content-Type
    stop_t stop = none;
};

// curl's write callback: the body of the final response (curl passes no redirect's body when
// it follows redirects). At the first bytes the headers are all in: a response whose body is
// not wanted is stopped there (returning less than n aborts the transfer with
// CURLE_WRITE_ERROR); a wanted one is kept up to max_body_bytes.
inline std::size_t on_body(char* data, std::size_t, std::size_t n, void* p) {
    auto& t = *static_cast<transfer*>(p);
    if (!t.judged) {
        t.judged = true;
        long status = 0;
        const char* type = nullptr;
        curl_easy_getinfo(t.handle, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(t.handle, CURLINFO_CONTENT_TYPE, &type);
        t.wanted = status == 200 && (t.any_type || (type && is_html(type)));
    }
    if (!t.wanted) {
        t.stop = transfer::unwanted;
        return 0;
    }
    std::string& body = t.r.body;
    if (n > max_body_bytes - body.size()) {
        t.stop = transfer::too_large;
        return 0;
    }
    // Grow by doubling, but once past half the limit straight to the limit: a body near 32 MB
    // takes a 32 MB buffer (and a copy from at most 16 MB), never 64 MB.
    if (body.size() + n > body.capacity()) {
        const std::size_t grown = std::max(body.size() + n, 2 * body.capacity());
        body.reserve(grown > max_body_bytes / 2 ? max_body_bytes : grown);
    }
    body.append(data, n);
    return n;
}

// curl's header callback: keeps "<code> <reason>" of each status line ("HTTP/1.1 404 Not
// Found"), so the last one - the final response's, after redirects - is what remains.
inline std::size_t on_header(char* data, std::size_t, std::size_t n, void* p) {
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
        while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
        const auto sp = line.find(' ');
        static_cast<transfer*>(p)->r.status_line = sp == line.npos ? "" : std::string(line.substr(sp + 1));
    }
    return n;
}

/// max_idle_connections: the most connections the shared cache keeps (idle ones beyond are
/// closed, the oldest first): libcurl's default of 5 would close most of a crawl's 20 at the
/// end of each request.
inline constexpr long max_idle_connections = 64;

/// connection_cache: a libcurl share handle holding the connection cache, the DNS cache and the
/// TLS sessions of every request get() makes. libcurl calls lock and unlock around each use;
/// the requests run on the blocking pool's plain threads (and on callers' threads outside
/// goroutines), never across a goroutine's park, so a std::mutex per kind of data serves.
class connection_cache {
public:
    connection_cache() : share_(curl_share_init()) {
        if (!share_) return;
        curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &lock);
        curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &unlock);
        curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
        curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    connection_cache(const connection_cache&) = delete;
    connection_cache& operator=(const connection_cache&) = delete;
    /// handle: the share handle, or nullptr if libcurl could not make one (each request then
    /// has a cache of its own, as before).
    CURLSH* handle() const noexcept { return share_; }

private:
    static std::mutex& mutex_for(void* self, curl_lock_data data) {
        auto& locks = static_cast<connection_cache*>(self)->locks_;
        return locks[static_cast<std::size_t>(data) < locks.size() ? static_cast<std::size_t>(data) : 0];
    }
    static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) { mutex_for(self, data).lock(); }
    static void unlock(CURL*, curl_lock_data data, void* self) { mutex_for(self, data).unlock(); }

    CURLSH* share_;
    std::array<std::mutex, CURL_LOCK_DATA_LAST> locks_;
};

/// connections: the process's one connection_cache, made on first use and never destroyed
/// (requests may still run on other threads while the program exits).
inline CURLSH* connections() {
    static connection_cache* const cache = new connection_cache;
    return cache->handle();
}

/// handle_pool: easy handles kept between requests. A handle made afresh for each request costs
/// more than the request on loopback: libcurl gives each handle, at its first transfer, a
/// private multi handle with a socket pair for wake-ups (socketpair, four fcntl, two close a
/// page). A handle taken here has had curl_easy_reset: its options are the defaults again.
class handle_pool {
public:
    /// take: a handle from the pool, or a new one (nullptr if libcurl cannot make one).
    CURL* take() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            if (!free_.empty()) {
                CURL* h = free_.back();
                free_.pop_back();
                return h;
            }
        }
        return curl_easy_init();
    }
    /// give: returns h to the pool (reset), or frees it when the pool holds max_idle_connections.
    void give(CURL* h) {
        curl_easy_reset(h);
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            if (free_.size() < static_cast<std::size_t>(max_idle_connections)) {
                free_.push_back(h);
                return;
            }
        }
        curl_easy_cleanup(h);
    }

private:
    std::mutex mutex_;
    std::vector<CURL*> free_;
};

/// pooled_handle: an easy handle of the process's one handle_pool (made on first use, never
/// destroyed, like connections()), given back when it goes out of scope.
class pooled_handle {
public:
    pooled_handle() : h_(pool().take()) {}
    ~pooled_handle() {
        if (h_) pool().give(h_);
    }
    pooled_handle(const pooled_handle&) = delete;
    pooled_handle& operator=(const pooled_handle&) = delete;
    CURL* get() const noexcept { return h_; }

private:
    static handle_pool& pool() {
        static handle_pool* const p = new handle_pool;
        return *p;
    }
    CURL* h_;
};

/// configure: sets on h the options of a request for url as extract makes it - Go's http.Get
/// (redirects, encodings, http and https only), the shared connection cache, error text into
/// error (CURL_ERROR_SIZE bytes), the status line and the body into t.
inline void configure(CURL* h, const std::string& url, char* error, transfer& t) {
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);         // many threads: no SIGALRM for timeouts
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);   // as http.Get: up to 10 redirects
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // any encoding curl can decode
    if (CURLSH* share = connections()) {              // keep-alive: connections outlive the handle
        curl_easy_setopt(h, CURLOPT_SHARE, share);
        curl_easy_setopt(h, CURLOPT_MAXCONNECTS, max_idle_connections);
    }
#if LIBCURL_VERSION_NUM >= 0x075500                    // 7.85: protocols by name
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
}

/// get: checks url, performs the request, blocking the calling thread; throws Go's "Get ..."
/// error when no response came, and "getting <url>: body larger than 32 MB" for an HTML body
/// over max_body_bytes. With any_type, the body of a 200 response is kept whatever its
/// Content-Type (the mirror example saves images too), to the same limit.
inline response get(const std::string& url, bool any_type = false) {
    check_url(url);
    static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);  // once, before any handle
    if (init != CURLE_OK) throw std::runtime_error("Get \"" + url + "\": " + curl_easy_strerror(init));

    const pooled_handle handle;
    if (!handle.get()) throw std::runtime_error("Get \"" + url + "\": cannot create a curl handle");
    CURL* h = handle.get();
    transfer t;
    t.handle = h;
    t.any_type = any_type;
    char error[CURL_ERROR_SIZE] = "";
    configure(h, url, error, t);

    const CURLcode rc = curl_easy_perform(h);
    if (t.stop == transfer::too_large)
        throw std::runtime_error("getting " + url + ": body larger than " + std::to_string(max_body_bytes >> 20) + " MB");
    if (rc != CURLE_OK && t.stop != transfer::unwanted)
        throw std::runtime_error("Get \"" + url + "\": " + (error[0] ? error : curl_easy_strerror(rc)));

    response& r = t.r;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    const char* s = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s) r.content_type = s;
    s = nullptr;
    r.final_url = curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s ? s : url;
    if (r.status_line.find(' ') == std::string::npos)  // no reason phrase (HTTP/2)
        r.status_line = std::to_string(r.status) + " " + status_text(r.status);
    return std::move(r);
}

/// curl_url_ptr: a CURLU handle that frees itself.
using curl_url_ptr = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

/// resolver: resolves references against a base URL (RFC 3986 section 5) with libcurl's URL
/// API, and by itself for the two forms libcurl gets wrong (see the header comment).
class resolver {
public:
    explicit resolver(const std::string& base) : base_(curl_url(), &curl_url_cleanup) {
        if (!base_ || curl_url_set(base_.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) base_.reset();
    }
    /// resolve: ref made absolute, or "" if it is not a URL curl can parse.
    std::string resolve(const char* ref) const {
        if (!base_) return "";
        curl_url_ptr u(curl_url_dup(base_.get()), &curl_url_cleanup);
        if (!u) return "";
        if (ref[0] == '\0' || ref[0] == '#') {
            // An empty path and no query: the base's path and query, and the reference's own
            // fragment, if any (RFC 3986 section 5.2.2: T.fragment = R.fragment).
            curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
            if (ref[0] == '#' && ref[1] != '\0' && curl_url_set(u.get(), CURLUPART_FRAGMENT, ref + 1, 0) != CURLUE_OK)
                return "";
        } else if (curl_url_set(u.get(), CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
            // libcurl takes a scheme it does not know only before "//". Any other absolute URI
            // ("mailto:gopher@example.com", "javascript:void(0)") is its own resolution, as
            // url.ResolveReference gives it; the crawler then refuses its scheme, as Go's does.
            const std::string scheme = scheme_of(ref);
            return scheme.empty() ? "" : scheme + (ref + scheme.size());
        }
        char* out = nullptr;
        if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) return "";
        std::string link = out;
        curl_free(out);
        return link;
    }

private:
    curl_url_ptr base_;
};

/// for_each_node: calls pre(n) for n and, in document order, every node below it (the book's
/// forEachNode with a pre function only).
template <class F>
void for_each_node(const GumboNode* n, F& pre) {
    pre(n);
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_DOCUMENT) return;
    const GumboVector& children = n->type == GUMBO_NODE_ELEMENT ? n->v.element.children : n->v.document.children;
    for (unsigned i = 0; i < children.length; ++i) for_each_node(static_cast<const GumboNode*>(children.data[i]), pre);
}

}  // namespace detail

inline std::vector<std::string> extract(const std::string& url) {
    detail::response resp = gocsp::blocking([&] { return detail::get(url); });
    if (resp.status != 200) throw std::runtime_error("getting " + url + ": " + resp.status_line);
    if (!detail::is_html(resp.content_type)) return {};

    std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> doc(
        gumbo_parse_with_options(&kGumboDefaultOptions, resp.body.data(), resp.body.size()),
        [](GumboOutput* d) { gumbo_destroy_output(&kGumboDefaultOptions, d); });
    if (!doc) throw std::runtime_error("parsing " + url + " as HTML: out of memory");

    const detail::resolver base(resp.final_url);
    std::vector<std::string> links;
    auto visit_node = [&](const GumboNode* n) {
        if (n->type != GUMBO_NODE_ELEMENT || n->v.element.tag != GUMBO_TAG_A) return;
        const GumboAttribute* href = gumbo_get_attribute(&n->v.element.attributes, "href");
        if (!href) return;
        std::string link = base.resolve(href->value);
        if (!link.empty()) links.push_back(std::move(link));  // ignore bad URLs
    };
    detail::for_each_node(doc->document, visit_node);
    return links;
}

}  // namespace links
