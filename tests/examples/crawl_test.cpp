// Tests of the web crawlers (examples/crawl1.cpp, crawl2.cpp, crawl3.cpp): each crawls a
// generated site served by a gocsp HTTP server in this process (site_server.hpp) and must print
// every URL it can reach exactly once - checked against the set computed from the site - log
// the broken links as Go's log.Print does and go on; crawl2 must end by itself and never have
// more than 20 requests in flight; -depth must stop where the site's own breadth-first search
// stops. Every page of the site also has references with a fragment or an empty path, which
// must lead to pages, never to their directories.
//
// Hostile answers and arguments: a 512 MB body that is not HTML must be abandoned at its first
// bytes and an HTML one cut at 32 MB with an error naming the URL, the crawler's peak RSS
// staying small (measured with wait4); an argument without an http(s) scheme is refused with
// Go's message; and every example program answers -h and -help with Go's usage.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "../support/process.hpp"
#include "site_server.hpp"

namespace {

using namespace std::chrono_literals;
using gocsp_test::process;

/// crawl_output: what one run of a crawler printed.
struct crawl_output {
    std::vector<std::string> urls;    // stdout, line by line
    std::vector<std::string> errors;  // stderr, line by line (up to a deadlock report)
    std::optional<int> status;        // exit status, or nullopt if it had to be killed
    double seconds = 0;               // from start to the end of its output
};

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// run_crawler: runs examples/<name> with args. A program that ends (crawl2) is read to its
/// end. One that never does (crawl1, crawl3: their main loop waits for ever, until the runtime
/// reports the deadlock) is read until it has printed every URL of `expected`, given a moment to
/// print more - which would be a failure - then killed if it has not ended.
crawl_output run_crawler(const std::string& name, const std::vector<std::string>& args,
                         const std::set<std::string>& expected, bool ends) {
    const auto t0 = std::chrono::steady_clock::now();
    process p(gocsp_test::example_path(name), args);
    crawl_output out;
    if (ends) {
        out.status = p.wait(240s);
        out.urls = split_lines(p.take(process::out));
    } else {
        std::set<std::string> missing = expected;
        while (!missing.empty()) {
            const auto line = p.read_line(60s);
            if (!line) break;  // ended, or stuck: the checks will tell
            out.urls.push_back(*line);
            missing.erase(*line);
        }
        out.status = p.wait(3s);
        if (!out.status) {
            p.kill(SIGKILL);
            p.wait(10s);
        }
        for (auto& line : split_lines(p.take(process::out))) out.urls.push_back(line);
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto& line : split_lines(p.take(process::err))) {
        if (line.starts_with("fatal error: all goroutines are asleep - deadlock!")) break;  // and its dump
        out.errors.push_back(line);
    }
    return out;
}

/// check_urls: every URL of expected printed, exactly once, and nothing else.
void check_urls(const crawl_output& out, const std::set<std::string>& expected) {
    const std::set<std::string> printed(out.urls.begin(), out.urls.end());
    std::vector<std::string> missing, extra;
    std::set_difference(expected.begin(), expected.end(), printed.begin(), printed.end(), std::back_inserter(missing));
    std::set_difference(printed.begin(), printed.end(), expected.begin(), expected.end(), std::back_inserter(extra));
    INFO("printed " << out.urls.size() << " lines, " << printed.size() << " distinct; expected " << expected.size());
    INFO("missing: " << missing.size() << (missing.empty() ? "" : " e.g. " + missing.front()));
    INFO("extra: " << extra.size() << (extra.empty() ? "" : " e.g. " + extra.front()));
    CHECK(missing.empty());
    CHECK(extra.empty());
    CHECK(out.urls.size() == printed.size());  // no URL twice
}

/// rss_slack_kb: what a sanitizer adds to a crawler's peak RSS (shadow memory, quarantine:
/// measured 31-68 MB for the octet-stream case under ASan), on top of the bounds below.
#ifdef GOCSP_TEST_SANITIZED
constexpr long rss_slack_kb = 100 * 1024;
#else
constexpr long rss_slack_kb = 0;
#endif

/// log_line: the regex of a line of Go's log.Print: the time stamp, message (literally), then
/// what the regex tail matches.
std::regex log_line(const std::string& message, const std::string& tail = "") {
    static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
    return std::regex(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )" + std::regex_replace(message, special, R"(\$&)") + tail);
}

/// check_errors: stderr holds exactly the errors of the two broken links and of the mailto:
/// link, each once, in Go's words.
void check_errors(const crawl_output& out, const crawl_site::site& site) {
    INFO("stderr:\n" << [&] {
        std::string all;
        for (auto& e : out.errors) all += e + "\n";
        return all;
    }());
    const std::regex not_found = log_line("getting " + site.missing_url() + ": 404 Not Found");
    const std::regex refused = log_line("Get \"" + site.refused_url() + "\": ", ".+");
    const std::regex mailto = log_line("Get \"" + site.mailto_url() + "\": unsupported protocol scheme \"mailto\"");
    int n404 = 0, nrefused = 0, nmailto = 0, other = 0;
    for (const auto& e : out.errors) {
        if (std::regex_match(e, not_found)) ++n404;
        else if (std::regex_match(e, refused)) ++nrefused;
        else if (std::regex_match(e, mailto)) ++nmailto;
        else ++other;
    }
    CHECK(n404 == 1);
    CHECK(nrefused == 1);
    CHECK(nmailto == 1);
    CHECK(other == 0);
}

}  // namespace

TEST_CASE("crawl2 prints every reachable URL once, logs broken links, keeps 20 requests in flight and ends") {
    crawl_site::site_server server;
    server.set_delay(5ms);  // so that requests pile up
    const auto expected = server.site_map().reachable();
    REQUIRE(expected.size() > 300);

    const crawl_output out = run_crawler("crawl2", {server.start_url()}, expected, true);
    REQUIRE(out.status.has_value());  // it terminated by itself
    CHECK(*out.status == 0);
    check_urls(out, expected);
    check_errors(out, server.site_map());
    std::printf("crawl2: %zu URLs in %.2f s, %d requests, at most %d in flight\n", out.urls.size(), out.seconds,
                server.requests(), server.max_in_flight());
    CHECK(server.max_in_flight() <= 20);
    CHECK(server.max_in_flight() >= 1);
}

// check_endless: runs crawl1 or crawl3, which never end by themselves, over the whole site.
static void check_endless(const std::string& name, int max_in_flight) {
    crawl_site::site_server server;
    server.set_delay(5ms);
    const auto expected = server.site_map().reachable();

    const crawl_output out = run_crawler(name, {server.start_url()}, expected, false);
    check_urls(out, expected);
    check_errors(out, server.site_map());
    std::printf("%s: %zu URLs, %d requests, at most %d in flight, %s\n", name.c_str(), out.urls.size(),
                server.requests(), server.max_in_flight(),
                out.status ? ("exit status " + std::to_string(*out.status)).c_str() : "killed");
    CHECK(server.max_in_flight() <= max_in_flight);
    if (out.status) CHECK(*out.status == 2);  // the runtime's deadlock report, as in Go
}

TEST_CASE("crawl3 prints every reachable URL once with 20 crawlers, and logs broken links") {
    check_endless("crawl3", 20);
}

TEST_CASE("crawl1 prints every reachable URL once, and logs broken links") {
    check_endless("crawl1", 1 << 20);  // no limit
}

TEST_CASE("crawl2 and crawl3 with -depth N visit exactly the URLs at most N links away (Exercise 8.6)") {
    crawl_site::site_server server;
    server.set_delay(1ms);  // some slowness, so that long paths can overtake short ones
    for (int depth : {0, 1, 2, 3}) {
        const auto expected = server.site_map().reachable(depth);
        {
            INFO("crawl2 -depth " << depth << ": " << expected.size() << " URLs expected");
            const crawl_output out = run_crawler("crawl2", {"-depth", std::to_string(depth), server.start_url()}, expected, true);
            REQUIRE(out.status.has_value());
            CHECK(*out.status == 0);
            check_urls(out, expected);
        }
        if (depth == 2 || depth == 3) {
            INFO("crawl3 -depth " << depth << ": " << expected.size() << " URLs expected");
            const crawl_output out = run_crawler("crawl3", {"-depth=" + std::to_string(depth), server.start_url()}, expected, false);
            check_urls(out, expected);
        }
    }
    // The limit really cuts: each level adds URLs, and the whole site is bigger still.
    CHECK(server.site_map().reachable(0).size() == 1);
    CHECK(server.site_map().reachable(2).size() < server.site_map().reachable(3).size());
    CHECK(server.site_map().reachable(3).size() < server.site_map().reachable().size());
}

TEST_CASE("crawl2 with -concurrency 1 makes one request at a time, and 20 tokens crawl faster (measured)") {
    crawl_site::site_server server;
    constexpr auto delay = 20ms;
    server.set_delay(delay);
    const auto expected = server.site_map().reachable();

    const crawl_output one = run_crawler("crawl2", {"-concurrency", "1", server.start_url()}, expected, true);
    REQUIRE(one.status == 0);
    check_urls(one, expected);
    const int one_requests = server.requests(), one_max = server.max_in_flight();
    CHECK(one_max == 1);
    // One at a time, each request waits out the delay: a lower bound, not a timing guess.
    CHECK(one.seconds >= one_requests * std::chrono::duration<double>(delay).count());

    server.reset_counts();
    const crawl_output twenty = run_crawler("crawl2", {server.start_url()}, expected, true);
    REQUIRE(twenty.status == 0);
    check_urls(twenty, expected);
    CHECK(server.max_in_flight() <= 20);
    std::printf("crawl2 with a %lld ms delay per request, %zu URLs: -concurrency 1: %.2f s (%d requests, max %d in "
                "flight); -concurrency 20: %.2f s (%d requests, max %d in flight); speed-up %.1fx\n",
                static_cast<long long>(delay.count()), expected.size(), one.seconds, one_requests, one_max,
                twenty.seconds, server.requests(), server.max_in_flight(), one.seconds / twenty.seconds);
}

/// thread_count: the number of threads of process pid (from /proc), or 0 once it is gone.
int thread_count(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
    return 0;
}

TEST_CASE("crawl2's requests wait on the poller, not a thread each: 20 in flight on a handful of threads") {
    // Each answer takes 100 ms, so the crawl keeps its 20 tokens busy for seconds. A request
    // that held a thread while it waited (as with gocsp::blocking) would need 20 threads.
    crawl_site::site_server server;
    server.set_delay(100ms);
    const auto expected = server.site_map().reachable();
    process p(gocsp_test::example_path("crawl2"), {server.start_url()});
    int most_threads = 0;
    std::optional<int> status;
    while (!(status = p.wait(10ms))) most_threads = std::max(most_threads, thread_count(p.pid()));
    crawl_output out;
    out.urls = split_lines(p.take(process::out));
    REQUIRE(*status == 0);
    check_urls(out, expected);
    // The main thread, the workers (GOCSP_MAXPROCS, or one per core), sysmon, the spare workers
    // that may stand in (twice the workers) and a little slack.
    const char* maxprocs = std::getenv("GOCSP_MAXPROCS");
    const int workers = maxprocs ? std::atoi(maxprocs) : static_cast<int>(std::thread::hardware_concurrency());
    std::printf("most threads: %d, most in flight: %d\n", most_threads, server.max_in_flight());
    INFO("most threads: " << most_threads << "; most requests in flight: " << server.max_in_flight());
    CHECK(server.max_in_flight() >= 16);
    CHECK(most_threads <= 4 + 3 * workers);
}

TEST_CASE("crawl2 takes href=\"#top\", \"\" and \"#\" for the page itself, never its directory, and drops fragments") {
    crawl_site::site_server server;
    const crawl_site::site& site = server.site_map();
    // Pages 4, 5, 6 and 7 link to themselves with "#top", "", "#", and to page 8 with "#part";
    // the arguments carry fragments too. -depth 1: the pages and what they link to.
    std::vector<std::string> args{"-depth", "1"};
    std::set<std::string> expected;
    for (int i = 4; i <= 7; ++i) {
        const std::string path = "/d" + std::to_string(i) + "/p" + std::to_string(i) + ".html";
        args.push_back(site.origin() + path + "#intro");
        expected.insert(site.origin() + path);
        const crawl_site::resource* page = site.find(path);
        REQUIRE(page);
        expected.insert(page->links.begin(), page->links.end());
    }
    const crawl_output out = run_crawler("crawl2", args, expected, true);
    REQUIRE(out.status == 0);
    check_urls(out, expected);
    // No directory was fetched: the only error can be page 5's link to /missing.html.
    const std::regex not_found = log_line("getting " + site.missing_url() + ": 404 Not Found");
    for (const std::string& e : out.errors) CHECK(std::regex_match(e, not_found));
}

TEST_CASE("crawl2 stops a body that is not HTML at once: 512 MB of octet-stream, small peak RSS") {
    crawl_site::site_server server;
    const std::string url = server.site_map().origin() + "/big.bin";
    const gocsp_test::measured_run run = gocsp_test::run_measured(gocsp_test::example_path("crawl2"), {url}, 120s);
    std::printf("crawl2 %s: exit %s, %.2f s, peak RSS %ld KiB, %lld of %lld bytes sent\n", url.c_str(),
                run.status >= 0 ? std::to_string(run.status).c_str() : "killed", run.seconds, run.peak_rss / 1024,
                static_cast<long long>(server.streamed_bytes()), static_cast<long long>(crawl_site::big_body_bytes));
    INFO("stderr:\n" << run.err);
    REQUIRE(run.status == 0);  // it finished, by itself
    CHECK(run.out == url + "\n");
    CHECK(run.err.empty());      // no links, and no error: the body is simply not parsed
    CHECK(run.peak_rss / 1024 < 100 * 1024 + rss_slack_kb);
    CHECK(server.streamed_bytes() < crawl_site::big_body_bytes / 4);
}

TEST_CASE("crawl2 cuts an HTML body at 32 MB and reports it with its URL, in bounded memory") {
    crawl_site::site_server server;
    const std::string url = server.site_map().origin() + "/big.html";
    const gocsp_test::measured_run run = gocsp_test::run_measured(gocsp_test::example_path("crawl2"), {url}, 120s);
    std::printf("crawl2 %s: exit %s, %.2f s, peak RSS %ld KiB, %lld of %lld bytes sent\n", url.c_str(),
                run.status >= 0 ? std::to_string(run.status).c_str() : "killed", run.seconds, run.peak_rss / 1024,
                static_cast<long long>(server.streamed_bytes()), static_cast<long long>(crawl_site::big_body_bytes));
    INFO("stderr:\n" << run.err);
    REQUIRE(run.status == 0);
    CHECK(run.out == url + "\n");
    const std::vector<std::string> errors = split_lines(run.err);
    REQUIRE(errors.size() == 1);
    CHECK(std::regex_match(errors[0], log_line("getting " + url + ": body larger than 32 MB")));
    CHECK(run.peak_rss / 1024 < 200 * 1024 + rss_slack_kb);
    CHECK(server.streamed_bytes() < crawl_site::big_body_bytes / 4);
}

TEST_CASE("crawl1, crawl2 and crawl3 refuse an argument without an http(s) scheme with Go's message") {
    crawl_site::site_server server;
    const std::string host_port = server.site_map().origin().substr(std::string("http://").size());  // "127.0.0.1:<port>"
    const std::string port = host_port.substr(host_port.rfind(':') + 1);
    // Go 1.19's http.Get(arg), as log.Print prints it.
    const std::vector<std::pair<std::string, std::string>> cases{
        {"example.invalid/", "Get \"example.invalid/\": unsupported protocol scheme \"\""},
        {host_port + "/", "parse \"" + host_port + "/\": first path segment in URL cannot contain colon"},
        {"localhost:" + port + "/", "Get \"localhost:" + port + "/\": unsupported protocol scheme \"localhost\""},
        {"ftp://127.0.0.1:" + port + "/", "Get \"ftp://127.0.0.1:" + port + "/\": unsupported protocol scheme \"ftp\""},
        {":foo", "parse \":foo\": missing protocol scheme"},
    };
    for (const std::string name : {"crawl1", "crawl2", "crawl3"}) {
        for (const auto& [arg, message] : cases) {
            INFO(name << " " << arg);
            const crawl_output out = run_crawler(name, {arg}, {arg}, name == "crawl2");
            CHECK(out.urls == std::vector<std::string>{arg});  // printed, then refused: no page fetched
            REQUIRE(out.errors.size() == 1);
            CHECK(std::regex_match(out.errors[0], log_line(message)));
        }
    }
    CHECK(server.requests() == 0);
}

TEST_CASE("Every example program answers -h and -help with Go's usage and exit status 0") {
    const std::string dir = gocsp_test::example_path("");
    std::vector<std::string> programs;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            struct stat st {};
            const std::string path = dir + e->d_name;
            if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR)) programs.push_back(e->d_name);
        }
        ::closedir(d);
    }
    std::sort(programs.begin(), programs.end());
    INFO(programs.size() << " programs in " << dir);
    for (const char* must : {"crawl1", "crawl2", "crawl3", "pipeline1", "demo"})
        CHECK(std::find(programs.begin(), programs.end(), must) != programs.end());
    for (const std::string& name : programs) {
        for (const char* flag : {"-h", "-help", "--help"}) {
            INFO(name << " " << flag);
            process p(gocsp_test::example_path(name), {flag});
            p.close_stdin();
            const std::optional<int> status = p.wait(30s);
            if (!status) p.kill(SIGKILL);
            CHECK(status == 0);
            CHECK(p.take(process::out).empty());
            const std::string err = p.take(process::err);
            CHECK(err.starts_with("Usage of " + gocsp_test::example_path(name) + ":\n"));
        }
    }
}
