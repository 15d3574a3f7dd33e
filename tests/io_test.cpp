// io and blocking: the line scanner, copy, fprintf, the standard streams (pipe, regular file,
// /dev/null), blocked goroutines not stopping others, and gocsp::blocking.
#include <gocsp/gocsp.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <system_error>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support/child.hpp"
#include "support/helpers.hpp"

extern char** environ;

using namespace std::chrono_literals;
namespace net = gocsp::net;
namespace io = gocsp::io;
using steady = std::chrono::steady_clock;

using gocsp_test::in_goroutine;
using gocsp_test::os_tid;
using gocsp_test::process_cpu_seconds;

namespace {

// chunk_reader: an in-memory reader that hands out at most `chunk` bytes per read.
struct chunk_reader {
    std::string data;
    std::size_t chunk;
    std::size_t pos = 0;
    std::size_t read(std::span<char> buf) {
        const std::size_t n = std::min({buf.size(), chunk, data.size() - pos});
        std::memcpy(buf.data(), data.data() + pos, n);
        pos += n;
        return n;
    }
};

struct string_writer {
    std::string out;
    void write(std::string_view s) { out.append(s); }
};

std::vector<std::string> scan_all(const std::string& input, std::size_t chunk) {
    io::scanner sc(chunk_reader{input, chunk});
    std::vector<std::string> lines;
    while (sc.scan()) lines.push_back(sc.text());
    REQUIRE_FALSE(sc.err());
    return lines;
}

// pipe_child: a helper program with its stdin, stdout and stderr on pipes.
struct pipe_child {
    pid_t pid = -1;
    int to = -1;    // its stdin
    int from = -1;  // its stdout
    int err = -1;   // its stderr

    explicit pipe_child(const std::string& name) {
        int in[2], out[2], er[2];
        REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(er, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, er[1], 2);
        std::string path = std::string(GOCSP_TEST_PROGRAMS_DIR) + "/" + name;
        char* argv[] = {path.data(), nullptr};
        REQUIRE(::posix_spawn(&pid, path.c_str(), &fa, nullptr, argv, environ) == 0);
        posix_spawn_file_actions_destroy(&fa);
        ::close(in[0]);
        ::close(out[1]);
        ::close(er[1]);
        to = in[1];
        from = out[0];
        err = er[0];
    }
    void send(const std::string& s) const { REQUIRE(::write(to, s.data(), s.size()) == static_cast<ssize_t>(s.size())); }
    // line: the next line of its stdout ("" after 10 s without one).
    std::string line() const { return read_line(from); }
    static std::string read_line(int fd) {
        std::string s;
        for (;;) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 10'000) <= 0) return s;
            char c;
            if (::read(fd, &c, 1) != 1) return s;
            if (c == '\n') return s;
            s += c;
        }
    }
    int wait() {
        if (to >= 0) ::close(to);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ::close(from);
        ::close(err);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
};

}  // namespace

TEST_CASE("scanner: lines, CRLF, empty lines, a last line without newline") {
    const std::string input = "alpha\nbeta\r\n\n\ngamma delta\nlast";
    const std::vector<std::string> want{"alpha", "beta", "", "", "gamma delta", "last"};
    for (std::size_t chunk : {1, 2, 3, 7, 4096}) REQUIRE(scan_all(input, chunk) == want);
    REQUIRE(scan_all("", 5).empty());
    REQUIRE(scan_all("\n", 5) == std::vector<std::string>{""});
    REQUIRE(scan_all("one\n", 5) == std::vector<std::string>{"one"});
    REQUIRE(scan_all("cr only\r", 5) == std::vector<std::string>{"cr only"});
    // Long lines up to the limit, across many reads.
    std::string long_line(io::max_scan_token_size - 1, 'z');
    REQUIRE(scan_all(long_line + "\nend\n", 1000) == std::vector<std::string>{long_line, "end"});
}

TEST_CASE("scanner: an over-long line stops it with Go's error, and reader errors land in err()") {
    io::scanner sc(chunk_reader{"short\n" + std::string(io::max_scan_token_size, 'x') + "\nafter\n", 500});
    REQUIRE(sc.scan());
    REQUIRE(sc.text() == "short");
    REQUIRE_FALSE(sc.scan());
    REQUIRE(sc.err());
    REQUIRE_THROWS_WITH(std::rethrow_exception(sc.err()), "bufio.Scanner: token too long");
    REQUIRE_FALSE(sc.scan());

    io::scanner small(chunk_reader{"0123456789\n", 3}, 8);  // a smaller limit
    REQUIRE_FALSE(small.scan());
    REQUIRE(small.err());

    struct failing_reader {
        int calls = 0;
        std::size_t read(std::span<char> buf) {
            if (calls++ == 0) {
                std::memcpy(buf.data(), "ok\npart", 7);
                return 7;
            }
            throw std::runtime_error("disk on fire");
        }
    };
    failing_reader fr;
    io::scanner sr(std::ref(fr));  // held by reference
    REQUIRE(sr.scan());
    REQUIRE(sr.text() == "ok");
    REQUIRE_FALSE(sr.scan());
    REQUIRE_THROWS_WITH(std::rethrow_exception(sr.err()), "disk on fire");
    REQUIRE(fr.calls == 2);
}

TEST_CASE("copy, read_full, write_string and fprintf") {
    string_writer w;
    chunk_reader r{std::string(100'000, 'q'), 777};
    REQUIRE(io::copy(w, r) == 100'000);
    REQUIRE(w.out == std::string(100'000, 'q'));

    chunk_reader r2{"abcdef", 2};
    char buf[4];
    REQUIRE(io::read_full(r2, buf) == 4);
    REQUIRE(std::string(buf, 4) == "abcd");
    REQUIRE(io::read_full(r2, buf) == 2);  // the stream ended first

    string_writer f;
    REQUIRE(io::write_string(f, "x=") == 2);
    REQUIRE(io::fprintf(f, "%d %s|", 42, "forty-two") == 13);
    const std::string big(2000, 'b');
    REQUIRE(io::fprintf(f, "[%s]", big.c_str()) == 2002);  // beyond the stack buffer
    REQUIRE(f.out == "x=42 forty-two|[" + big + "]");

    // Between connections: a forwarding proxy made of two copies.
    auto ln = net::listen("tcp", "127.0.0.1:0");
    gocsp::go([ln] {
        auto c = ln.accept();
        std::size_t n = io::copy(c, c);  // echo
        io::fprintf(c, "total %zu\n", n);
        c.close();
    });
    in_goroutine([&] {
        auto c = net::dial("tcp", ln.addr());
        gocsp::go([c] {
            for (int i = 0; i < 100; ++i) io::fprintf(c, "line %d\n", i);
            c.close_write();
        });
        io::scanner sc(c);
        int i = 0;
        for (; i < 100 && sc.scan(); ++i) REQUIRE(sc.text() == "line " + std::to_string(i));
        REQUIRE(i == 100);
        REQUIRE(sc.scan());
        REQUIRE(sc.text() == "total 790");
        REQUIRE_FALSE(sc.scan());
        REQUIRE_FALSE(sc.err());
        c.close();
    });
    ln.close();
}

TEST_CASE("stdin through a pipe: a goroutine reads lines as they come and echoes them") {
    pipe_child child("stdin_echo");
    child.send("hello\n");
    REQUIRE(child.line() == "echo: hello");
    std::this_thread::sleep_for(100ms);  // the reader stays parked; the ticker goroutine runs
    child.send("world\r\n");
    REQUIRE(child.line() == "echo: world");
    child.send("par");
    std::this_thread::sleep_for(50ms);
    child.send("tial\n\n");
    REQUIRE(child.line() == "echo: partial");
    REQUIRE(child.line() == "echo: ");
    child.send("no newline at the end");
    ::close(std::exchange(child.to, -1));  // the end of its input
    REQUIRE(child.line() == "echo: no newline at the end");
    REQUIRE(child.line() == "eof");
    const std::string ticks = pipe_child::read_line(child.err);
    REQUIRE(child.wait() == 0);
    INFO(ticks);
    REQUIRE(ticks.rfind("ticks=", 0) == 0);
    REQUIRE(std::stol(ticks.substr(6)) >= 20);  // about 150 ms of 1 ms sleeps went by
}

TEST_CASE("stdin from a regular file and from /dev/null") {
    std::string input;
    for (int i = 0; i < 5000; ++i) input += "line " + std::to_string(i) + "\n";
    auto r = gocsp_test::run_program("stdin_echo", "", 60, "", input);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::string want;
    for (int i = 0; i < 5000; ++i) want += "echo: line " + std::to_string(i) + "\n";
    REQUIRE(r.out == want + "eof\n");

    auto empty = gocsp_test::run_program("stdin_echo");  // stdin is /dev/null
    INFO(empty.err);
    REQUIRE(empty.exit_code == 0);
    REQUIRE(empty.out == "eof\n");
}

// [leaks-ok]: the goroutines blocked on stdin and in a long sleep stay blocked on purpose.
TEST_CASE("goroutines blocked on a conn, on stdin and on a long sleep do not stop others", "[leaks-ok]") {
    // Runs with GOCSP_MAXPROCS=1 too: one blocked worker would stop the ping-pong for good.
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    REQUIRE(::dup2(p[0], 0) == 0);  // stdin is now an idle pipe
    ::close(p[0]);

    gocsp::chan<std::string> stdin_line(1);
    gocsp::go([stdin_line] {
        io::scanner sc(io::stdin_reader());
        stdin_line.send(sc.scan() ? sc.text() : "<none>");
    });
    auto ln = net::listen("tcp", "127.0.0.1:0");
    gocsp::chan<net::conn> server_side(1);
    gocsp::go([ln, server_side] { server_side.send(ln.accept()); });
    auto client = net::dial("tcp", ln.addr());
    gocsp::chan<bool> conn_reader_done(1);
    gocsp::go([client, conn_reader_done] {
        char b[8];
        try {
            client.read(b);
        } catch (const net::error&) {
        }
        conn_reader_done.send(true);
    });
    gocsp::go([] { gocsp::sleep_for(1h); });
    std::this_thread::sleep_for(50ms);  // let them all park

    constexpr long rounds = 100'000;
    gocsp::chan<long> ping(0), pong(0);
    gocsp::chan<long> done(1);
    gocsp::go([=] {
        for (long i = 0; i < rounds; ++i) pong.send(ping.recv() + 1);
    });
    gocsp::go([=] {
        long v = 0;
        for (long i = 0; i < rounds; ++i) {
            ping.send(v);
            v = pong.recv();
        }
        done.send(v);
    });
    long result = -1;
    REQUIRE(gocsp::select(gocsp::recv_case(done, result), gocsp::recv_case(gocsp::time::after(60s))) == 0);
    REQUIRE(result == rounds);

    // The blocked ones still work afterwards.
    REQUIRE(::write(p[1], "typed\n", 6) == 6);
    REQUIRE(stdin_line.recv() == "typed");
    client.close();
    REQUIRE(conn_reader_done.recv());
    server_side.recv().close();
    ln.close();
    ::close(p[1]);
}

TEST_CASE("blocking: runs calls on helper threads, in parallel with goroutines") {
    constexpr int calls = 8;
    std::atomic<long> rounds{0};
    std::atomic<bool> stop{false};
    gocsp::chan<int> ping(0);
    gocsp::wait_group pinging;
    pinging.add(2);
    gocsp::go([&] {
        while (!stop.load()) {
            ping.send(1);
            ++rounds;
        }
        ping.close();
        pinging.done();
    });
    gocsp::go([ping, &pinging] {
        for (int v : ping) (void)v;
        pinging.done();
    });
    auto start = steady::now();
    std::atomic<int> other_thread{0};
    in_goroutine([&] {
        gocsp::wait_group wg;
        wg.add(calls);
        for (int i = 0; i < calls; ++i)
            gocsp::go([&] {
                const long mine = os_tid();
                const long ran_on = gocsp::blocking([] {
                    std::this_thread::sleep_for(250ms);  // a call that blocks its thread
                    return os_tid();
                });
                if (ran_on != mine) ++other_thread;
                wg.done();
            });
        wg.wait();
    });
    const auto elapsed = steady::now() - start;
    stop = true;
    pinging.wait();
    INFO("8 calls of 250 ms took " << std::chrono::duration<double>(elapsed).count() << " s; ping-pong rounds meanwhile: "
                                   << rounds.load());
    REQUIRE(other_thread == calls);
    REQUIRE(elapsed < 1500ms);  // one after the other would take 2 s
    REQUIRE(rounds.load() > 1000);  // the workers kept running goroutines
    REQUIRE(gocsp::detail::blocking_pool::get().in_flight() == 0);
}

TEST_CASE("blocking: results, references, move-only values and exceptions") {
    auto body = [] {
        REQUIRE(gocsp::blocking([] { return 6 * 7; }) == 42);
        auto p = gocsp::blocking([] { return std::make_unique<std::string>("moved"); });
        REQUIRE(*p == "moved");
        int target = 1;
        int& ref = gocsp::blocking([&]() -> int& { return target; });
        REQUIRE(&ref == &target);
        bool ran = false;
        gocsp::blocking([&] { ran = true; });
        REQUIRE(ran);
        REQUIRE_THROWS_WITH(gocsp::blocking([]() -> int { throw std::runtime_error("boom"); }), "boom");
        struct custom {
            int code;
        };
        try {
            gocsp::blocking([] { throw custom{7}; });
            FAIL("no exception");
        } catch (const custom& c) {
            REQUIRE(c.code == 7);
        }
        // A helper is a plain thread: it may use channels (it blocks where a goroutine parks).
        gocsp::chan<int> ch(0);
        gocsp::go([ch] { ch.send(5); });
        REQUIRE(gocsp::blocking([ch] { return ch.recv(); }) == 5);
    };
    in_goroutine(body);
    body();  // from main, a goroutine pinned to the main thread: f runs on a helper thread
    REQUIRE(gocsp::blocking([] { return os_tid(); }) != os_tid());
    std::thread plain([&] {  // from a plain thread: f runs right there
        body();
        const long me = os_tid();
        REQUIRE(gocsp::blocking([] { return os_tid(); }) == me);
    });
    plain.join();
}

// --- raw_fd -----------------------------------------------------------------------------------

namespace {

/// event_fd: a non-blocking eventfd, closed at the end (an fd gocsp did not make).
struct event_fd {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ~event_fd() { ::close(fd); }
    void signal(std::uint64_t n = 1) const { REQUIRE(::write(fd, &n, sizeof n) == sizeof n); }
};

/// read_event: raw_fd::read's call for an eventfd: takes its count into *got, or says "not yet".
struct read_event {
    std::uint64_t* got;
    int* calls;
    bool operator()(int fd) const {
        ++*calls;
        const ssize_t n = ::read(fd, got, sizeof *got);
        if (n < 0 && errno == EAGAIN) return false;
        REQUIRE(n == sizeof *got);
        return true;
    }
};

}  // namespace

TEST_CASE("raw_fd: a goroutine waits for an fd gocsp did not make, parked, while others run") {
    // Also with GOCSP_MAXPROCS=1: a waiter that held its worker would stop the ping-pong.
    in_goroutine([] {
        event_fd ev;
        REQUIRE(ev.fd >= 0);
        io::raw_fd watch(ev.fd);
        REQUIRE(watch.native_handle() == ev.fd);
        gocsp::chan<std::uint64_t> got(1);
        int calls = 0;
        gocsp::go([&watch, got, &calls] {
            std::uint64_t v = 0;
            const io::wait_status s = watch.read(read_event{&v, &calls});
            got.send(s == io::wait_status::ready ? v : 0);
        });
        // Many rounds of ping-pong while the reader waits: it parked rather than blocked.
        gocsp::chan<int> ping(0), pong(0);
        gocsp::go([ping, pong] {
            for (int i = 0; i < 1000; ++i) pong.send(ping.recv() + 1);
        });
        for (int i = 0; i < 1000; ++i) {
            ping.send(i);
            REQUIRE(pong.recv() == i + 1);
        }
        gocsp::time::sleep(20ms);
        REQUIRE(got.len() == 0);  // nothing to read yet
        ev.signal(42);
        REQUIRE(got.recv() == 42);
        REQUIRE(calls >= 2);  // "not yet", then the read that took the 42
    });
}

TEST_CASE("raw_fd: deadlines, close, exceptions from the call, and fds that cannot be polled") {
    in_goroutine([] {
        event_fd ev;
        io::raw_fd watch(ev.fd);

        // A deadline ends a wait, and every wait after, until it is moved.
        // (A wait may return `ready` early - an event from before it, a spurious wake-up - so
        // the waits below that must time out go round until they do not say ready.)
        auto wait_for_nothing = [&watch] {
            io::wait_status s;
            while ((s = watch.wait_readable()) == io::wait_status::ready) {
            }
            return s;
        };
        const auto start = steady::now();
        watch.set_read_deadline(steady::now() + 50ms);
        REQUIRE(wait_for_nothing() == io::wait_status::timeout);
        REQUIRE(steady::now() - start >= 45ms);
        int calls = 0;
        std::uint64_t v = 0;
        REQUIRE(watch.read(read_event{&v, &calls}) == io::wait_status::timeout);
        REQUIRE(calls == 0);  // the deadline is looked at before the call
        watch.set_read_deadline(std::chrono::system_clock::time_point{});  // none (any clock)
        ev.signal(7);
        REQUIRE(watch.read(read_event{&v, &calls}) == io::wait_status::ready);
        REQUIRE(v == 7);
        // The write direction has its own deadline: an eventfd is writable.
        watch.set_write_deadline(steady::now() - 1s);
        REQUIRE(watch.wait_writable() == io::wait_status::timeout);
        watch.set_deadline(steady::time_point{});
        REQUIRE(watch.wait_writable() == io::wait_status::ready);

        // A deadline moved into the past wakes a waiter.
        gocsp::chan<io::wait_status> woke(1);
        gocsp::go([&wait_for_nothing, woke] { woke.send(wait_for_nothing()); });
        gocsp::time::sleep(20ms);
        watch.set_read_deadline(steady::now());
        REQUIRE(woke.recv() == io::wait_status::timeout);
        watch.set_read_deadline(steady::time_point{});

        // An exception from the call passes through, and leaves the raw_fd usable.
        REQUIRE_THROWS_WITH(watch.read([](int) -> bool { throw std::runtime_error("call failed"); }), "call failed");
        ev.signal(3);
        REQUIRE(watch.read(read_event{&v, &calls}) == io::wait_status::ready);
        REQUIRE(v == 3);

        // close wakes a waiter, and every wait after returns closed without calling; the fd stays open.
        gocsp::go([&wait_for_nothing, woke] { woke.send(wait_for_nothing()); });
        gocsp::time::sleep(20ms);
        REQUIRE(watch.close());
        REQUIRE(woke.recv() == io::wait_status::closed);
        REQUIRE_FALSE(watch.close());
        calls = 0;
        REQUIRE(watch.read(read_event{&v, &calls}) == io::wait_status::closed);
        REQUIRE(calls == 0);
        REQUIRE(::fcntl(ev.fd, F_GETFD) >= 0);
        // Closed, it watches no more: the fd can be watched again.
        io::raw_fd again(ev.fd);
        ev.signal(9);
        REQUIRE(again.read(read_event{&v, &calls}) == io::wait_status::ready);
        REQUIRE(v == 9);

        // An fd epoll cannot watch, or one watched already, is refused with epoll's errno.
        char path[] = "/tmp/gocsp-raw-fd-XXXXXX";
        const int file = ::mkstemp(path);
        REQUIRE(file >= 0);
        ::unlink(path);
        try {
            io::raw_fd bad(file);
            FAIL("a regular file was watched");
        } catch (const std::system_error& e) {
            REQUIRE(e.code().value() == EPERM);
        }
        ::close(file);
        try {
            io::raw_fd twice(ev.fd);
            FAIL("an fd was watched twice");
        } catch (const std::system_error& e) {
            REQUIRE(e.code().value() == EEXIST);
        }
    });
}

TEST_CASE("raw_fd: write waits for a full pipe to drain, and a plain thread blocks where a goroutine parks") {
    int p[2];
    REQUIRE(::pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    char block[4096] = {};
    std::size_t filled = 0;
    while (::write(p[1], block, sizeof block) > 0) filled += sizeof block;
    REQUIRE(errno == EAGAIN);
    {
        io::raw_fd out(p[1]);
        gocsp::chan<int> wrote(1);
        in_goroutine([&] {
            gocsp::go([&out, wrote, &block] {
                ssize_t n = 0;
                const auto s = out.write([&](int fd) {
                    n = ::write(fd, block, sizeof block);
                    return !(n < 0 && errno == EAGAIN);
                });
                wrote.send(s == io::wait_status::ready ? static_cast<int>(n) : -1);
            });
            gocsp::time::sleep(20ms);
            REQUIRE(wrote.len() == 0);  // the pipe is still full
            std::vector<char> drain(filled);
            std::size_t taken = 0;
            while (taken < filled) {
                const ssize_t n = ::read(p[0], drain.data(), filled - taken);
                if (n > 0) taken += static_cast<std::size_t>(n);
                else gocsp::time::sleep(1ms);
            }
            REQUIRE(wrote.recv() == static_cast<int>(sizeof block));
        });

        // From a plain thread: the same wait, blocking the thread.
        io::raw_fd in(p[0]);
        char sink[sizeof block];
        REQUIRE(::read(p[0], sink, sizeof sink) == static_cast<ssize_t>(sizeof sink));  // empty again
        std::atomic<int> result{-1};
        std::thread plain([&] {
            ssize_t n = 0;
            const auto s = in.read([&](int fd) {
                n = ::read(fd, sink, sizeof sink);
                return !(n < 0 && errno == EAGAIN);
            });
            result = s == io::wait_status::ready ? static_cast<int>(n) : -2;
        });
        std::this_thread::sleep_for(20ms);
        REQUIRE(result.load() == -1);
        REQUIRE(::write(p[1], "ok", 2) == 2);
        plain.join();
        REQUIRE(result.load() == 2);
    }
    ::close(p[0]);
    ::close(p[1]);
}

TEST_CASE("raw_fd: read and write given a context return canceled when it ends, waking a waiter") {
    in_goroutine([] {
        event_fd ev;
        io::raw_fd watch(ev.fd);
        int calls = 0;
        std::uint64_t v = 0;

        // Cancelled while waiting: the waiter wakes; ctx.err() says why.
        auto [ctx, cancel] = gocsp::with_cancel(gocsp::background());
        gocsp::chan<io::wait_status> woke(1);
        gocsp::go([&watch, woke, ctx = ctx, &v, &calls] { woke.send(watch.read(ctx, read_event{&v, &calls})); });
        gocsp::time::sleep(20ms);
        REQUIRE(woke.len() == 0);
        cancel();
        REQUIRE(woke.recv() == io::wait_status::canceled);
        REQUIRE(ctx.err() == gocsp::context::canceled);

        // Ended before the call: canceled, f never called.
        calls = 0;
        ev.signal(1);
        REQUIRE(watch.read(ctx, read_event{&v, &calls}) == io::wait_status::canceled);
        REQUIRE(calls == 0);
        REQUIRE(watch.write(ctx, [&](int) { return ++calls > 0; }) == io::wait_status::canceled);
        REQUIRE(calls == 0);

        // A context's deadline ends a wait too.
        auto [timed, stop] = gocsp::with_timeout(gocsp::background(), 30ms);
        ev.signal(2);
        REQUIRE(watch.read(timed, read_event{&v, &calls}) == io::wait_status::ready);  // the pending 1 + 2
        REQUIRE(v == 3);
        REQUIRE(watch.read(timed, read_event{&v, &calls}) == io::wait_status::canceled);
        REQUIRE(timed.err() == gocsp::context::deadline_exceeded);
        stop();

        // A context that lives on changes nothing; the raw_fd stays usable after a cancel.
        ev.signal(4);
        REQUIRE(watch.read(gocsp::background(), read_event{&v, &calls}) == io::wait_status::ready);
        REQUIRE(v == 4);
    });
}
