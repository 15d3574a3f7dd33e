// A generated web site served over HTTP/1.1 on loopback by a gocsp server, for the crawler
// tests (crawl_test.cpp).
//
//     site_server server;                        // listens on 127.0.0.1:<free port>, serving
//     server.set_delay(20ms);                    // each answer waits 20 ms first
//     run crawl2 server.start_url() ...
//     server.site_map().reachable(2)             // the URLs a crawl with -depth 2 visits
//     server.max_in_flight()                     // most requests being answered at once
//
// The site: `pages` HTML pages (page 0 at "/", page i at "/d<i % 10>/p<i>.html"), each linking
// to the next (so all are reachable, around a cycle) and to a few random others, each link
// written at random as an absolute URL, a path from the root or a path relative to the page
// (the generated hrefs are checked against the URLs they must resolve to, which the site
// stores). Every page also has a reference with a fragment or an empty path - href="#top",
// href="" or href="#" to itself, "p2.html#part" to the next page - which a crawler must take
// for that page, never for the page's directory (/dK/ answers 404). Around them: redirects ("/r/<j>", 301 or 302, with absolute, root-relative and
// relative Locations, and a chain of two), a broken link (/missing.html: 404), a plain-text
// file whose text looks like HTML links (/notes.txt: not parsed, so its "links" are never
// crawled), a <link href> and an <img src> on every page (not <a>: never crawled), a link to
// a port where nobody listens, and a mailto: link (a URL, whose scheme the crawler refuses). Linked from nowhere, for the tests of hostile servers: /big.bin
// and /big.html, bodies of big_body_bytes (application/octet-stream, text/html) with no length,
// written until the client hangs up or all is sent (streamed_bytes() counts what went out).
//
// The server is written with gocsp: net::listen, a goroutine per connection, io::scanner for
// the request line and headers, Content-Length and "Connection: close" answers. A request counts
// as in flight from the moment its headers are read until its answer starts to go out - a span
// inside the client's wait for the answer, so a client that holds a token around each fetch
// can never be seen with more requests in flight than it has tokens.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gocsp/gocsp.hpp>

namespace crawl_site {

/// resource: what the server answers for one path.
struct resource {
    enum kind_t { page, text, redirect, stream };
    kind_t kind = page;
    std::string body;                // page and text
    int status = 200;                // redirect: 301 or 302
    std::string location;            // redirect: the Location header, as sent
    std::string target;              // redirect: the URL it leads to
    std::vector<std::string> links;  // page: the URLs its <a href>s lead to (fragments dropped)
    std::string type;                // stream: the Content-Type
};

/// big_body_bytes: the size of the streamed bodies (/big.bin, /big.html): far more than a
/// crawler may keep, and as good as endless for the tests.
inline constexpr std::int64_t big_body_bytes = std::int64_t{512} << 20;

/// site: the generated site, with the URLs a crawl must find in it.
class site {
public:
    /// site: generates the site served at origin ("http://127.0.0.1:8000"); refused is a URL
    /// where nobody answers. The same seed gives the same site.
    site(std::string origin, std::string refused, int pages = 300, std::uint32_t seed = 2015);

    /// start_url: page 0, where crawls start.
    std::string start_url() const { return origin_ + "/"; }
    /// origin: "http://127.0.0.1:<port>".
    const std::string& origin() const { return origin_; }
    /// missing_url / refused_url: the broken links (a 404, and a connection refused).
    std::string missing_url() const { return origin_ + "/missing.html"; }
    const std::string& refused_url() const { return refused_; }
    /// mailto_url: a link that is a URL, but not one for HTTP.
    static std::string mailto_url() { return "mailto:gopher@example.com"; }
    /// find: the resource at path (query left out), or nullptr (the server answers 404).
    const resource* find(const std::string& path) const;

    /// reachable: the URLs a crawl from start_url() visits when it follows links at most
    /// max_depth deep (negative: no limit) - the start is at depth 0, a link on a page at depth
    /// d is at depth d + 1, and a redirect leads to a page without being a link.
    std::set<std::string> reachable(int max_depth = -1) const;

private:
    std::string path_of_page(int i) const;
    std::string href(const std::string& from_path, const std::string& to_path, std::mt19937& rng) const;
    const std::vector<std::string>* links_of(const std::string& url) const;

    std::string origin_, refused_;
    std::map<std::string, resource> paths_;
};

/// site_server: serves a site on 127.0.0.1 from goroutines, counting requests.
class site_server {
public:
    site_server();
    ~site_server();
    site_server(const site_server&) = delete;
    site_server& operator=(const site_server&) = delete;

    const site& site_map() const { return state_->site_; }
    std::string start_url() const { return state_->site_.start_url(); }

    /// set_delay: every later answer waits this long first (while in flight).
    void set_delay(std::chrono::milliseconds d) { state_->delay_ms.store(d.count()); }
    /// reset_counts: zeroes requests() and max_in_flight().
    void reset_counts() {
        state_->requests.store(0);
        state_->max_in_flight.store(0);
    }
    /// requests: requests answered (or being answered) since the last reset.
    int requests() const { return state_->requests.load(); }
    /// max_in_flight: the most requests in flight at once since the last reset.
    int max_in_flight() const { return state_->max_in_flight.load(); }
    /// streamed_bytes: the bytes of streamed bodies (/big.bin, /big.html) written so far.
    std::int64_t streamed_bytes() const { return state_->streamed.load(); }

private:
    struct state {
        gocsp::net::listener ln;
        crawl_site::site site_;
        std::atomic<std::int64_t> delay_ms{0};
        std::atomic<int> requests{0}, in_flight{0}, max_in_flight{0};
        std::atomic<std::int64_t> streamed{0};
        gocsp::wait_group running;  // the accept loop and each connection's goroutine

        state(gocsp::net::listener l, std::string refused)
            : ln(std::move(l)), site_("http://" + ln.addr(), std::move(refused)) {}
        void accept_loop();
        void serve(gocsp::net::conn c);
        std::string answer(const std::string& target) const;
        void stream_body(gocsp::net::conn& c, const resource& r);
    };
    std::shared_ptr<state> state_;
};

// =============================================================================================
// Implementation
// =============================================================================================

inline std::string site::path_of_page(int i) const {
    return i == 0 ? "/" : "/d" + std::to_string(i % 10) + "/p" + std::to_string(i) + ".html";
}

// href: a way to write a link from the page at from_path to to_path: absolute, from the root, or
// relative (every path here is at most one directory deep).
inline std::string site::href(const std::string& from_path, const std::string& to_path, std::mt19937& rng) const {
    switch (rng() % 3) {
        case 0: return origin_ + to_path;
        case 1: return to_path;
        default: {
            const std::string dir = from_path.substr(0, from_path.rfind('/') + 1);
            if (to_path.starts_with(dir)) {
                const std::string rest = to_path.substr(dir.size());
                return rest.empty() ? "./" : rng() % 2 ? rest : "./" + rest;
            }
            return dir == "/" ? to_path.substr(1) : "../" + to_path.substr(1);  // dir is "/dK/"
        }
    }
}

inline site::site(std::string origin, std::string refused, int pages, std::uint32_t seed)
    : origin_(std::move(origin)), refused_(std::move(refused)) {
    std::mt19937 rng(seed);
    // Redirects: /r/<j> to a page; /r/chain to /r/4, itself a redirect.
    constexpr int redirects = 20;
    for (int j = 0; j < redirects; ++j) {
        const std::string to = path_of_page(static_cast<int>((j * 37 + 11) % pages));
        resource r;
        r.kind = resource::redirect;
        r.status = j % 2 ? 302 : 301;
        r.target = origin_ + to;
        r.location = j % 3 == 0 ? origin_ + to : j % 3 == 1 ? to : ".." + to;  // from /r/: "../dK/pI.html"
        paths_["/r/" + std::to_string(j)] = r;
    }
    paths_["/r/chain"] = resource{resource::redirect, "", 302, "/r/4", origin_ + "/r/4", {}, ""};
    paths_["/notes.txt"] = resource{resource::text, "not HTML: <a href=\"/d1/secret.html\">secret</a>\n", 200, "", "", {}, ""};
    paths_["/big.bin"] = resource{resource::stream, "", 200, "", "", {}, "application/octet-stream"};
    paths_["/big.html"] = resource{resource::stream, "", 200, "", "", {}, "text/html; charset=utf-8"};

    // Pages: the links first (as paths), then the HTML.
    std::vector<std::vector<std::string>> to(static_cast<std::size_t>(pages));
    for (int i = 0; i < pages; ++i) {
        auto& t = to[static_cast<std::size_t>(i)];
        t.push_back(path_of_page((i + 1) % pages));
        for (int k = 0; k < 3; ++k) t.push_back(path_of_page(static_cast<int>(rng() % static_cast<unsigned>(pages))));
        if (i % 7 == 3) t.push_back(t[1]);  // the same page twice, likely written two ways
    }
    for (int j = 0; j < redirects; ++j) to[static_cast<std::size_t>((j * 13 + 5) % pages)].push_back("/r/" + std::to_string(j));
    to[static_cast<std::size_t>(42 % pages)].push_back("/r/chain");
    to[static_cast<std::size_t>(5 % pages)].push_back("/missing.html");
    to[static_cast<std::size_t>(9 % pages)].push_back("/notes.txt");

    for (int i = 0; i < pages; ++i) {
        const std::string self = path_of_page(i);
        resource r;
        r.body = "<!DOCTYPE html>\n<html><head><title>Page " + std::to_string(i) +
                 "</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body><h1>Page " + std::to_string(i) +
                 "</h1>\n<ul>\n";
        for (const std::string& p : to[static_cast<std::size_t>(i)]) {
            r.body += "<li><a href=\"" + href(self, p, rng) + "\">" + p + "</a></li>\n";
            r.links.push_back(origin_ + p);
        }
        // A reference with a fragment or an empty path: the page itself, or the next page.
        if (i % 4 == 3) {
            const std::string next = path_of_page((i + 1) % pages);
            r.body += "<li><a href=\"" + href(self, next, rng) + "#part\">next, part 2</a></li>\n";
            r.links.push_back(origin_ + next);
        } else {
            r.body += i % 4 == 0 ? "<li><a href=\"#top\">top</a></li>\n"
                    : i % 4 == 1 ? "<li><a href=\"\">this page</a></li>\n"
                                 : "<li><a href=\"#\">here</a></li>\n";
            r.links.push_back(origin_ + self);
        }
        if (i == 13 % pages) {
            r.body += "<li><a href=\"" + mailto_url() + "\">write to us</a></li>\n";
            r.links.push_back(mailto_url());
        }
        if (i == 11 % pages) {
            r.body += "<li><a href=\"" + refused_ + "\">nobody there</a></li>\n";
            r.links.push_back(refused_);
        }
        r.body += "</ul>\n<p><img src=\"/logo.png\" alt=\"an image, not a link\"></p>\n</body></html>\n";
        paths_[self] = std::move(r);
    }
}

inline const resource* site::find(const std::string& path) const {
    const auto it = paths_.find(path.substr(0, path.find('?')));
    return it == paths_.end() ? nullptr : &it->second;
}

// links_of: the links a crawler finds at url (after redirects); nullptr for none.
inline const std::vector<std::string>* site::links_of(const std::string& url) const {
    std::string u = url;
    for (int hops = 0; hops < 10 && u.starts_with(origin_ + "/"); ++hops) {
        const resource* r = find(u.substr(origin_.size()));
        if (!r) return nullptr;
        if (r->kind == resource::page) return &r->links;
        if (r->kind != resource::redirect) return nullptr;
        u = r->target;
    }
    return nullptr;
}

inline std::set<std::string> site::reachable(int max_depth) const {
    std::set<std::string> seen{start_url()};
    std::vector<std::string> level{start_url()};
    for (int d = 0; !level.empty() && (max_depth < 0 || d < max_depth); ++d) {
        std::vector<std::string> next;
        for (const std::string& url : level)
            if (const auto* links = links_of(url))
                for (const std::string& link : *links)
                    if (seen.insert(link).second) next.push_back(link);
        level = std::move(next);
    }
    return seen;
}

inline site_server::site_server() {
    // The refused URL: a port that was free a moment ago (bound, then closed).
    std::string refused;
    {
        gocsp::net::listener probe = gocsp::net::listen("tcp", "127.0.0.1:0");
        refused = "http://" + probe.addr() + "/";
        probe.close();
    }
    state_ = std::make_shared<state>(gocsp::net::listen("tcp", "127.0.0.1:0"), std::move(refused));
    state_->running.add(1);
    gocsp::go([st = state_] { st->accept_loop(); });
}

inline site_server::~site_server() {
    state_->ln.close();
    state_->running.wait();
}

inline void site_server::state::accept_loop() {
    for (;;) {
        gocsp::net::conn c;
        try {
            c = ln.accept();
        } catch (const gocsp::net::error& e) {
            if (e.kind() == gocsp::net::error_kind::closed) break;
            gocsp::sleep_for(std::chrono::milliseconds(10));  // too many open files, ...: retry
            continue;
        }
        running.add(1);
        gocsp::go([this, c] {
            serve(c);
            running.done();
        });
    }
    running.done();
}

inline void site_server::state::serve(gocsp::net::conn c) {
    try {
        c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));  // a stuck client
        gocsp::io::scanner<gocsp::net::conn> in(c);
        if (!in.scan()) return;
        const std::string request = in.text();  // "GET /d1/p1.html HTTP/1.1"
        while (in.scan() && !in.bytes().empty()) {
        }
        const auto sp1 = request.find(' '), sp2 = request.rfind(' ');
        const std::string target = sp1 < sp2 ? request.substr(sp1 + 1, sp2 - sp1 - 1) : "/";

        requests.fetch_add(1);
        const int now = in_flight.fetch_add(1) + 1;
        for (int seen = max_in_flight.load(); now > seen && !max_in_flight.compare_exchange_weak(seen, now);) {
        }
        if (const auto ms = delay_ms.load(); ms > 0) gocsp::sleep_for(std::chrono::milliseconds(ms));
        if (const resource* r = site_.find(target); r && r->kind == resource::stream) {
            in_flight.fetch_sub(1);
            stream_body(c, *r);
        } else {
            const std::string reply = answer(target);
            in_flight.fetch_sub(1);  // before the answer leaves: see the header comment
            c.write(reply);
        }
    } catch (const std::exception&) {
        // The client went away; nothing to do.
    }
    c.close();
}

// stream_body: the answer for a stream resource: headers without a length, then big_body_bytes
// of body in 1 MiB writes, until the client hangs up (the write throws).
inline void site_server::state::stream_body(gocsp::net::conn& c, const resource& r) {
    c.write("HTTP/1.1 200 OK\r\nContent-Type: " + r.type + "\r\nConnection: close\r\n\r\n");
    std::string chunk;
    const std::string line = r.type.starts_with("text/html") ? "<p>All work and no play makes Jack a dull boy.</p>\n"
                                                              : std::string("\x00\x01\x02\xff\xfe\xfd\x7f\n", 8);
    while (chunk.size() < (1u << 20)) chunk += line;
    chunk.resize(1u << 20);
    for (std::int64_t sent = 0; sent < big_body_bytes; sent += static_cast<std::int64_t>(chunk.size())) {
        c.write(chunk);
        streamed.fetch_add(static_cast<std::int64_t>(chunk.size()));
    }
}

inline std::string site_server::state::answer(const std::string& target) const {
    const resource* r = site_.find(target);
    std::string status = "200 OK", type = "text/html; charset=utf-8", extra, body;
    if (!r) {
        status = "404 Not Found";
        type = "text/plain; charset=utf-8";
        body = "404 page not found\n";
    } else if (r->kind == resource::redirect) {
        status = r->status == 301 ? "301 Moved Permanently" : "302 Found";
        extra = "Location: " + r->location + "\r\n";
        body = "<a href=\"" + r->location + "\">" + status.substr(4) + "</a>.\n";
    } else {
        if (r->kind == resource::text) type = "text/plain; charset=utf-8";
        body = r->body;
    }
    return "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\n" + extra +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace crawl_site
