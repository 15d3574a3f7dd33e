// Network: listen, dial, accept, read, write, half-close, deadlines, errors, many connections,
// plain threads, idle cost. Loopback addresses only (127.0.0.1 and ::1).
#include <gocsp/gocsp.hpp>

#include <catch2/catch.hpp>

#include "support/helpers.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace net = gocsp::net;
namespace io = gocsp::io;
using steady = std::chrono::steady_clock;

using gocsp_test::in_goroutine;
using gocsp_test::os_tid;
using gocsp_test::process_cpu_seconds;

namespace {

// echo_server: accepts on ln until it is closed; each connection echoes until its end of stream.
void echo_server(net::listener ln) {
    gocsp::go([ln] {
        for (;;) {
            net::conn c;
            try {
                c = ln.accept();
            } catch (const net::error& e) {
                if (e.kind() == net::error_kind::closed) return;
                throw;
            }
            gocsp::go([c] {
                try {
                    io::copy(c, c);
                } catch (const net::error&) {  // the client reset or the test closed it
                }
                c.close();
            });
        }
    });
}

// expect: throws if !ok. Code that runs in several goroutines or threads at once uses this, not
// Catch's macros (which are not thread-safe); the failure reaches the test through in_goroutine.
void expect(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error("expectation failed: " + what);
}

// read_exactly: n bytes from c; throws if the stream ends first.
std::string read_exactly(const net::conn& c, std::size_t n) {
    std::string s(n, '\0');
    expect(io::read_full(c, s) == n, "the stream ended early");
    return s;
}

// expect_error: runs f, which must throw net::error of kind k; returns its message.
template <class F>
std::string expect_error(net::error_kind k, F f) {
    try {
        f();
    } catch (const net::error& e) {
        INFO(e.what());
        CHECK(net::to_string(e.kind()) == std::string(net::to_string(k)));
        return e.what();
    }
    FAIL("no net::error thrown");
    return "";
}

bool ipv6_loopback_works() {
    try {
        net::listen("tcp6", "[::1]:0").close();
        return true;
    } catch (const net::error&) {
        return false;
    }
}

void raise_fd_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

}  // namespace

TEST_CASE("echo round trips from goroutines and from plain threads") {
    auto ln = net::listen("tcp", "127.0.0.1:0");
    REQUIRE(ln.addr().rfind("127.0.0.1:", 0) == 0);
    REQUIRE(ln.addr() != "127.0.0.1:0");
    echo_server(ln);

    auto round_trips = [&](int rounds) {  // runs in several threads and goroutines at once
        auto c = net::dial("tcp", ln.addr());
        expect(c.remote_addr() == ln.addr(), "remote_addr");
        expect(c.local_addr().rfind("127.0.0.1:", 0) == 0, "local_addr");
        for (int i = 0; i < rounds; ++i) {
            std::string msg = "message " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 200), 'x');
            c.write(msg);
            expect(read_exactly(c, msg.size()) == msg, "echo");
        }
        c.close_write();
        char b[8];
        expect(c.read(b) == 0, "end of stream");  // the server saw our end and closed
        expect(c.close(), "close");
        expect(!c.close(), "close twice does nothing");
    };
    SECTION("goroutines") {
        in_goroutine([&] { round_trips(1000); });
    }
    SECTION("the main thread") {
        round_trips(1000);
    }
    SECTION("std::threads and goroutines at once") {
        std::atomic<int> goroutine_failures{0};
        std::vector<std::thread> threads;
        std::vector<std::exception_ptr> failures(4);
        for (int i = 0; i < 4; ++i)
            threads.emplace_back([&, i] {
                try {
                    round_trips(300);
                } catch (...) {
                    failures[static_cast<std::size_t>(i)] = std::current_exception();
                }
            });
        in_goroutine([&] {
            gocsp::wait_group wg;
            for (int i = 0; i < 4; ++i) {
                wg.add(1);
                gocsp::go([&] {
                    try {
                        round_trips(300);
                    } catch (...) {
                        ++goroutine_failures;
                    }
                    wg.done();
                });
            }
            wg.wait();
        });
        for (auto& t : threads) t.join();
        for (auto& f : failures)
            if (f) std::rethrow_exception(f);
        REQUIRE(goroutine_failures == 0);
    }
    SECTION("IPv6 loopback and localhost") {
        auto local = net::listen("tcp", "localhost:0");
        REQUIRE(local.addr().rfind("127.0.0.1:", 0) == 0);
        echo_server(local);
        auto port = local.addr().substr(local.addr().rfind(':') + 1);
        in_goroutine([&] {
            auto c = net::dial("tcp", "localhost:" + port);
            c.write("hi");
            REQUIRE(read_exactly(c, 2) == "hi");
        });
        local.close();
        if (!ipv6_loopback_works()) {
            WARN("no IPv6 loopback on this machine; skipping ::1");
            return;
        }
        auto ln6 = net::listen("tcp6", "[::1]:0");
        REQUIRE(ln6.addr().rfind("[::1]:", 0) == 0);
        echo_server(ln6);
        in_goroutine([&] {
            auto c = net::dial("tcp", ln6.addr());
            REQUIRE(c.remote_addr() == ln6.addr());
            c.write("over six");
            REQUIRE(read_exactly(c, 8) == "over six");
        });
        ln6.close();
    }
    ln.close();
}

TEST_CASE("1,000 concurrent connections are all served") {
    raise_fd_limit();
    constexpr int n = 1000;
    auto ln = net::listen("tcp", "127.0.0.1:0");
    echo_server(ln);
    std::atomic<int> served{0};
    gocsp::chan<std::string> first_error(1);
    in_goroutine([&] {
        gocsp::wait_group wg;
        wg.add(n);
        for (int i = 0; i < n; ++i)
            gocsp::go([&, i] {
                try {
                    auto c = net::dial("tcp", ln.addr());
                    for (int k = 0; k < 3; ++k) {
                        std::string msg = "client " + std::to_string(i) + " round " + std::to_string(k) + "\n";
                        c.write(msg);
                        if (read_exactly(c, msg.size()) == msg) ++served;
                    }
                    c.close();
                } catch (const std::exception& e) {
                    first_error.try_send(e.what());
                }
                wg.done();
            });
        wg.wait();
    });
    auto err = first_error.try_recv();
    INFO((err ? err->value : std::string("no error")));
    REQUIRE(served == 3 * n);
    ln.close();
}

TEST_CASE("half-close: the peer sees the end of the stream, the other direction still works") {
    auto ln = net::listen("tcp", "127.0.0.1:0");
    gocsp::chan<std::string> got(1);
    gocsp::go([ln, got] {
        auto c = ln.accept();
        std::string all;
        char buf[100];
        while (std::size_t n = c.read(buf)) all.append(buf, n);  // until the client's close_write
        c.write("you sent " + std::to_string(all.size()) + " bytes");
        got.send(all);
        c.close();
    });
    in_goroutine([&] {
        auto c = net::dial("tcp", ln.addr());
        c.write("first part, ");
        c.write("second part");
        c.close_write();
        expect_error(net::error_kind::broken_pipe, [&] { c.write("too late"); });
        std::string reply;
        char buf[100];
        while (std::size_t n = c.read(buf)) reply.append(buf, n);
        REQUIRE(reply == "you sent 23 bytes");
        REQUIRE(got.recv() == "first part, second part");
        c.close();
    });
    ln.close();
}

TEST_CASE("a refused dial reads as Go's error") {
    auto ln = net::listen("tcp", "127.0.0.1:0");
    const std::string addr = ln.addr();
    ln.close();
    auto check = [&] {
        std::string what = expect_error(net::error_kind::refused, [&] { net::dial("tcp", addr); });
        REQUIRE(what == "dial tcp " + addr + ": connect: connection refused");
        try {
            net::dial("tcp", addr);
        } catch (const net::error& e) {
            REQUIRE(e.sys_errno() == ECONNREFUSED);
            REQUIRE_FALSE(e.timeout());
        }
    };
    check();                // the main thread
    in_goroutine(check);    // a goroutine
}

TEST_CASE("bad addresses and networks") {
    auto msg = [](auto f) { return expect_error(net::error_kind::address, f); };
    REQUIRE(msg([] { net::dial("tcp", "127.0.0.1"); }) == "dial tcp: address 127.0.0.1: missing port in address");
    REQUIRE(msg([] { net::dial("tcp", "127.0.0.1:nosuchservice"); }) == "dial tcp: lookup tcp/nosuchservice: unknown port");
    REQUIRE(msg([] { net::dial("tcp", "127.0.0.1:70000"); }) == "dial tcp: address 70000: invalid port");
    REQUIRE(msg([] { net::listen("tcp", "localhost:99999999999"); }) == "listen tcp: address 99999999999: invalid port");
    REQUIRE(msg([] { net::dial("udp", "127.0.0.1:53"); }) == "dial udp: unknown network udp");
    REQUIRE(msg([] { net::listen("tcp", "::1:80"); }) == "listen tcp: address ::1:80: too many colons in address");
    REQUIRE(msg([] { net::dial("tcp6", "127.0.0.1:80"); }) == "dial tcp6: address 127.0.0.1: no suitable address found");
    // The same port twice.
    auto ln = net::listen("tcp", "127.0.0.1:0");
    std::string what = msg([&] { net::listen("tcp", ln.addr()); });
    REQUIRE(what == "listen tcp " + ln.addr() + ": bind: address already in use");
    ln.close();
    // A nil conn.
    net::conn nil;
    REQUIRE_FALSE(nil);
    REQUIRE_FALSE(nil.close());
    char b[1];
    expect_error(net::error_kind::system, [&] { nil.read(b); });
}

TEST_CASE("deadlines: an expired read deadline fails with a timeout") {
    auto ln = net::listen("tcp", "127.0.0.1:0");
    gocsp::chan<net::conn> server_side(1);
    gocsp::go([ln, server_side] { server_side.send(ln.accept()); });
    auto body = [&] {
        auto c = net::dial("tcp", ln.addr());
        auto peer = server_side.recv();
        char buf[16];

        // A reader parked when the deadline comes.
        auto start = steady::now();
        c.set_read_deadline(steady::now() + 50ms);
        std::string what = expect_error(net::error_kind::timeout, [&] { c.read(buf); });
        REQUIRE(steady::now() - start >= 45ms);  // nanotime and the deadline clock may differ by a tick
        REQUIRE(what == "read tcp " + c.local_addr() + "->" + c.remote_addr() + ": i/o timeout");

        // Later reads fail at once, even with data waiting, until the deadline moves.
        peer.write("x");
        gocsp::sleep_for(20ms);
        expect_error(net::error_kind::timeout, [&] { c.read(buf); });
        c.set_read_deadline(net::time_point{});  // none
        REQUIRE(c.read(buf) == 1);

        // A deadline in the past wakes a reader already parked; system_clock works too.
        gocsp::chan<bool> timed_out(1);
        gocsp::go([c, timed_out] {
            char b[4];
            try {
                c.read(b);
                timed_out.send(false);
            } catch (const net::error& e) {
                timed_out.send(e.timeout());
            }
        });
        gocsp::sleep_for(30ms);
        c.set_deadline(std::chrono::system_clock::now() - 1s);
        REQUIRE(timed_out.recv());
        c.set_deadline(net::time_point{});

        // An extended deadline does not fire early.
        c.set_read_deadline(steady::now() + 30ms);
        c.set_read_deadline(steady::now() + 10s);
        gocsp::go([peer] {
            gocsp::sleep_for(100ms);
            peer.write("late");
        });
        REQUIRE(read_exactly(c, 4) == "late");

        // Write deadline: nobody reads, the buffers fill up, the write times out.
        c.set_write_deadline(steady::now() + 50ms);
        std::string chunk(1 << 16, 'w');
        what = expect_error(net::error_kind::timeout, [&] {
            for (;;) c.write(chunk);
        });
        REQUIRE(what == "write tcp " + c.local_addr() + "->" + c.remote_addr() + ": i/o timeout");
        c.close();
        peer.close();
    };
    SECTION("goroutine") { in_goroutine(body); }
    SECTION("main thread") { body(); }
    ln.close();
}

TEST_CASE("close: a blocked reader wakes, later calls fail, the messages are Go's") {
    auto ln = net::listen("tcp", "127.0.0.1:0");
    gocsp::chan<net::conn> server_side(1);
    gocsp::go([ln, server_side] { server_side.send(ln.accept()); });
    auto c = net::dial("tcp", ln.addr());
    auto peer = server_side.recv();
    const std::string ends = c.local_addr() + "->" + c.remote_addr();

    gocsp::chan<std::string> reader_error(1);
    gocsp::go([c, reader_error] {
        char b[4];
        try {
            c.read(b);
            reader_error.send("no error");
        } catch (const net::error& e) {
            reader_error.send(e.what());
        }
    });
    gocsp::sleep_for(30ms);  // let it park
    REQUIRE(c.close());
    REQUIRE(reader_error.recv() == "read tcp " + ends + ": use of closed network connection");
    char b[4];
    REQUIRE(expect_error(net::error_kind::closed, [&] { c.read(b); }) ==
            "read tcp " + ends + ": use of closed network connection");
    REQUIRE(expect_error(net::error_kind::closed, [&] { c.write("x"); }) ==
            "write tcp " + ends + ": use of closed network connection");
    REQUIRE(c.native_handle() == -1);
    REQUIRE(peer.read(b) == 0);  // the peer sees the end of the stream

    // A blocked accept wakes when its listener closes.
    gocsp::chan<std::string> accept_error(1);
    gocsp::go([ln, accept_error] {
        try {
            ln.accept();
            accept_error.send("no error");
        } catch (const net::error& e) {
            accept_error.send(e.what());
        }
    });
    gocsp::sleep_for(30ms);
    const std::string addr = ln.addr();
    REQUIRE(ln.close());
    REQUIRE(accept_error.recv() == "accept tcp " + addr + ": use of closed network connection");
    peer.close();
}

TEST_CASE("a reset by the peer is reported as reset") {
    auto ln = net::listen("tcp", "127.0.0.1:0");
    gocsp::go([ln] {
        auto c = ln.accept();
        linger l{1, 0};  // close with RST
        ::setsockopt(c.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
        char b[4];
        c.read(b);  // wait for the client's byte so the reset comes after it
        c.close();
    });
    in_goroutine([&] {
        auto c = net::dial("tcp", ln.addr());
        c.write("x");
        char b[4];
        std::string what = expect_error(net::error_kind::reset, [&] {
            while (c.read(b) > 0) {
            }
        });
        REQUIRE(what == "read tcp " + c.local_addr() + "->" + c.remote_addr() + ": read: connection reset by peer");
    });
    ln.close();
}

TEST_CASE("one goroutine reads while another writes, and concurrent writes stay whole") {
    auto ln = net::listen("tcp", "127.0.0.1:0");
    echo_server(ln);
    in_goroutine([&] {
        auto c = net::dial("tcp", ln.addr());
        constexpr int writers = 4, blocks = 50;
        constexpr std::size_t block = 8192;
        gocsp::wait_group wg;
        wg.add(writers);
        for (int w = 0; w < writers; ++w)
            gocsp::go([c, &wg, w] {
                std::string data(block, static_cast<char>('a' + w));
                for (int i = 0; i < blocks; ++i) c.write(data);
                wg.done();
            });
        gocsp::go([c, &wg] {
            wg.wait();
            c.close_write();
        });
        // Read everything back while the writers write; every block must be one letter.
        std::string all;
        std::vector<char> buf(4096);
        while (std::size_t n = c.read(buf)) all.append(buf.data(), n);
        REQUIRE(all.size() == writers * blocks * block);
        for (std::size_t i = 0; i < all.size(); i += block)
            REQUIRE(std::all_of(all.begin() + static_cast<long>(i), all.begin() + static_cast<long>(i + block),
                                [&](char ch) { return ch == all[i]; }));
        c.close();
    });
    ln.close();
}

TEST_CASE("idle: a listener, 100 idle connections and a 1 s ticker use almost no CPU") {
    auto ln = net::listen("tcp", "127.0.0.1:0");
    std::vector<net::conn> clients;
    gocsp::wait_group readers_done;
    std::atomic<int> reading{0};
    gocsp::go([ln, &readers_done, &reading] {
        for (;;) {
            net::conn c;
            try {
                c = ln.accept();
            } catch (const net::error&) {
                return;
            }
            readers_done.add(1);
            gocsp::go([c, &readers_done, &reading] {
                ++reading;
                char b[16];
                try {
                    while (c.read(b) > 0) {
                    }
                } catch (const net::error&) {
                }
                readers_done.done();
            });
        }
    });
    for (int i = 0; i < 100; ++i) clients.push_back(net::dial("tcp", ln.addr()));
    std::atomic<bool> stop{false};
    gocsp::wait_group ticking;
    ticking.add(1);
    gocsp::go([&] {
        gocsp::time::ticker tk(1s);
        while (!stop.load()) tk.c.recv();
        ticking.done();
    });
    while (reading.load() < 100) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(100ms);
    const double cpu0 = process_cpu_seconds();
    std::this_thread::sleep_for(500ms);
    const double used = process_cpu_seconds() - cpu0;
    INFO("CPU seconds used while idle for 0.5 s: " << used);
    REQUIRE(used < 0.05);
    stop = true;
    for (auto& c : clients) c.close();
    readers_done.wait();
    ticking.wait();
    ln.close();
}
