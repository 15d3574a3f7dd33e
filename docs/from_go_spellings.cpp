// Every gocsp spelling in docs/from-go.md, compiled by the build (never run), so that the table
// cannot drift from the headers. One function per section of the page.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <vector>

using namespace std::chrono_literals;
namespace net = gocsp::net;
namespace io = gocsp::io;

namespace from_go_spellings {  // external linkage: the functions are compiled, not unused

void f(int, int) {}
void g() {}

void goroutines() {
    int x = 1, y = 2;
    gocsp::go(f, x, y);
    gocsp::go(f, std::ref(x), y);
    gocsp::go{g};
    gocsp::go([=] { f(x, y); });
    gocsp::go(gocsp::stack_size{1 << 20}, f, x, y);
    gocsp::yield();
    [[maybe_unused]] std::int64_t n = gocsp::num_goroutine();
    [[maybe_unused]] bool set = gocsp::set_maxprocs(2);
    [[maybe_unused]] int procs = gocsp::maxprocs();
    gocsp::sleep_for(1ms);
    gocsp::time::sleep(1ms);
    gocsp::sleep_until(std::chrono::steady_clock::now() + 1ms);
}

void channels() {
    gocsp::chan<int> ch;
    [[maybe_unused]] bool nil = ch.is_nil();
    ch = {};
    gocsp::chan<int> unbuffered(0), buffered(10);
    gocsp::chan<gocsp::empty> signal(0);
    ch = buffered;
    ch << 1;
    ch.send(2);
    ch << 3 << 4;
    ch.recv();
    [[maybe_unused]] int v = ch.recv();
    auto [w, ok] = ch.recv_ok();
    int z = 0;
    [[maybe_unused]] bool ok2 = (ch >> z);
    for (auto e : ch) (void)e;
    for (auto& e : ch) (void)e;
    ch.close();
    [[maybe_unused]] std::size_t len = ch.len(), cap = ch.cap();
    gocsp::send_chan<int> out = ch;
    gocsp::recv_chan<int> in = ch;
    out = {};
    in = {};
    [[maybe_unused]] bool same = (ch == buffered);
    (void)w;
    (void)ok;
}

void selects() {
    gocsp::chan<int> a(1), b(1);
    int v = 0, w = 1;
    bool ok = false;
    switch (gocsp::select(gocsp::recv_case(a), gocsp::recv_case(a, v), gocsp::recv_case(a, v, ok),
                          gocsp::send_case(b, w), gocsp::send_case(b, 7), gocsp::default_case)) {
        case 0: break;
        default: break;
    }
    std::vector<gocsp::select_case> cases;
    cases.push_back(gocsp::recv_case(a, v));
    [[maybe_unused]] std::size_t i = gocsp::select(cases);
    [[maybe_unused]] bool sent = b.try_send(w);
    if (auto r = a.try_recv()) {
        auto [x, xok] = *r;
        (void)x;
        (void)xok;
    }
    if (false) gocsp::select();  // select {}: blocks forever
}

void times() {
    gocsp::select(gocsp::recv_case(gocsp::time::after(1s)), gocsp::default_case);
    gocsp::recv_chan<gocsp::time::time_point> tick = gocsp::time::tick(1s);
    gocsp::time::ticker t(1ms);
    t.c.recv();
    t.reset(2ms);
    t.stop();
    gocsp::time::timer tm(1ms);
    tm.c.recv();
    tm.reset(1ms);
    tm.stop();
    auto af = gocsp::time::after_func(1ms, [] {});
    af.stop();
    gocsp::time::time_point now = gocsp::time::clock::now();
    [[maybe_unused]] gocsp::time::duration d = gocsp::time::since(now);
    (void)tick;
}

void syncs() {
    gocsp::wait_group wg;
    wg.add(1);
    wg.done();
    wg.wait();

    gocsp::mutex mu;
    mu.lock();
    mu.unlock();
    if (mu.try_lock()) mu.unlock();
    {
        std::lock_guard<gocsp::mutex> hold(mu);
    }
    gocsp::shared_mutex rw;
    rw.lock_shared();
    rw.unlock_shared();
    if (rw.try_lock_shared()) rw.unlock_shared();
    rw.lock();
    rw.unlock();
    if (rw.try_lock()) rw.unlock();
    {
        std::shared_lock<gocsp::shared_mutex> r(rw);
    }
    {
        std::lock_guard<gocsp::shared_mutex> w(rw);
    }
    gocsp::once once;
    once.call(g);
    once.call(f, 1, 2);
    gocsp::cond c;
    {
        std::unique_lock<gocsp::mutex> lock(mu);
        c.wait(lock);
        c.wait(lock, [] { return true; });
    }
    c.signal();
    c.broadcast();
    gocsp::semaphore sem(10);
    sem.acquire(3);
    if (sem.try_acquire(2)) sem.release(2);
    sem.release(3);
}

void net_io() {
    net::listener ln = net::listen("tcp", "localhost:8000");
    [[maybe_unused]] std::string addr = ln.addr();
    net::conn c = ln.accept();
    net::conn d = net::dial("tcp", addr);
    char buf[64];
    [[maybe_unused]] std::size_t n = c.read(std::span<char>(buf));
    c.write("hello\n");
    io::write_string(c, "hello\n");
    c.close_write();
    c.set_deadline(std::chrono::steady_clock::now() + 1s);
    c.set_deadline({});
    [[maybe_unused]] std::string remote = c.remote_addr();
    c.close();
    io::copy(io::stdout_writer(), d);
    io::copy(d, io::stdin_reader());
    io::copy(io::stderr_writer(), d);
    io::scanner input(io::stdin_reader());
    while (input.scan()) io::fprintf(d, "%s\n", input.text().c_str());
    if (auto e = input.err()) std::rethrow_exception(e);
    try {
        net::dial("tcp", "127.0.0.1:1");
    } catch (const net::error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        [[maybe_unused]] bool timeout = e.timeout();
        [[maybe_unused]] net::error_kind kind = e.kind();
        [[maybe_unused]] int err = e.sys_errno();
    }
    {
        io::raw_fd w(0);  // an fd a C library made
        [[maybe_unused]] io::wait_status s = w.read([&](int fd) { return fd >= 0; });
        s = w.write([&](int fd) { return fd >= 0; });
        s = w.wait_readable();
        s = w.read(gocsp::background(), [&](int fd) { return fd >= 0; });
        w.set_deadline(std::chrono::steady_clock::time_point{});
        w.close();
    }
    [[maybe_unused]] int r = gocsp::blocking([] { return 42; });
}

void contexts() {
    struct user {};
    static const gocsp::context_key<user> user_key;
    gocsp::context parent = gocsp::background();
    gocsp::context todo = gocsp::todo();
    auto [ctx, cancel] = gocsp::with_cancel(parent);
    auto [timed, cancel_timed] = gocsp::with_timeout(parent, 1s);
    auto [until, cancel_until] = gocsp::with_deadline(parent, std::chrono::steady_clock::now() + 1s);
    cancel();
    cancel_timed();
    cancel_until();
    ctx.done().recv_ok();
    gocsp::select(gocsp::recv_case(ctx.done()), gocsp::default_case);
    if (gocsp::context_error err = ctx.err()) std::puts(err.what());
    bool canceled = ctx.err() == gocsp::context::canceled || ctx.err() == gocsp::context::deadline_exceeded;
    bool timeout = ctx.err().timeout();
    std::optional<gocsp::time::time_point> d = ctx.deadline();
    gocsp::context with = gocsp::with_value(ctx, user_key, user{});
    const user* u = with.value(user_key);
    if (auto err = gocsp::sleep_for(ctx, 1s)) std::puts(err.what());
    (void)gocsp::sleep_until(ctx, std::chrono::steady_clock::now() + 1s);
    net::conn c = net::dial(ctx, "tcp", "localhost:8000");
    char buf[64];
    c.read(ctx, std::span<char>(buf));
    c.write(ctx, "hi");
    net::listener ln = net::listen("tcp", "localhost:0");
    ln.accept(ctx);
    int n = gocsp::blocking(ctx, [] { return 1; });
    auto [g, group_ctx] = gocsp::errgroup::with_context(parent);
    gocsp::errgroup plain;
    g.go([] {});
    g.go([]() -> std::exception_ptr { return nullptr; });
    if (std::exception_ptr err = g.wait()) std::rethrow_exception(err);
    g.set_limit(4);
    (void)g.try_go([] {});
    (void)todo, (void)canceled, (void)timeout, (void)d, (void)u, (void)n, (void)group_ctx, (void)plain;
}

void panics() {
    try {
        gocsp::chan<int> ch;
        ch.close();
    } catch (const gocsp::panic_error& e) {
        std::puts(e.what());
    }
    try {
        throw gocsp::panic_error("something bad happened");
    } catch (const gocsp::panic_error&) {
    }
}

}  // namespace from_go_spellings
