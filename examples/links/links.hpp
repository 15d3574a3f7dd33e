// links/links.hpp - the book's gopl.io/ch5/links package on gocsp: extract(url) fetches a page
// and returns the links in it, as the web crawlers of chapter 8 use it.
//
//     for (const std::string& link : links::extract("https://go.dev/"))
//         std::printf("%s\n", link.c_str());
//
// HTTP(S) is libcurl's (redirects followed, as Go's http.Get does); the HTML parser is gumbo.
// The request runs on gocsp's blocking pool (gocsp::blocking), so a goroutine waiting for a
// page parks and its worker runs other goroutines meanwhile.
#pragma once

#include <string>
#include <vector>

namespace links {

/// extract: makes an HTTP GET request to url (following redirects), parses the response as
/// HTML and returns the targets of its <a href> elements, resolved against the final URL of the
/// request (the one after redirects), in document order, duplicates included. An href that does
/// not resolve to a URL is skipped. A response that is not HTML (its Content-Type is not
/// text/html) has no links: its body is not parsed.
///
/// Throws std::runtime_error with the messages of the Go original:
///     Get "http://example.com/": <why the request failed>     no response (refused, DNS, TLS, ...)
///     getting http://example.com/a: 404 Not Found              a status other than 200 OK
/// Call it from a goroutine (it parks) or a plain thread (it blocks).
std::vector<std::string> extract(const std::string& url);

}  // namespace links

// =============================================================================================
// Implementation
// =============================================================================================

#include <cstddef>
#include <memory>
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
    std::string body;
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

// curl's write callback: appends the body.
inline std::size_t on_body(char* data, std::size_t, std::size_t n, void* r) {
    static_cast<response*>(r)->body.append(data, n);
    return n;
}

// curl's header callback: keeps "<code> <reason>" of each status line ("HTTP/1.1 404 Not
// Found"), so the last one - the final response's, after redirects - is what remains.
inline std::size_t on_header(char* data, std::size_t, std::size_t n, void* r) {
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
        while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
        const auto sp = line.find(' ');
        static_cast<response*>(r)->status_line = sp == line.npos ? "" : std::string(line.substr(sp + 1));
    }
    return n;
}

/// get: performs the request, blocking the calling thread; throws Go's "Get ..." error when no
/// response came.
inline response get(const std::string& url) {
    static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);  // once, before any handle
    if (init != CURLE_OK) throw std::runtime_error("Get \"" + url + "\": " + curl_easy_strerror(init));

    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
    if (!handle) throw std::runtime_error("Get \"" + url + "\": cannot create a curl handle");
    CURL* h = handle.get();
    response r;
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);         // many threads: no SIGALRM for timeouts
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);   // as http.Get: up to 10 redirects
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // any encoding curl can decode
#if LIBCURL_VERSION_NUM >= 0x075500                    // 7.85: protocols by name
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);

    if (const CURLcode rc = curl_easy_perform(h); rc != CURLE_OK)
        throw std::runtime_error("Get \"" + url + "\": " + (error[0] ? error : curl_easy_strerror(rc)));

    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    const char* s = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s) r.content_type = s;
    s = nullptr;
    r.final_url = curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s ? s : url;
    if (r.status_line.find(' ') == std::string::npos)  // no reason phrase (HTTP/2)
        r.status_line = std::to_string(r.status) + " " + status_text(r.status);
    return r;
}

/// is_html: the Content-Type says HTML ("text/html", maybe with parameters).
inline bool is_html(std::string_view content_type) {
    return content_type == "text/html" || content_type.starts_with("text/html;");
}

/// resolver: resolves references against a base URL with libcurl's URL API.
class resolver {
public:
    explicit resolver(const std::string& base) : base_(curl_url(), &curl_url_cleanup) {
        if (!base_ || curl_url_set(base_.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) base_.reset();
    }
    /// resolve: ref made absolute, or "" if it is not a URL curl can parse.
    std::string resolve(const char* ref) const {
        if (!base_) return "";
        std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url_dup(base_.get()), &curl_url_cleanup);
        char* out = nullptr;
        if (!u || curl_url_set(u.get(), CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
            curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK)
            return "";
        std::string link = out;
        curl_free(out);
        return link;
    }

private:
    std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> base_;
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
