// crawl/seen_links.hpp - the seen set of crawl2 and crawl3: Go's `seen := make(map[string]bool)`,
// and the depth limit of Exercise 8.6; and without_fragment, which all three crawlers apply to
// a link before it meets their seen set.
//
// Fragments. links::extract returns the links as the page wrote them, fragments included, as
// the book's links.Extract does: "b.html#top" on /a/b.html is /a/b.html#top. A crawler that kept
// them would take /a/b.html#top, /a/b.html#usage and /a/b.html for three pages and fetch the same
// document three times (the fragment never reaches the server), so the crawlers drop the
// fragment first, as crawlers written from the book commonly do: a page is fetched, and printed,
// once, under its URL without a fragment. The command-line URLs are treated the same way.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

/// without_fragment: url with its fragment ("#..." and what follows) dropped.
inline std::string without_fragment(const std::string& url) { return url.substr(0, url.find('#')); }

/// found: the links on one page, as a crawler sends them to main; page is "" for the URLs given
/// on the command line.
struct found {
    std::string page;
    std::vector<std::string> links;
};

/// seen_links: which links a crawl still has to visit - Go's `seen := make(map[string]bool)`,
/// plus the depth limit of Exercise 8.6.
///
/// The URLs given on the command line are at depth 0; a link found on a page at depth d is at
/// depth d + 1. With a limit of max_depth, a URL is visited iff it is at most max_depth links
/// away from a starting URL along some path. A concurrent crawl may find a URL by a long path
/// before a short one (the pages on the short path can be slower), so the set remembers each
/// URL's smallest depth and the links of the pages it has seen: when a shorter path turns up
/// later, the links below are looked at again with their smaller depths. Without a limit that is
/// never needed, and the set only remembers URLs.
class seen_links {
public:
    /// seen_links: no depth limit if max_depth is negative.
    explicit seen_links(int max_depth = -1) : max_depth_(max_depth) {}

    /// add: records the links found on a page (or given on the command line) and returns those
    /// to visit now, without their fragments: each URL once over the whole crawl, only within
    /// the limit.
    std::vector<std::string> add(const found& list);

    /// add_embedded: as add, for what a page embeds rather than links to (the mirror example's
    /// images, scripts, style sheets, frames): they are at the page's own depth, so a page
    /// within the limit always comes with them. list.page must have been visited.
    std::vector<std::string> add_embedded(const found& list);

private:
    // visit: link was found at depth d; appends it to out if it is new and within the limit,
    // and lowers the depth of a known link (revisiting what lies below it) if d is smaller.
    void visit(const std::string& link, int d, std::vector<std::string>& out);

    int max_depth_;
    std::unordered_map<std::string, int> depth_;                            // URL -> smallest depth
    std::unordered_map<std::string, std::vector<std::string>> links_of_;    // with a limit only
    std::unordered_map<std::string, std::vector<std::string>> embedded_of_; // with a limit only
};

// =============================================================================================
// Implementation
// =============================================================================================

inline std::vector<std::string> seen_links::add(const found& list) {
    std::vector<std::string> links;
    links.reserve(list.links.size());
    for (const std::string& link : list.links) links.push_back(without_fragment(link));
    std::vector<std::string> unseen;
    int d = 0;  // the depth of the links: one more than the page's
    if (!list.page.empty()) {
        d = depth_.at(list.page) + 1;
        if (max_depth_ >= 0) links_of_[list.page] = links;
    }
    for (const std::string& link : links) visit(link, d, unseen);
    return unseen;
}

inline std::vector<std::string> seen_links::add_embedded(const found& list) {
    std::vector<std::string> unseen;
    const int d = depth_.at(list.page);
    if (max_depth_ >= 0) {
        auto& embedded = embedded_of_[list.page];
        for (const std::string& link : list.links) embedded.push_back(without_fragment(link));
    }
    for (const std::string& link : list.links) visit(without_fragment(link), d, unseen);
    return unseen;
}

inline void seen_links::visit(const std::string& link, int d, std::vector<std::string>& out) {
    if (max_depth_ >= 0 && d > max_depth_) return;
    auto [it, inserted] = depth_.try_emplace(link, d);
    if (inserted) {
        out.push_back(link);
        return;
    }
    if (d >= it->second) return;
    // A shorter path to a known URL. If its page is in, its links are nearer too; if its crawl
    // is still running, add() will use the new depth when the links come.
    it->second = d;
    if (const auto page = links_of_.find(link); page != links_of_.end())
        for (const std::string& below : page->second) visit(below, d + 1, out);
    if (const auto page = embedded_of_.find(link); page != embedded_of_.end())
        for (const std::string& inside : page->second) visit(inside, d, out);
}
