// mirror/local_path.hpp - where the mirror example keeps each page of a site: the URL of a page
// mapped to a file below the mirror's directory, and the relative reference from one mirrored
// file to another.
//
//     std::optional<mirror::site_url> u = mirror::parse_url("https://go.dev/doc/install?x=1");
//     u->domain;                                        // "go.dev"
//     mirror::local_path(*u);                           // "doc/install/index_x_1.html"
//     mirror::relative_ref("doc/index.html", "blog/index.html");   // "../blog/index.html"
//
// The mapping, from the URL's path and query alone (the file's place must be known before the
// page is fetched, to rewrite the links to it on pages fetched earlier):
//   - "/" and a path that ends in "/" are directories: their file is index.html in them. So is a
//     path whose last segment has no dot ("/doc/install"), which sites serve as the same page as
//     "/doc/install/" (one redirects to the other): both map to doc/install/index.html, and the
//     page is fetched once. A file without a dot ("/LICENSE") becomes LICENSE/index.html too.
//   - A query is kept in the file name, before its extension: "/p.html?id=3" is p_id_3.html.
//   - The fragment and the scheme play no part ("http://h/a" and "https://h/a" are one file).
//
// Hostile input cannot leave the directory. The path is split at its slashes before it is
// percent-decoded, so "%2F" is a character of a name, not a separator; each segment is then
// decoded and every byte other than ASCII letters, digits, ".", "_", "-", "~" and the bytes of
// non-ASCII characters becomes "_" (so no "/", "\", NUL, control character, ":" or "%" reaches
// a file name); segments that are then empty, "." or ".." are dropped ("%2e%2e" included, which
// RFC 3986 resolution leaves in place); a name is cut to 200 bytes, its extension kept. A local
// path is therefore relative, has no "." or ".." segment and no empty one: joined to the
// mirror's directory it names a file inside it, whatever the URL. Two URLs may map to one file
// ("/a b" and "/a_b"): the mirror fetches it once.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <curl/curl.h>

namespace mirror {

/// site_url: the parts of an http or https URL that place it in a mirror.
struct site_url {
    std::string domain;  ///< "host", or "host:port" for a port other than the scheme's; lower case
    std::string path;    ///< the path as the URL writes it (percent-encoded), at least "/"
    std::string query;   ///< the query without its "?", "" if none
};

/// max_name_bytes: the longest file name local_path makes from one segment (NAME_MAX is 255).
inline constexpr std::size_t max_name_bytes = 200;

/// parse_url: url's parts (parsed by libcurl, dot segments removed, fragment ignored), or
/// nullopt if url is not an absolute http or https URL with a host.
std::optional<site_url> parse_url(const std::string& url);

/// safe_name: a decoded path segment made safe as a file name: every byte outside the set the
/// header comment lists replaced by "_", cut to max_name_bytes (before its extension, if that
/// has at most 16 bytes). "" for "", "." and "..".
std::string safe_name(std::string_view decoded);

/// local_path: the file, relative to the mirror's directory, that holds the resource at u
/// ("index.html", "doc/install/index.html", "img/logo.png"): never absolute, never with an
/// empty, "." or ".." segment.
std::string local_path(const site_url& u);

/// relative_ref: the relative URL reference from the file at local path `from` to the file at
/// local path `to` ("../img/logo.png"), percent-encoding the bytes of non-ASCII names; the
/// file's own name when from == to.
std::string relative_ref(const std::string& from, const std::string& to);

/// directory_name: the default name of the mirror's directory for a site of this domain: the
/// host as safe_name makes it ("go.dev"; "127.0.0.1_8000" with a port), or "mirror" if that
/// leaves nothing.
std::string directory_name(const std::string& domain);

// =============================================================================================
// Implementation
// =============================================================================================

namespace detail {

/// hex_value: the value of hex digit c, or -1.
inline int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// percent_decode: s with each "%XX" replaced by its byte; a "%" without two hex digits stays.
inline std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const int hi = s[i] == '%' && i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
        const int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo >= 0) {
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

/// is_name_byte: c may stand in a file name made by safe_name as it is.
inline bool is_name_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '~' || u >= 0x80;
}

/// for_each_segment: calls f with each non-empty part of path between slashes, in order.
template <class F>
void for_each_segment(std::string_view path, F&& f) {
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        const std::string_view seg = path.substr(0, slash);
        if (!seg.empty()) f(seg);
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
}

}  // namespace detail

inline std::optional<site_url> parse_url(const std::string& url) {
    std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> h(curl_url(), &curl_url_cleanup);
    if (!h || curl_url_set(h.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
    // part: one part of the URL, or nullopt if it has none.
    auto part = [&](CURLUPart which, unsigned flags) -> std::optional<std::string> {
        char* s = nullptr;
        if (curl_url_get(h.get(), which, &s, flags) != CURLUE_OK || !s) return std::nullopt;
        std::string v = s;
        curl_free(s);
        return v;
    };
    const auto scheme = part(CURLUPART_SCHEME, 0);
    auto host = part(CURLUPART_HOST, 0);
    if (!scheme || (*scheme != "http" && *scheme != "https") || !host || host->empty()) return std::nullopt;
    site_url u;
    for (char& c : *host) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    u.domain = std::move(*host);
    if (const auto port = part(CURLUPART_PORT, CURLU_NO_DEFAULT_PORT)) u.domain += ":" + *port;
    u.path = part(CURLUPART_PATH, 0).value_or("/");
    if (u.path.empty() || u.path[0] != '/') u.path.insert(0, "/");
    u.query = part(CURLUPART_QUERY, 0).value_or("");
    return u;
}

inline std::string safe_name(std::string_view decoded) {
    if (decoded == "." || decoded == "..") return "";
    std::string name(decoded.substr(0, max_name_bytes));
    if (decoded.size() > max_name_bytes) {  // cut before the extension, if it is a short one
        const std::size_t dot = decoded.rfind('.');
        if (dot != std::string_view::npos && decoded.size() - dot <= 16)
            name.replace(max_name_bytes - (decoded.size() - dot), std::string::npos, decoded.substr(dot));
    }
    for (char& c : name)
        if (!detail::is_name_byte(c)) c = '_';
    return name;
}

inline std::string local_path(const site_url& u) {
    std::string path, last;
    bool directory = u.path.back() == '/';
    detail::for_each_segment(u.path, [&](std::string_view seg) {
        std::string name = safe_name(detail::percent_decode(seg));
        if (name.empty()) return;
        if (!last.empty()) path += last + "/";
        last = std::move(name);
    });
    if (last.empty() || last.find('.') == std::string::npos) directory = true;
    if (directory) {
        if (!last.empty()) path += last + "/";
        last = "index.html";
    }
    if (!u.query.empty()) {
        // Before the extension: a dot after the first byte ("p.html", not ".profile").
        const std::string q = "_" + safe_name(detail::percent_decode(u.query)).substr(0, max_name_bytes / 2);
        const std::size_t dot = last.rfind('.');
        last.insert(dot != std::string::npos && dot > 0 ? dot : last.size(), q);
    }
    return path + last;
}

inline std::string relative_ref(const std::string& from, const std::string& to) {
    std::vector<std::string_view> f, t;
    detail::for_each_segment(from, [&](std::string_view s) { f.push_back(s); });
    detail::for_each_segment(to, [&](std::string_view s) { t.push_back(s); });
    if (!f.empty()) f.pop_back();  // the directories of `from`
    std::size_t common = 0;
    while (common < f.size() && common + 1 < t.size() && f[common] == t[common]) ++common;
    std::string ref;
    for (std::size_t i = common; i < f.size(); ++i) ref += "../";
    static constexpr char hex[] = "0123456789ABCDEF";
    for (std::size_t i = common; i < t.size(); ++i) {
        if (i > common) ref += '/';
        for (char c : t[i]) {
            const auto b = static_cast<unsigned char>(c);
            if (b < 0x80) {
                ref += c;
            } else {
                ref += '%';
                ref += hex[b >> 4];
                ref += hex[b & 15];
            }
        }
    }
    return ref;
}

inline std::string directory_name(const std::string& domain) {
    std::string name = safe_name(domain);
    return name.empty() ? "mirror" : name;
}

}  // namespace mirror
