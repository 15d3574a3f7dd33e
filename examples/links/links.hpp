// links/links.hpp - the book's gopl.io/ch5/links package on gocsp: extract(url) fetches a page
// and returns the links in it, as the web crawlers of chapter 8 use it.
//
//     for (const std::string& link : links::extract("https://go.dev/"))
//         std::printf("%s\n", link.c_str());
//
// HTTP(S) is libcurl's (redirects followed, as Go's http.Get does); the HTML parser is gumbo.
// The request runs in the calling goroutine on libcurl's multi interface, and waits for the
// network on gocsp's poller (gocsp::io::raw_fd), so a goroutine waiting for a page parks and
// its worker runs other goroutines meanwhile, as a Go program's http.Get does. Connections are kept alive and
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
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <sys/epoll.h>
#include <system_error>
#include <unistd.h>

#include <curl/curl.h>
#include <gumbo.h>

#include <gocsp/context.hpp>
#include <gocsp/raw_fd.hpp>

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
/// TLS sessions of every request get() makes. libcurl calls lock and unlock around each use,
/// within one of its calls, and a goroutine never parks inside a libcurl call (agent::run
/// waits between them), so a std::mutex per kind of data serves: it is held for moments.
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

/// agent: what a request runs on, kept between requests (agent_pool): an easy handle, a multi
/// handle that holds it while it runs, and an epoll instance holding the sockets libcurl waits
/// on. The requesting goroutine waits for that epoll instance on gocsp's poller (io::raw_fd):
/// it parks while the request waits for the network, and its worker runs other goroutines.
/// libcurl names the sockets it waits on, and for what, through its socket callback, and the
/// longest it may wait through curl_multi_timeout; run() hands it each socket epoll reports
/// ready, and the timeout's expiry (curl_multi_socket_action).
///
/// Agents are kept because a fresh one costs more than a request on loopback: each multi
/// handle has a socket pair for wake-ups, each agent an epoll instance.
class agent {
public:
    agent() : easy_(curl_easy_init()), multi_(curl_multi_init()), ep_(::epoll_create1(EPOLL_CLOEXEC)) {
        if (!easy_ || !multi_ || ep_ < 0) return;
        try {
            watch_ = std::make_unique<gocsp::io::raw_fd>(ep_);
        } catch (const std::system_error&) {
            return;  // ok() is false
        }
        curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &on_socket);
        curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
        // The idle connections kept, in the shared cache too: a multi handle's own limit (4 per
        // easy handle it holds: 4) would close most of a crawl's 20 at the end of each request.
        // curl_easy_perform sets it from CURLOPT_MAXCONNECTS; a multi handle of ours must.
        curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, max_idle_connections);
    }
    ~agent() {
        watch_.reset();  // before its fd is closed
        if (ep_ >= 0) ::close(ep_);
        if (multi_) curl_multi_cleanup(multi_);
        if (easy_) curl_easy_cleanup(easy_);
    }
    agent(const agent&) = delete;
    agent& operator=(const agent&) = delete;

    /// ok: everything was made (libcurl, the kernel may refuse).
    bool ok() const noexcept { return watch_ != nullptr; }
    /// easy: the handle to configure for the request.
    CURL* easy() const noexcept { return easy_; }

    /// run: performs the request configured on easy(), as curl_easy_perform does, parking the
    /// calling goroutine (blocking a plain thread) while it waits. Returns the transfer's
    /// result; throws std::runtime_error with libcurl's words if the multi handle itself fails.
    /// With ctx, a transfer still running when ctx ends is abandoned (its connection closed, so
    /// the server sees the client go) and run throws ctx->err().
    CURLcode run(const gocsp::context* ctx = nullptr) {
        CURLMcode mc = curl_multi_add_handle(multi_, easy_);
        running_ = mc == CURLM_OK;
        if (running_) mc = curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running_);  // starts it
        std::optional<clock::time_point> deadline;  // what watch_ has
        while (running_ && mc == CURLM_OK) {
            // libcurl's next timeout, asked after every action: its timer callback is not told
            // of every change (7.88 leaves a timer it has run unreported).
            long ms = -1;
            curl_multi_timeout(multi_, &ms);
            const clock::time_point due = ms < 0 ? clock::time_point{} : clock::now() + std::chrono::milliseconds(ms);
            if (!deadline || due != *deadline) watch_->set_read_deadline(*(deadline = due));
            auto call = [&](int ep) { return dispatch(ep, mc); };
            const gocsp::io::wait_status s = ctx ? watch_->read(*ctx, call) : watch_->read(call);
            if (s == gocsp::io::wait_status::timeout) mc = curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running_);
            else if (s == gocsp::io::wait_status::canceled) break;
            else if (s == gocsp::io::wait_status::closed) mc = CURLM_INTERNAL_ERROR;  // not closed before ~agent
        }
        CURLcode rc = CURLE_OK;
        bool done = false;
        for (int left = 0; CURLMsg* msg = curl_multi_info_read(multi_, &left);)
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy_) rc = msg->data.result, done = true;
        curl_multi_remove_handle(multi_, easy_);  // closes the connection of a transfer cut short
        // Sockets libcurl did not take back: another agent may use them next (the connection
        // cache is shared), so they leave this epoll instance.
        for (const auto& [fd, what] : fds_) ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
        fds_.clear();
        if (mc != CURLM_OK) throw std::runtime_error(curl_multi_strerror(mc));
        if (!done && ctx && ctx->err()) throw ctx->err();
        if (!done) throw std::runtime_error("the transfer ended without a result");
        return rc;
    }

    /// reset: makes the agent ready for another request (its easy handle's options the defaults).
    void reset() noexcept { curl_easy_reset(easy_); }

private:
    using clock = std::chrono::steady_clock;

    // dispatch: hands libcurl every socket epoll reports ready now. false if there was none
    // (the caller then waits); true if there was, or mc became an error.
    bool dispatch(int ep, CURLMcode& mc) {
        epoll_event events[8];
        const int n = ::epoll_wait(ep, events, 8, 0);
        if (n < 0) {
            if (errno == EINTR) return false;
            mc = CURLM_INTERNAL_ERROR;
            return true;
        }
        for (int i = 0; i < n && mc == CURLM_OK; ++i) {
            const int fd = events[i].data.fd;
            if (!fds_.contains(fd)) {  // left behind by another request's connection: not ours
                ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
                continue;
            }
            const std::uint32_t e = events[i].events;
            const int mask = ((e & (EPOLLIN | EPOLLHUP)) ? CURL_CSELECT_IN : 0) | ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                             ((e & EPOLLERR) ? CURL_CSELECT_ERR : 0);
            mc = curl_multi_socket_action(multi_, fd, mask, &running_);
        }
        return n > 0;
    }

    // libcurl's socket callback: s is to be watched for `what` (CURL_POLL_IN, _OUT, _INOUT), or
    // no more (CURL_POLL_REMOVE). Level-triggered: a socket stays ready until libcurl acts on it.
    static int on_socket(CURL*, curl_socket_t s, int what, void* p, void*) {
        auto& self = *static_cast<agent*>(p);
        if (what == CURL_POLL_REMOVE) {
            self.fds_.erase(s);
            ::epoll_ctl(self.ep_, EPOLL_CTL_DEL, s, nullptr);
            return 0;
        }
        epoll_event ev{};
        ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
        ev.data.fd = s;
        const bool known = self.fds_.contains(s);
        if (::epoll_ctl(self.ep_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) != 0 &&
            ::epoll_ctl(self.ep_, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s, &ev) != 0)
            return -1;  // libcurl fails the transfer
        self.fds_[s] = what;
        return 0;
    }

    CURL* easy_;
    CURLM* multi_;
    int ep_;
    std::unique_ptr<gocsp::io::raw_fd> watch_;  // ep_, on gocsp's poller
    std::map<curl_socket_t, int> fds_;          // the sockets libcurl waits on, and for what
    int running_ = 0;                           // transfers in progress (0 or 1)
};

/// agent_pool: agents kept between requests, at most max_idle_connections of them.
class agent_pool {
public:
    /// take: an agent from the pool, or a new one (nullptr if it cannot be made).
    std::unique_ptr<agent> take() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            if (!free_.empty()) {
                std::unique_ptr<agent> a = std::move(free_.back());
                free_.pop_back();
                return a;
            }
        }
        auto a = std::make_unique<agent>();
        return a->ok() ? std::move(a) : nullptr;
    }
    /// give: returns a to the pool (reset), or frees it when the pool is full.
    void give(std::unique_ptr<agent> a) {
        a->reset();
        const std::lock_guard<std::mutex> lock(mutex_);
        if (free_.size() < static_cast<std::size_t>(max_idle_connections)) free_.push_back(std::move(a));
    }

    /// get: the process's pool, made on first use and never destroyed (requests may still run
    /// while the program exits).
    static agent_pool& get() {
        static agent_pool* const p = new agent_pool;
        return *p;
    }

private:
    std::mutex mutex_;
    std::vector<std::unique_ptr<agent>> free_;
};

/// pooled_agent: an agent of the process's pool, given back when it goes out of scope.
class pooled_agent {
public:
    pooled_agent() : a_(agent_pool::get().take()) {}
    ~pooled_agent() {
        if (a_) agent_pool::get().give(std::move(a_));
    }
    pooled_agent(const pooled_agent&) = delete;
    pooled_agent& operator=(const pooled_agent&) = delete;
    agent* get() const noexcept { return a_.get(); }

private:
    std::unique_ptr<agent> a_;
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

/// get: checks url, performs the request, parking the calling goroutine (blocking a plain
/// thread) while it waits for the network; throws Go's "Get ..." error when no response came,
/// and "getting <url>: body larger than 32 MB" for an HTML body over max_body_bytes. With
/// any_type, the body of a 200 response is kept whatever its Content-Type (the mirror example
/// saves images too), to the same limit. With ctx (Go's http.NewRequestWithContext), a request
/// stops when ctx ends, before it starts or in flight (its connection closed, so the server
/// sees the client go), and get throws ctx->err().
inline response get(const std::string& url, bool any_type = false, const gocsp::context* ctx = nullptr) {
    check_url(url);
    if (ctx && ctx->err()) throw ctx->err();
    static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);  // once, before any handle
    if (init != CURLE_OK) throw std::runtime_error("Get \"" + url + "\": " + curl_easy_strerror(init));

    const pooled_agent a;
    if (!a.get()) throw std::runtime_error("Get \"" + url + "\": cannot create a curl handle");
    CURL* h = a.get()->easy();
    transfer t;
    t.handle = h;
    t.any_type = any_type;
    char error[CURL_ERROR_SIZE] = "";
    configure(h, url, error, t);

    CURLcode rc;
    try {
        rc = a.get()->run(ctx);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error("Get \"" + url + "\": " + e.what());
    }
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

/// links_of: what extract returns for the response resp to a request for url: its links, or
/// the error of a status other than 200 (an HTML page's links; none for another type).
inline std::vector<std::string> links_of(const response& resp, const std::string& url) {
    if (resp.status != 200) throw std::runtime_error("getting " + url + ": " + resp.status_line);
    if (!is_html(resp.content_type)) return {};

    std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> doc(
        gumbo_parse_with_options(&kGumboDefaultOptions, resp.body.data(), resp.body.size()),
        [](GumboOutput* d) { gumbo_destroy_output(&kGumboDefaultOptions, d); });
    if (!doc) throw std::runtime_error("parsing " + url + " as HTML: out of memory");

    const resolver base(resp.final_url);
    std::vector<std::string> links;
    auto visit_node = [&](const GumboNode* n) {
        if (n->type != GUMBO_NODE_ELEMENT || n->v.element.tag != GUMBO_TAG_A) return;
        const GumboAttribute* href = gumbo_get_attribute(&n->v.element.attributes, "href");
        if (!href) return;
        std::string link = base.resolve(href->value);
        if (!link.empty()) links.push_back(std::move(link));  // ignore bad URLs
    };
    for_each_node(doc->document, visit_node);
    return links;
}

}  // namespace detail

inline std::vector<std::string> extract(const std::string& url) { return detail::links_of(detail::get(url), url); }

}  // namespace links
