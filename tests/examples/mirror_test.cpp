// Tests of the mirror example (examples/mirror.cpp, Exercise 8.7) and of its two headers.
//
// The headers directly: mirror/local_path.hpp must keep every URL inside the mirror - a table
// of hostile paths ("..", "%2e%2e", "%2f", NUL, control bytes, long names) and a few thousand
// random ones, none of which may give an absolute path or a "..", "." or empty segment - and
// mirror/rewrite.hpp must change the references to the domain and nothing else, byte for byte.
//
// The program: it mirrors a small site served by a gocsp HTTP server in this process (several
// pages, a cycle, a link to another domain, fragments, hostile hrefs, a query, an image, a
// style sheet), into a directory six levels below a fresh temporary root; the files written
// must be exactly the expected ones, each page with its links rewritten as expected and nothing
// else changed, the image byte for byte, nothing outside the directory, nothing asked of the
// other domain (a second server that counts its requests). -depth 0 and 1 must stop where they
// should and still bring each page's image. On the crawlers' generated site (site_server.hpp,
// 300 pages, redirects, broken links) every reachable page of the domain must be saved, every
// rewritten link must lead to a saved file or to one the server does not have, and at most
// -concurrency requests may be in flight. A body over 32 MB is refused with its URL; usage
// errors exit with status 2, a URL that is not http(s) with status 1.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "../support/process.hpp"
#include "mirror/local_path.hpp"
#include "mirror/rewrite.hpp"
#include "site_server.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using gocsp_test::process;

/// file: what small_site answers for one path: a body and its Content-Type.
struct file {
    std::string type, body;
};

/// small_site: HTTP on 127.0.0.1, answering GET requests from a table of paths (the query is
/// ignored), where "$ORIGIN" in a body stands for the server's "http://127.0.0.1:<port>"; any
/// other path with "evil" or "escape" in it is a small HTML page too, whatever its dots and
/// slashes, so that a hostile link is fetched and its file written - somewhere. The table is
/// fixed before the server starts; requests are counted.
class small_site {
public:
    explicit small_site(std::map<std::string, file> files) : s_(std::make_shared<state>()) {
        s_->ln = gocsp::net::listen("tcp", "127.0.0.1:0");
        for (auto& [path, f] : files) f.body = with_origin(f.body);
        s_->files = std::move(files);
        s_->running.add(1);
        gocsp::go([s = s_] { s->accept_loop(); });
    }
    ~small_site() {
        s_->ln.close();
        s_->running.wait();
    }
    small_site(const small_site&) = delete;
    small_site& operator=(const small_site&) = delete;

    std::string origin() const { return "http://" + s_->ln.addr(); }
    /// with_origin: text with each "$ORIGIN" replaced by origin().
    std::string with_origin(std::string text) const {
        for (auto at = text.find("$ORIGIN"); at != std::string::npos; at = text.find("$ORIGIN", at))
            text.replace(at, 7, origin());
        return text;
    }
    int requests() const { return s_->requests.load(); }
    int max_in_flight() const { return s_->max_in_flight.load(); }

private:
    struct state {
        gocsp::net::listener ln;
        std::map<std::string, file> files;
        std::atomic<int> requests{0}, in_flight{0}, max_in_flight{0};
        gocsp::wait_group running;

        void accept_loop() {
            for (;;) {
                gocsp::net::conn c;
                try {
                    c = ln.accept();
                } catch (const gocsp::net::error&) {
                    break;  // closed
                }
                running.add(1);
                gocsp::go([this, c] {
                    try {
                        serve(c);
                    } catch (const std::exception&) {  // the client went
                    }
                    c.close();
                    running.done();
                });
            }
            running.done();
        }
        void serve(const gocsp::net::conn& c) {
            c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
            gocsp::io::scanner<gocsp::net::conn> in(c);
            if (!in.scan()) return;
            const std::string request = in.text();  // "GET /a/one.html HTTP/1.1"
            while (in.scan() && !in.bytes().empty()) {
            }
            const auto sp1 = request.find(' '), sp2 = request.rfind(' ');
            const std::string target = sp1 < sp2 ? request.substr(sp1 + 1, sp2 - sp1 - 1) : "/";
            const std::string path = target.substr(0, target.find('?'));
            requests.fetch_add(1);
            const int now = in_flight.fetch_add(1) + 1;
            for (int seen = max_in_flight.load(); now > seen && !max_in_flight.compare_exchange_weak(seen, now);) {
            }
            std::string status = "200 OK";
            file f{"text/html; charset=utf-8", "<!DOCTYPE html><p>hostile</p>\n"};
            if (const auto it = files.find(path); it != files.end()) f = it->second;
            else if (path.find("evil") == std::string::npos && path.find("escape") == std::string::npos)
                status = "404 Not Found", f = {"text/plain", "404 page not found\n"};
            in_flight.fetch_sub(1);
            c.write("HTTP/1.1 " + status + "\r\nContent-Type: " + f.type + "\r\nContent-Length: " +
                    std::to_string(f.body.size()) + "\r\nConnection: close\r\n\r\n" + f.body);
        }
    };
    std::shared_ptr<state> s_;
};

/// temp_root: a fresh directory below the system's temporary directory, removed at the end.
class temp_root {
public:
    temp_root() {
        std::string pattern = (fs::temp_directory_path() / "mirror_test.XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~temp_root() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    temp_root(const temp_root&) = delete;
    temp_root& operator=(const temp_root&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

/// files_below: the regular files below dir, as paths relative to it; any other kind of entry
/// (a symbolic link, a device) as "?" + its path, so that a check of the set fails.
std::set<std::string> files_below(const fs::path& dir) {
    std::set<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string rel = fs::relative(e.path(), dir).string();
        if (e.is_symlink() || (!e.is_regular_file() && !e.is_directory())) found.insert("?" + rel);
        else if (e.is_regular_file()) found.insert(rel);
    }
    return found;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// replaced: text with each `from` of the pairs replaced by its `to`, each of which must occur.
std::string replaced(std::string text, const std::vector<std::pair<std::string, std::string>>& pairs) {
    for (const auto& [from, to] : pairs) {
        INFO(from);
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
    }
    return text;
}

/// run: what one run of the mirror printed.
struct run_result {
    std::optional<int> status;
    std::string out, err;
};

run_result run_mirror(const std::vector<std::string>& args) {
    process p(gocsp_test::example_path("mirror"), args);
    p.close_stdin();
    run_result r;
    r.status = p.wait(120s);
    if (!r.status) p.kill(SIGKILL);
    r.out = p.take(process::out);
    r.err = p.take(process::err);
    return r;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// is_log_line: line is Go's log.Print of message: "2006/01/02 15:04:05 " and message.
bool is_log_line(const std::string& line, const std::string& message) {
    static const std::regex stamp(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )");
    return line.size() == 20 + message.size() && std::regex_match(line.substr(0, 20), stamp) &&
           line.compare(20, std::string::npos, message) == 0;
}

/// is_clean: a local path as local_path.hpp promises: relative, no empty, "." or ".." segment,
/// only letters, digits, ".", "_", "-", "~" and non-ASCII bytes, no name over 255 bytes.
bool is_clean(const std::string& p) {
    if (p.empty() || p.front() == '/' || p.back() == '/') return false;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t end = std::min(p.find('/', begin), p.size());
        const std::string seg = p.substr(begin, end - begin);
        if (seg.empty() || seg == "." || seg == ".." || seg.size() > 255) return false;
        for (char c : seg)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '~' &&
                static_cast<unsigned char>(c) < 0x80)
                return false;
        if (end == p.size()) return true;
        begin = end + 1;
    }
}

std::string local(const std::string& url) {
    const auto u = mirror::parse_url(url);
    REQUIRE(u.has_value());
    return mirror::local_path(*u);
}

}  // namespace

TEST_CASE("mirror/local_path.hpp: a URL's file stays inside the mirror, whatever the URL") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"http://h/", "index.html"},
        {"http://h", "index.html"},
        {"http://h/a/b.html", "a/b.html"},
        {"http://h/doc", "doc/index.html"},
        {"http://h/doc/", "doc/index.html"},
        {"http://h//a///b.png", "a/b.png"},
        {"http://h/a/b.html#frag", "a/b.html"},
        {"http://h/../../../etc/passwd.txt", "etc/passwd.txt"},            // resolved away by RFC 3986
        {"http://h/%2e%2e/%2E%2E/%2e%2e/etc/x.html", "etc/x.html"},        // decoded dots: dropped
        {"http://h/a/..%2f..%2f..%2fx.html", "a/.._.._.._x.html"},         // a slash is no separator
        {"http://h/a%5c..%5c..%5cx.html", "a_.._.._x.html"},               // nor a backslash
        {"http://h/%00%01%0a%7f.html", "____.html"},                       // NUL and control bytes
        {"http://h/C:%5cwin.ini", "C__win.ini"},                           // no ':' either
        {"http://h/%25.html", "_.html"},                                   // nor '%'
        {"http://h/caf%C3%A9.html", "caf\xC3\xA9.html"},                   // UTF-8 stays
        {"http://h/p.html?id=3&x=../../y", "p_id_3_x_.._.._y.html"},
        {"http://h/?page=2", "index_page_2.html"},
        {"http://h/search?q=%2F..%2F", "search/index_q__.._.html"},
        {"http://h/.profile", ".profile"},
        {"http://h/..../x.html", "..../x.html"},
    };
    for (const auto& [url, path] : cases) {
        INFO(url);
        CHECK(local(url) == path);
        CHECK(is_clean(local(url)));
    }
    // A long name is cut to 200 bytes, its extension kept.
    CHECK(local("http://h/" + std::string(1000, 'a') + ".html") == std::string(195, 'a') + ".html");
    CHECK(local("http://h/" + std::string(1000, 'a')) == std::string(200, 'a') + "/index.html");

    // The domain: host and port, lower case, the scheme's own port left out.
    CHECK(mirror::parse_url("http://Go.DEV/x")->domain == "go.dev");
    CHECK(mirror::parse_url("http://go.dev:80/x")->domain == "go.dev");
    CHECK(mirror::parse_url("https://go.dev:443/x")->domain == "go.dev");
    CHECK(mirror::parse_url("http://127.0.0.1:8000/")->domain == "127.0.0.1:8000");
    CHECK_FALSE(mirror::parse_url("ftp://go.dev/").has_value());
    CHECK_FALSE(mirror::parse_url("mailto:gopher@go.dev").has_value());
    CHECK_FALSE(mirror::parse_url("/relative").has_value());
    CHECK(mirror::directory_name("go.dev") == "go.dev");
    CHECK(mirror::directory_name("127.0.0.1:8000") == "127.0.0.1_8000");

    // Random paths of hostile bytes, percent-encoded or raw where a URL allows it.
    std::mt19937 rng(87);
    const std::string alphabet = "./%2eEfF5c0aA\\:?&=#~-_x";
    int checked = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string path = "/";
        const int n = static_cast<int>(rng() % 40);
        for (int k = 0; k < n; ++k) {
            if (rng() % 4 == 0) {
                static constexpr char hex[] = "0123456789ABCDEF";
                const unsigned b = rng() % 256;
                path += '%';
                path += hex[b >> 4];
                path += hex[b & 15];
            } else {
                path += alphabet[rng() % alphabet.size()];
            }
        }
        const auto u = mirror::parse_url("http://h" + path);
        if (!u) continue;
        ++checked;
        INFO(path << " -> " << mirror::local_path(*u));
        REQUIRE(is_clean(mirror::local_path(*u)));
    }
    CHECK(checked > 2000);
}

TEST_CASE("mirror/local_path.hpp: relative references between mirrored files") {
    CHECK(mirror::relative_ref("index.html", "a/one.html") == "a/one.html");
    CHECK(mirror::relative_ref("a/one.html", "index.html") == "../index.html");
    CHECK(mirror::relative_ref("a/one.html", "a/two.html") == "two.html");
    CHECK(mirror::relative_ref("a/one.html", "a/one.html") == "one.html");
    CHECK(mirror::relative_ref("a/b/c.html", "a/d/e.html") == "../d/e.html");
    CHECK(mirror::relative_ref("a/b/c.html", "x.png") == "../../x.png");
    CHECK(mirror::relative_ref("a/index.html", "a/b/index.html") == "b/index.html");
    CHECK(mirror::relative_ref("index.html", "caf\xC3\xA9.html") == "caf%C3%A9.html");
}

TEST_CASE("mirror/rewrite.hpp: references to the domain made local, every other byte kept") {
    const std::string origin = "http://site.test";
    const std::string body =
        "<!DOCTYPE html>\n<html><head><link rel=stylesheet href='/s.css'><script src=\"js/app.js\"></script></head>\n"
        "<body><a href=\"/a/one.html#part\" class=x>one</a> <a href=two.html>two</a>\n"
        "<a href=\"http://other.test/x\">other</a> <a href=\"#top\">top</a> <a href=\"\">self</a>\n"
        "<a href=\"mailto:gopher@site.test\">mail</a> <a href=\"/q?a=1&amp;b=2\">q</a>\n"
        "<img src = \"http://SITE.test:80/img/logo.png\" alt=\"href=/not/a/link\"><p>text with href=\"/x\"</p>\n"
        "<a name=\"nohref\">anchor</a> <a href=\"//site.test/dir/\">dir</a></body></html>\n";
    const mirror::page p = mirror::rewrite(body, origin + "/d/page.html", "site.test", "d/page.html");
    const std::string expected = replaced(body, {
        {"href='/s.css'", "href=\"../s.css\""},
        {"src=\"js/app.js\"", "src=\"js/app.js\""},
        {"href=\"/a/one.html#part\"", "href=\"../a/one.html#part\""},
        {"href=two.html", "href=\"two.html\""},
        {"href=\"/q?a=1&amp;b=2\"", "href=\"../q/index_a_1_b_2.html\""},
        {"src = \"http://SITE.test:80/img/logo.png\"", "src = \"../img/logo.png\""},
        {"href=\"//site.test/dir/\"", "href=\"../dir/index.html\""},
    });
    CHECK(p.html == expected);
    CHECK(p.links == std::vector<std::string>{origin + "/a/one.html", origin + "/d/two.html", origin + "/q?a=1&b=2",
                                              origin + "/dir/"});
    CHECK(p.embedded ==  // as resolved: the host's case and the port kept
          std::vector<std::string>{origin + "/s.css", origin + "/d/js/app.js", "http://SITE.test:80/img/logo.png"});

    // A <base href> resolves the page's references; it is emptied, and the references it made
    // to another domain written out in full.
    const std::string based = "<base href=\"http://other.test/lib/\"><a href=\"x.html\">x</a><a href=\"/y.html\">y</a>"
                              "<base href=\"/ignored/\"><a href=\"http://site.test/z.html\">z</a>";
    const mirror::page b = mirror::rewrite(based, origin + "/", "site.test", "index.html");
    CHECK(b.html == "<base href=\"\"><a href=\"http://other.test/lib/x.html\">x</a>"
                    "<a href=\"http://other.test/y.html\">y</a><base href=\"/ignored/\"><a href=\"z.html\">z</a>");
    CHECK(b.links == std::vector<std::string>{origin + "/z.html"});
}

namespace {

/// the small site's pages, "$ORIGIN" and "$OUTSIDE" to be replaced.
const std::string index_page =
    "<!DOCTYPE html>\n<html><head><title>home</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\n"
    "<body id=\"top\">\n"
    "<a href=\"/a/one.html\">root-relative</a>\n"
    "<a href='a/two.html'>relative, single quotes</a>\n"
    "<a href=$ORIGIN/b/>absolute, unquoted</a>\n"
    "<a href=\"/b\">the same directory without its slash</a>\n"
    "<a href=\"#top\">fragment only</a>\n"
    "<a href=\"a/one.html#part\">with a fragment</a>\n"
    "<a href=\"$OUTSIDE/outside.html\">another domain</a>\n"
    "<a href=\"mailto:gopher@example.com\">mail</a>\n"
    "<a href=\"../../../../../etc/evil.html\">dot segments</a>\n"
    "<a href=\"/%2e%2e/%2e%2e/%2e%2e/escape1.html\">encoded dots</a>\n"
    "<a href=\"/a/..%2f..%2f..%2fescape2.html\">encoded slashes</a>\n"
    "<a href=\"/c/page.html?q=1&amp;r=../../x\">a query</a>\n"
    "<img src=\"img/logo.png\" alt=\"logo\">\n"
    "</body></html>\n";
const std::string one_page = "<p>one</p><a href=\"../\">home, a cycle</a> <a href=\"two.html\">two</a>\n";
const std::string two_page = "<p>two</p><a href=\"/a/one.html\">one</a> <img src=\"../img/logo.png\">\n";
const std::string b_page = "<p>b</p><a href=\"../c/page.html?q=1&amp;r=../../x\">q</a> <a href=\"deep/\">deeper</a>\n";
const std::string deep_page = "<p>deep</p><a href=\"../../\">home</a>\n";
const std::string query_page = "<p>a query</p>\n";
const std::string style = "body { color: black }\n";
const std::string logo("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\x00", 18);

std::map<std::string, file> small_site_files(const std::string& outside) {
    auto page = [&](const std::string& body) {
        std::string b = body;
        if (auto at = b.find("$OUTSIDE"); at != std::string::npos) b.replace(at, 8, outside);
        return file{"text/html; charset=utf-8", b};
    };
    return {{"/", page(index_page)},          {"/a/one.html", page(one_page)},  {"/a/two.html", page(two_page)},
            {"/b/", page(b_page)},            {"/b/deep/", page(deep_page)},    {"/c/page.html", page(query_page)},
            {"/style.css", {"text/css", style}}, {"/img/logo.png", {"image/png", logo}}};
}

const std::string query_file = "c/page_q_1_r_.._.._x.html";

}  // namespace

TEST_CASE("mirror copies a small site: files, rewritten links, the image, nothing outside it or of another domain") {
    crawl_site::site_server other;  // another domain: counts the requests made to it
    const std::string& other_origin = other.site_map().origin();  // "http://127.0.0.1:<port>"
    const std::string outside = "http://localhost:" + other_origin.substr(other_origin.rfind(':') + 1);
    small_site site(small_site_files(outside));
    const temp_root root;
    const fs::path dir = root.path() / "1/2/3/4/5/6/out";  // six levels: room for "../" to climb

    const run_result r = run_mirror({"-o", dir.string(), site.origin() + "/#intro"});
    INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());

    // Exactly these files, and nothing anywhere else below the root.
    const std::set<std::string> expected{"index.html",   "a/one.html", "a/two.html",  "b/index.html",
                                         "b/deep/index.html", query_file, "style.css", "img/logo.png",
                                         "etc/evil.html", "escape1.html", "a/.._.._.._escape2.html"};
    CHECK(files_below(dir) == expected);
    std::set<std::string> everywhere;
    for (const std::string& f : expected) everywhere.insert("1/2/3/4/5/6/out/" + f);
    CHECK(files_below(root.path()) == everywhere);

    // Each URL fetched once ("/b" and "/b/" are one file), printed once; none of the other domain.
    const std::vector<std::string> printed = lines_of(r.out);
    CHECK(printed.size() == expected.size());
    CHECK(std::set<std::string>(printed.begin(), printed.end()).size() == printed.size());
    CHECK(site.requests() == static_cast<int>(expected.size()));
    CHECK(other.requests() == 0);

    // The pages: their references to the site made relative, fragments kept, all else as served.
    CHECK(read_file(dir / "index.html") ==
          replaced(site.with_origin(small_site_files(outside).at("/").body),
                   {{"href=\"/style.css\"", "href=\"style.css\""},
                    {"href=\"/a/one.html\"", "href=\"a/one.html\""},
                    {"href='a/two.html'", "href=\"a/two.html\""},
                    {"href=" + site.origin() + "/b/>", "href=\"b/index.html\">"},
                    {"href=\"/b\"", "href=\"b/index.html\""},
                    {"href=\"a/one.html#part\"", "href=\"a/one.html#part\""},
                    {"href=\"../../../../../etc/evil.html\"", "href=\"etc/evil.html\""},
                    {"href=\"/%2e%2e/%2e%2e/%2e%2e/escape1.html\"", "href=\"escape1.html\""},
                    {"href=\"/a/..%2f..%2f..%2fescape2.html\"", "href=\"a/.._.._.._escape2.html\""},
                    {"href=\"/c/page.html?q=1&amp;r=../../x\"", "href=\"" + query_file + "\""}}));
    // Untouched: the other domain, the mail link, the fragment.
    const std::string home = read_file(dir / "index.html");
    CHECK(home.find("<a href=\"" + outside + "/outside.html\">") != std::string::npos);
    CHECK(home.find("<a href=\"mailto:gopher@example.com\">") != std::string::npos);
    CHECK(home.find("<a href=\"#top\">") != std::string::npos);
    CHECK(read_file(dir / "a/one.html") ==
          "<p>one</p><a href=\"../index.html\">home, a cycle</a> <a href=\"two.html\">two</a>\n");
    CHECK(read_file(dir / "a/two.html") == "<p>two</p><a href=\"one.html\">one</a> <img src=\"../img/logo.png\">\n");
    CHECK(read_file(dir / "b/index.html") ==
          "<p>b</p><a href=\"../" + query_file + "\">q</a> <a href=\"deep/index.html\">deeper</a>\n");
    CHECK(read_file(dir / "b/deep/index.html") == "<p>deep</p><a href=\"../../index.html\">home</a>\n");
    CHECK(read_file(dir / query_file) == query_page);
    CHECK(read_file(dir / "style.css") == style);
    CHECK(read_file(dir / "img/logo.png") == logo);
}

TEST_CASE("mirror -depth N follows links N deep, and brings each page's image and style sheet") {
    small_site site(small_site_files("http://localhost:1"));
    const temp_root root;
    const std::set<std::string> embedded{"style.css", "img/logo.png"};
    {
        const run_result r = run_mirror({"-depth", "0", "-o", (root.path() / "d0").string(), site.origin() + "/"});
        INFO("stderr:\n" << r.err);
        REQUIRE(r.status == 0);
        CHECK(files_below(root.path() / "d0") == std::set<std::string>{"index.html", "style.css", "img/logo.png"});
        // The links are rewritten all the same (to files this mirror does not have).
        CHECK(read_file(root.path() / "d0/index.html").find("<a href=\"a/one.html\">") != std::string::npos);
    }
    {
        const run_result r = run_mirror({"-depth=1", "-o", (root.path() / "d1").string(), site.origin() + "/"});
        INFO("stderr:\n" << r.err);
        REQUIRE(r.status == 0);
        CHECK(files_below(root.path() / "d1") ==
              std::set<std::string>{"index.html", "a/one.html", "a/two.html", "b/index.html", query_file, "style.css",
                                    "img/logo.png", "etc/evil.html", "escape1.html", "a/.._.._.._escape2.html"});
    }
}

TEST_CASE("mirror of the crawlers' generated site: every page saved, every local link leads to a file, "
          "at most -concurrency requests in flight") {
    crawl_site::site_server server;
    server.set_delay(2ms);  // so that requests pile up
    const crawl_site::site& site = server.site_map();
    const std::string domain = mirror::parse_url(site.origin())->domain;
    // The files: the reachable URLs of the domain that the server has (a redirect saves its
    // target's page), and none for the broken link.
    std::set<std::string> expected;
    for (const std::string& url : site.reachable())
        if (const auto u = mirror::parse_url(url); u && u->domain == domain && url != site.missing_url())
            expected.insert(mirror::local_path(*u));
    REQUIRE(expected.size() > 300);
    // The references no file answers: the broken link, and each page's style sheet and image.
    const std::set<std::string> missing{"missing.html", "style.css", "logo.png"};

    for (const int concurrency : {20, 2}) {
        INFO("-concurrency " << concurrency);
        server.reset_counts();
        const temp_root root;
        const fs::path dir = root.path() / "out";
        const run_result r =
            run_mirror({"-concurrency", std::to_string(concurrency), "-o", dir.string(), server.start_url()});
        REQUIRE(r.status == 0);
        CHECK(files_below(dir) == expected);
        CHECK(server.max_in_flight() <= concurrency);
        std::printf("mirror -concurrency %d: %zu files, %d requests, at most %d in flight\n", concurrency,
                    expected.size(), server.requests(), server.max_in_flight());

        // Errors: the three missing resources, each once, in Go's words; nothing else.
        std::multiset<std::string> errors;
        const std::regex stamp(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d getting (.*): 404 Not Found)");
        for (const std::string& line : lines_of(r.err)) {
            std::smatch m;
            errors.insert(std::regex_match(line, m, stamp) ? m[1].str() : "other: " + line);
        }
        CHECK(errors ==
              std::multiset<std::string>{site.missing_url(), site.origin() + "/style.css",
                                         site.origin() + "/logo.png"});

        // Every href and src in a saved page: another domain's, or a file of the mirror (or one
        // the server does not have).
        const std::regex ref(R"#((?:href|src)="([^"]*)")#");
        int local_refs = 0;
        for (const std::string& f : expected) {
            if (!f.ends_with(".html")) continue;
            const std::string html = read_file(dir / f);
            for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator(); ++it) {
                const std::string target = (*it)[1].str();
                if (target.empty() || target.starts_with("#") || target.starts_with("http://") ||
                    target.starts_with("mailto:")) {
                    CHECK_FALSE(target.starts_with(site.origin() + "/"));  // a link to the site left absolute
                    continue;
                }
                const std::string file = target.substr(0, target.find('#'));
                INFO(f << ": " << target);
                const fs::path at = (dir / f).parent_path() / file;
                const std::string rel = at.lexically_normal().lexically_relative(dir).string();
                CHECK((fs::is_regular_file(at) || missing.count(rel) == 1));
                ++local_refs;
            }
        }
        CHECK(local_refs > 1000);
    }
}

TEST_CASE("mirror refuses a body over 32 MB with its URL, and writes nothing for it") {
    crawl_site::site_server server;
    const temp_root root;
    const std::string url = server.site_map().origin() + "/big.bin";
    const gocsp_test::measured_run run =
        gocsp_test::run_measured(gocsp_test::example_path("mirror"), {"-o", (root.path() / "out").string(), url}, 120s);
    std::printf("mirror %s: exit %d, %.2f s, peak RSS %ld KiB\n", url.c_str(), run.status, run.seconds,
                run.peak_rss / 1024);
    INFO("stderr:\n" << run.err);
    REQUIRE(run.status == 0);
    CHECK(run.out == url + "\n");
    const std::vector<std::string> errors = lines_of(run.err);
    REQUIRE(errors.size() == 1);
    CHECK(is_log_line(errors[0], "getting " + url + ": body larger than 32 MB"));
    CHECK(files_below(root.path()).empty());
    CHECK(server.streamed_bytes() < crawl_site::big_body_bytes / 4);
}

TEST_CASE("mirror's usage errors exit with status 2, a URL that is not http(s) with status 1") {
    const temp_root root;
    const std::string dir = (root.path() / "out").string();
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{}, {"http://a.test/", "http://b.test/"}, {"-concurrency", "0", "http://a.test/"}}) {
        const run_result r = run_mirror(args);
        CHECK(r.status == 2);
        CHECK(r.err.find("Usage of ") != std::string::npos);
        CHECK(r.out.empty());
    }
    const run_result r = run_mirror({"-o", dir, "ftp://a.test/"});
    CHECK(r.status == 1);
    const std::vector<std::string> errors = lines_of(r.err);
    REQUIRE(errors.size() == 1);
    CHECK(is_log_line(errors[0], "Get \"ftp://a.test/\": unsupported protocol scheme \"ftp\""));
    CHECK_FALSE(fs::exists(dir));
}
