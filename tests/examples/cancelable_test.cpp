// Tests of crawl4 (Exercise 8.10) and fetchfirst (Exercise 8.11), which cancel their requests
// in flight through a context (examples/crawl/cancelable.hpp). Both run against hang_server, a
// gocsp HTTP server in this process whose /hang/ pages never answer: a program that waited its
// requests out would never end. So "ends at all (within a generous bound)" is the check that
// the requests were cancelled; the server also sees each hanging connection closed.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "../support/process.hpp"

namespace {

using namespace std::chrono_literals;
using gocsp_test::process;

/// hang_server: HTTP on 127.0.0.1. /start is an HTML page linking to /hang/1 ... /hang/<n>;
/// /fast an HTML page at once; /hang/<i> never answers: it waits for the client to close the
/// connection, counting hung() when it starts waiting and closed() when the client went.
class hang_server {
public:
    explicit hang_server(int hang_pages) : s_(std::make_shared<state>()) {
        s_->ln = gocsp::net::listen("tcp", "127.0.0.1:0");
        s_->pages = hang_pages;
        s_->running.add(1);
        gocsp::go([s = s_] { s->accept_loop(); });
    }
    ~hang_server() {
        s_->ln.close();
        {
            std::lock_guard<std::mutex> hold(s_->mu);
            for (auto& c : s_->conns) c.close();
        }
        s_->running.wait();
    }
    std::string url(const std::string& path) const { return "http://" + s_->ln.addr() + path; }
    int hung() const { return s_->hung.load(); }
    int closed() const { return s_->closed.load(); }

private:
    struct state {
        gocsp::net::listener ln;
        int pages = 0;
        std::atomic<int> hung{0}, closed{0};
        std::mutex mu;  // protects conns
        std::vector<gocsp::net::conn> conns;
        gocsp::wait_group running;

        void accept_loop() {
            for (;;) {
                gocsp::net::conn c;
                try {
                    c = ln.accept();
                } catch (const gocsp::net::error&) {
                    break;  // closed
                }
                {
                    std::lock_guard<std::mutex> hold(mu);
                    conns.push_back(c);
                }
                running.add(1);
                gocsp::go([this, c] {
                    try {
                        serve(c);
                    } catch (const gocsp::net::error&) {  // the client went, or the test ended
                    }
                    c.close();
                    running.done();
                });
            }
            running.done();
        }
        void serve(const gocsp::net::conn& c) {
            std::string head;
            char buf[4096];
            while (head.find("\r\n\r\n") == std::string::npos) {
                const std::size_t n = c.read(buf);
                if (n == 0) return;
                head.append(buf, n);
            }
            const auto sp = head.find(' ');
            const std::string path = head.substr(sp + 1, head.find(' ', sp + 1) - sp - 1);
            if (path.starts_with("/hang/")) {
                hung.fetch_add(1);
                while (c.read(buf) > 0) {
                }
                closed.fetch_add(1);
                return;
            }
            std::string body;
            if (path == "/start") {
                body = "<html><body>";
                for (int i = 1; i <= pages; ++i) body += "<a href=\"/hang/" + std::to_string(i) + "\">x</a>";
                body += "</body></html>";
            } else if (path == "/fast") {
                body = "<html><body>fast answer</body></html>\n";
            }
            const std::string status = body.empty() ? "404 Not Found" : "200 OK";
            c.write("HTTP/1.1 " + status + "\r\nContent-Type: text/html\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        }
    };
    std::shared_ptr<state> s_;
};

/// wait_until: polls cond every 10 ms for up to `limit`; whether it became true.
template <class F>
bool wait_until(F cond, std::chrono::seconds limit) {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
        if (cond()) return true;
        gocsp::sleep_for(10ms);
    }
    return cond();
}

}  // namespace

TEST_CASE("crawl4 stops at once, aborting its requests in flight, when stdin closes or a line comes") {
    constexpr int pages = 5;
    hang_server server(pages);
    process p(gocsp_test::example_path("crawl4"), {server.url("/start")});
    // /start is printed and fetched, then every /hang/ page is printed and requested.
    REQUIRE(p.read_line(60s) == server.url("/start"));
    REQUIRE(wait_until([&] { return server.hung() == pages; }, 60s));

    SECTION("stdin closes") { p.close_stdin(); }
    SECTION("a line is typed") { REQUIRE(p.write("\n")); }

    const auto status = p.wait(60s);  // without cancellation: never (the pages never answer)
    REQUIRE(status == 0);
    const std::string out = p.take(process::out);
    const std::string err = p.take(process::err);
    INFO("stdout:\n" << out << "stderr:\n" << err);
    for (int i = 1; i <= pages; ++i) CHECK(out.find(server.url("/hang/" + std::to_string(i))) != std::string::npos);
    CHECK(err.find("crawl canceled") != std::string::npos);
    CHECK(err.find("context canceled") == std::string::npos);  // a cancellation is no page's error
    REQUIRE(wait_until([&] { return server.closed() == pages; }, 30s));
}

TEST_CASE("crawl4 ends by itself when the crawl is done") {
    hang_server server(0);
    process p(gocsp_test::example_path("crawl4"), {server.url("/start"), server.url("/fast")});
    REQUIRE(p.wait(60s) == 0);  // stdin left open: the crawl's own end ends it
    const std::string out = p.take(process::out);
    const bool both = out == server.url("/start") + "\n" + server.url("/fast") + "\n" ||
                      out == server.url("/fast") + "\n" + server.url("/start") + "\n";
    CHECK(both);
    CHECK(p.take(process::err).empty());
}

TEST_CASE("fetchfirst prints the first answer and cancels the others") {
    hang_server server(0);
    process p(gocsp_test::example_path("fetchfirst"),
              {server.url("/hang/1"), server.url("/fast"), server.url("/hang/2")});
    const auto status = p.wait(60s);  // without cancellation: never
    const std::string out = p.take(process::out);
    const std::string err = p.take(process::err);
    INFO("stdout:\n" << out << "stderr:\n" << err);
    REQUIRE(status == 0);
    CHECK(out == "<html><body>fast answer</body></html>\n");
    CHECK(err == "fetchfirst: " + server.url("/fast") + " answered first: 200 OK\n");
    // The hanging requests that reached the server were dropped by the client.
    REQUIRE(wait_until([&] { return server.closed() == server.hung(); }, 30s));
}

TEST_CASE("fetchfirst with every request failing exits 1 and logs each") {
    process p(gocsp_test::example_path("fetchfirst"), {"nothing:/x", "http://127.0.0.1:1/"});
    REQUIRE(p.wait(60s) == 1);
    const std::string err = p.take(process::err);
    INFO(err);
    CHECK(err.find("Get \"nothing:/x\": unsupported protocol scheme \"nothing\"") != std::string::npos);
    CHECK(err.find("Get \"http://127.0.0.1:1/\": ") != std::string::npos);
    CHECK(err.find("answered first") == std::string::npos);
}
