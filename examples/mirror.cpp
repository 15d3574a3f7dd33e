// mirror: Exercise 8.7 of The Go Programming Language on gocsp - a concurrent program that
// makes a local mirror of a web site: it fetches each reachable page of the site's domain and
// writes it to a directory, its links to the site rewritten to refer to the mirrored files.
//
//     mirror [-o DIR] [-depth N] [-concurrency N] URL
//
// The crawl is crawl2's: a goroutine per page, at most -concurrency (20) requests in flight
// through a counting semaphore, a main loop that keeps the seen set (crawl/seen_links.hpp) and
// ends when no page is left to fetch. Only URLs of the start URL's domain - its host and port;
// http and https alike - are fetched: the pages its <a> and <area> elements link to, and what
// its pages embed (images, scripts, style sheets, frames: src attributes and <link href>),
// which are saved whatever their type; -depth N follows links at most N deep, and a page
// within the limit always comes with what it embeds. Each URL is printed as it is fetched. A
// redirect is followed wherever it leads, as Go's http.Get follows it: what it leads to is saved
// under the URL that was asked for, and its links are resolved against where it came from.
//
// Each resource goes to the file mirror/local_path.hpp gives it below DIR (default: the host's
// name): "/" to index.html, "/doc/" and "/doc" to doc/index.html, "/img/logo.png" to
// img/logo.png; a URL cannot name a file outside DIR, whatever it holds ("..", "%2e%2e",
// "%2f", control characters). A page is saved with its references to the domain made relative
// to its own file (mirror/rewrite.hpp) - href="/img/logo.png" on /doc/ becomes
// href="../img/logo.png" - and every other byte as it came; other resources as they came.
// Bodies are read to at most 32 MB (links.hpp's limit).
//
// Errors are Go's log.Print lines on stderr, and the mirror goes on: a page that cannot be
// fetched (no answer, a status other than 200, a body over the limit) or written ("mkdir
// DIR/v1.2: not a directory" where "/v1.2" was saved as a file before "/v1.2/a.html" came). A
// usage error - no URL, more than one, a -concurrency below 1 - prints the usage and exits with
// status 2; a URL that is not http or https, or a DIR that cannot be made, exits with status 1.
//
// The lesson, beyond crawl2's: the goroutines share nothing but channels. Each page's goroutine
// fetches, rewrites and writes its own file (the file's name is decided by main, which hands
// each name to one goroutine only), and sends back the URLs it found; main alone owns the seen
// set and the table of names.
#include <cerrno>
#include <cstdio>
#include <exception>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <utility>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "crawl/seen_links.hpp"
#include "flags.hpp"
#include "links/links.hpp"
#include "mirror/local_path.hpp"
#include "mirror/rewrite.hpp"

int& depth = flag::integer("depth", -1, "follow links at most `n` deep from the URL (negative: no limit)");
int& concurrency = flag::integer("concurrency", 20, "make at most `n` requests at once (the semaphore's tokens)");
std::string& out_dir = flag::string("o", "", "write the mirror to directory `dir` (default: the site's host name)");

// tokens is a counting semaphore enforcing a limit of `concurrency` requests in flight.
gocsp::chan<gocsp::empty> tokens;

/// fetched: what mirroring one URL found, as its goroutine sends it to main: the local path it
/// was saved to (main's key for it), and the URLs of the domain on it.
struct fetched {
    std::string key;
    std::vector<std::string> links, embedded;
};

/// make_directory: makes directory dir, unless one is there already; throws std::system_error
/// ("mkdir <dir>: ...") when it cannot, a file in the way included.
void make_directory(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) == 0) return;
    int err = errno;
    struct stat st {};
    if (err == EEXIST && ::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return;
        err = ENOTDIR;
    }
    throw std::system_error(err, std::generic_category(), "mkdir " + dir);
}

/// make_parents: makes each directory of path that ends at a '/' at or after position `from`
/// (Go's os.MkdirAll of them): make_parents("a/b/c", 0) makes a and a/b.
void make_parents(const std::string& path, std::size_t from) {
    for (std::size_t slash = path.find('/', from); slash != std::string::npos; slash = path.find('/', slash + 1))
        if (slash > 0 && path[slash - 1] != '/') make_directory(path.substr(0, slash));
}

/// save: writes data to the file at local path rel below root, making its directories; throws
/// std::system_error with Go's os.WriteFile wording. rel comes from mirror::local_path: no
/// segment of it leaves root. Blocks its thread: call it through gocsp::blocking.
void save(const std::string& root, const std::string& rel, std::string_view data) {
    const std::string path = root + "/" + rel;
    make_parents(path, root.size() + 1);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO;
            ::close(fd);
            throw std::system_error(err, std::generic_category(), "write " + path);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), "close " + path);
}

/// mirror_one: prints url, fetches it holding a token, and saves it as key below dir - a page
/// rewritten, anything else as it came; returns the URLs of domain on it. Failures are logged:
/// a page that cannot be fetched gives no URLs, one that cannot be written gives its own.
fetched mirror_one(const std::string& url, const std::string& key, const std::string& domain, const std::string& dir) {
    gocsp::io::fprintf(gocsp::io::stdout_writer(), "%s\n", url.c_str());
    fetched found{key, {}, {}};
    tokens << gocsp::empty{};  // acquire a token
    links::detail::response resp;
    std::string err;
    try {
        resp = links::detail::get(url, true);
    } catch (const std::exception& e) {
        err = e.what();
    }
    tokens.recv();  // release the token
    if (err.empty() && resp.status != 200) err = "getting " + url + ": " + resp.status_line;
    if (!err.empty()) {
        log_print(err);
        return found;
    }
    try {
        std::string_view data = resp.body;
        mirror::page page;
        if (links::detail::is_html(resp.content_type)) {
            page = mirror::rewrite(resp.body, resp.final_url, domain, key);
            data = page.html;
            found.links = std::move(page.links);
            found.embedded = std::move(page.embedded);
        }
        gocsp::blocking([&] { save(dir, key, data); });
    } catch (const std::exception& e) {
        log_print(error_text(e));
    }
    return found;
}

int main(int argc, char* argv[]) {
    flag::parse(argc, argv);
    if (flag::args().size() != 1) {
        std::fprintf(stderr, "usage: mirror [flags] URL\n");
        flag::print_usage();
        return 2;
    }
    if (concurrency < 1) flag::invalid_value("concurrency", "must be at least 1");
    tokens = gocsp::chan<gocsp::empty>(static_cast<std::size_t>(concurrency));

    const std::string start = without_fragment(flag::args()[0]);
    must([&] { links::detail::check_url(flag::args()[0]); });
    const std::optional<mirror::site_url> site = mirror::parse_url(start);
    if (!site) log_fatal("parse \"" + start + "\": invalid URL");
    const std::string dir = out_dir.empty() ? mirror::directory_name(site->domain) : out_dir;
    must([&] { make_parents(dir + "/", 0); });

    // url_of: the URL each local path is fetched from - the first one found for it.
    std::unordered_map<std::string, std::string> url_of;
    auto keys = [&](const std::vector<std::string>& urls) {
        std::vector<std::string> list;
        for (const std::string& url : urls) {
            std::string key = mirror::local_path(*mirror::parse_url(url));  // of the domain: it parses
            url_of.try_emplace(key, url);
            list.push_back(std::move(key));
        }
        return list;
    };

    gocsp::chan<fetched> worklist(0);
    int n = 0;  // number of pending sends to worklist
    seen_links seen(depth);
    auto mirror_all = [&](const std::vector<std::string>& unseen) {
        for (const std::string& key : unseen) {
            n++;
            gocsp::go([worklist, url = url_of.at(key), key, domain = site->domain, dir] {
                worklist << mirror_one(url, key, domain, dir);
            });
        }
    };
    mirror_all(seen.add(found{"", keys({start})}));
    for (; n > 0; n--) {
        const fetched f = worklist.recv();
        mirror_all(seen.add(found{f.key, keys(f.links)}));
        mirror_all(seen.add_embedded(found{f.key, keys(f.embedded)}));
    }
}
