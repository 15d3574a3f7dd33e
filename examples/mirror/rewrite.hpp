// mirror/rewrite.hpp - the HTML side of the mirror example: finds the links of a page to its own
// domain, and rewrites them to refer to the mirrored files (mirror/local_path.hpp).
//
//     mirror::page p = mirror::rewrite(html, "http://go.dev/doc/", "go.dev", "doc/index.html");
//     p.html;      // the page, <a href="/blog/">...  now <a href="../blog/index.html">...
//     p.links;     // {"http://go.dev/blog/", ...}: the pages to mirror next
//     p.embedded;  // {"http://go.dev/images/go-logo-blue.svg", ...}: what it shows or runs
//
// What is rewritten: the href of <a>, <area> and <link>, and the src of any element (img,
// script, iframe, source, ...), when it resolves (RFC 3986, links.hpp's resolver, against the
// page's URL or its <base href>) to an http or https URL of the domain. Each becomes the
// relative reference from the page's file to the target's file, its fragment kept:
// href="/a/b.html#top" on /index.html is href="a/b.html#top". Everything else stays as it is,
// to the byte: other attributes, links to other domains, "mailto:" and the like, and references
// to the page itself ("", "#top"). Only the attribute values change, spliced into the original
// text at the positions gumbo reports, so the page is not re-serialised. A <base href> is
// emptied (the mirrored page is its own base); the links it made point outside the domain are
// then written as absolute URLs so that they still lead where they did.
//
// Not rewritten (a mirror of a site that relies on them is incomplete): srcset, inline style and
// style sheets' url(...), and URLs that scripts build.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gumbo.h>

#include "../crawl/seen_links.hpp"  // without_fragment
#include "../links/links.hpp"       // resolver, for_each_node
#include "local_path.hpp"

namespace mirror {

/// page: what rewrite found in, and made of, one HTML page.
struct page {
    std::string html;                   ///< the page with its links to the domain made local
    std::vector<std::string> links;     ///< URLs of the domain it links to (<a>, <area>), without fragments
    std::vector<std::string> embedded;  ///< URLs of the domain it embeds (src, <link href>), without fragments
};

/// rewrite: parses body, an HTML page fetched from base_url (its URL after redirects), whose file
/// in the mirror is at local path `self`, and returns it with every reference to domain (a
/// site_url::domain) rewritten as the header comment says, and the URLs it refers to there, in
/// document order, duplicates included. Throws std::runtime_error if gumbo runs out of memory.
page rewrite(const std::string& body, const std::string& base_url, const std::string& domain, const std::string& self);

// =============================================================================================
// Implementation
// =============================================================================================

namespace detail {

/// edit: one attribute value to replace: `length` bytes of the page at `offset` (its original
/// text, quotes included) by `text`.
struct edit {
    std::size_t offset, length;
    std::string text;
};

/// quoted: value as a double-quoted HTML attribute value.
inline std::string quoted(const std::string& value) {
    std::string q = "\"";
    for (char c : value) {
        if (c == '&') q += "&amp;";
        else if (c == '"') q += "&quot;";
        else if (c == '<') q += "&lt;";
        else q += c;
    }
    return q + "\"";
}

/// edit_of: the edit that gives attribute a the value `value`, or nullopt if a's original text
/// is not inside body (an attribute gumbo made up) or is empty (no value written).
inline std::optional<edit> edit_of(const std::string& body, const GumboAttribute& a, const std::string& value) {
    const auto begin = reinterpret_cast<std::uintptr_t>(body.data());
    const auto at = reinterpret_cast<std::uintptr_t>(a.original_value.data);
    if (!a.original_value.data || a.original_value.length == 0 || at < begin || at - begin > body.size() ||
        a.original_value.length > body.size() - (at - begin))
        return std::nullopt;
    return edit{at - begin, a.original_value.length, quoted(value)};
}

/// apply: body with the edits made, in order of offset; an edit that overlaps an earlier one (a
/// cloned element's attribute) is dropped.
inline std::string apply(const std::string& body, std::vector<edit>& edits) {
    std::stable_sort(edits.begin(), edits.end(), [](const edit& a, const edit& b) { return a.offset < b.offset; });
    std::string out;
    out.reserve(body.size());
    std::size_t done = 0;
    for (const edit& e : edits) {
        if (e.offset < done) continue;
        out.append(body, done, e.offset - done);
        out += e.text;
        done = e.offset + e.length;
    }
    out.append(body, done, std::string::npos);
    return out;
}

}  // namespace detail

inline page rewrite(const std::string& body, const std::string& base_url, const std::string& domain,
                    const std::string& self) {
    std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> doc(
        gumbo_parse_with_options(&kGumboDefaultOptions, body.data(), body.size()),
        [](GumboOutput* d) { gumbo_destroy_output(&kGumboDefaultOptions, d); });
    if (!doc) throw std::runtime_error("parsing " + base_url + " as HTML: out of memory");

    std::vector<detail::edit> edits;
    // The base: the first <base href>, resolved against the page's URL; emptied in the mirror.
    std::string base = base_url;
    bool based = false;
    auto find_base = [&](const GumboNode* n) {
        if (based || n->type != GUMBO_NODE_ELEMENT || n->v.element.tag != GUMBO_TAG_BASE) return;
        const GumboAttribute* href = gumbo_get_attribute(&n->v.element.attributes, "href");
        if (!href) return;
        if (std::string b = links::detail::resolver(base_url).resolve(href->value); !b.empty()) base = b;
        based = true;
        if (auto e = detail::edit_of(body, *href, "")) edits.push_back(std::move(*e));
    };
    links::detail::for_each_node(doc->document, find_base);

    const links::detail::resolver resolver(base);
    page p;
    // visit: the reference in attribute a, followed (a link) or embedded.
    auto visit = [&](const GumboAttribute& a, std::vector<std::string>& found) {
        const std::string ref = a.value;
        if (ref.empty() || ref[0] == '#') return;  // the page itself, wherever it is
        const std::string target = resolver.resolve(ref.c_str());
        if (target.empty()) return;
        std::string url = without_fragment(target);
        const std::optional<site_url> u = parse_url(url);
        std::optional<detail::edit> e;
        if (u && u->domain == domain) {
            e = detail::edit_of(body, a, relative_ref(self, local_path(*u)) + target.substr(url.size()));
            found.push_back(std::move(url));
        } else if (based && target != ref) {
            e = detail::edit_of(body, a, target);  // the base no longer resolves it
        }
        if (e) edits.push_back(std::move(*e));
    };
    auto visit_node = [&](const GumboNode* n) {
        if (n->type != GUMBO_NODE_ELEMENT) return;
        const GumboElement& el = n->v.element;
        if (el.tag == GUMBO_TAG_A || el.tag == GUMBO_TAG_AREA || el.tag == GUMBO_TAG_LINK)
            if (const GumboAttribute* href = gumbo_get_attribute(&el.attributes, "href"))
                visit(*href, el.tag == GUMBO_TAG_LINK ? p.embedded : p.links);
        if (const GumboAttribute* src = gumbo_get_attribute(&el.attributes, "src")) visit(*src, p.embedded);
    };
    links::detail::for_each_node(doc->document, visit_node);
    p.html = detail::apply(body, edits);
    return p;
}

}  // namespace mirror
