// Tests of the web crawlers (examples/crawl1.cpp, crawl2.cpp, crawl3.cpp): each crawls a
// generated site served by a gocsp HTTP server in this process (site_server.hpp) and must print
// every URL it can reach exactly once - checked against the set computed from the site - log
// the broken links as Go's log.Print does and go on; crawl2 must end by itself and never have
// more than 20 requests in flight; -depth must stop where the site's own breadth-first search
// stops.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <regex>
#include <set>
#include <sstream>
#include <string>
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

/// log_line: the regex of a line of Go's log.Print: the time stamp, message (literally), then
/// what the regex tail matches.
std::regex log_line(const std::string& message, const std::string& tail = "") {
    static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
    return std::regex(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )" + std::regex_replace(message, special, R"(\$&)") + tail);
}

/// check_errors: stderr holds exactly the two broken links' errors, each once, in Go's words.
void check_errors(const crawl_output& out, const crawl_site::site& site) {
    INFO("stderr:\n" << [&] {
        std::string all;
        for (auto& e : out.errors) all += e + "\n";
        return all;
    }());
    const std::regex not_found = log_line("getting " + site.missing_url() + ": 404 Not Found");
    const std::regex refused = log_line("Get \"" + site.refused_url() + "\": ", ".+");
    int n404 = 0, nrefused = 0, other = 0;
    for (const auto& e : out.errors) {
        if (std::regex_match(e, not_found)) ++n404;
        else if (std::regex_match(e, refused)) ++nrefused;
        else ++other;
    }
    CHECK(n404 == 1);
    CHECK(nrefused == 1);
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
