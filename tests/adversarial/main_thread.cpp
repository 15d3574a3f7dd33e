// main() as a goroutine pinned to the main thread (scheduler.hpp, "main() as a goroutine"):
// Catch2 runs every test case on the main thread, so each case here is main's code. It must
// park and wake through every primitive, run goroutines on its thread meanwhile, and never
// leave that thread itself.
#include <catch2/catch.hpp>

#include <gocsp/gocsp.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "../support/child.hpp"

namespace adversarial_main {

long thread_id() { return static_cast<long>(::syscall(SYS_gettid)); }

thread_local int main_thread_marker = 0;

// on_main_thread: main's code is where it started: the main OS thread, with its own
// thread_local objects.
bool on_main_thread() { return thread_id() == ::getpid() && main_thread_marker == 42; }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// require_exit: runs a test program (tests/programs) and requires that it ends by itself within a
// minute, with that status and, unless out is null, exactly that output.
void require_exit(const char* program, const char* mode, int status, const char* out) {
    auto r = gocsp_test::run_program(program, mode, 60);
    INFO(program << " " << mode << ": stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.signal == 0);
    REQUIRE(r.exit_code == status);
    if (out) REQUIRE(r.out == out);
}

}  // namespace adversarial_main

TEST_CASE("main parks and wakes through every primitive and never leaves the main thread",
          "[adversarial][main]") {
    using namespace std::chrono_literals;
    using adversarial_main::on_main_thread;
    REQUIRE(adversarial_main::thread_id() == ::getpid());
    adversarial_main::main_thread_marker = 42;
    // Goroutines count what they find wrong here; main checks (Catch2's assertions are not
    // thread-safe, and goroutines run beside main's thread).
    std::atomic<int> wrong{0};
    for (int round = 0; round < 50; ++round) {
        // Unbuffered send and receive, both ways, with a goroutine main just started.
        gocsp::chan<int> a(0), b(0);
        gocsp::go([a, b] { b.send(a.recv() + 1); });
        a.send(round);
        REQUIRE(b.recv() == round + 1);
        REQUIRE(on_main_thread());
        // Buffered: main blocks on a full buffer, then on an empty one. The answer comes back
        // on a channel of its own: on c, main's receive could take its own 2 back before the
        // goroutine does, however long main slept first.
        gocsp::chan<int> c(1), answer(1);
        c.send(1);
        gocsp::go([c, answer, &wrong] {
            if (c.recv() != 1) ++wrong;
            if (c.recv() != 2) ++wrong;
            answer.send(3);
        });
        c.send(2);
        REQUIRE(answer.recv() == 3);
        REQUIRE(on_main_thread());
        // select: receive, send and (nothing ready) default.
        gocsp::chan<int> d(0), e(0);
        gocsp::go([d, e, &wrong] {
            d.send(7);
            if (e.recv() != 8) ++wrong;
        });
        int got = 0;
        REQUIRE(gocsp::select(gocsp::recv_case(d, got)) == 0);
        REQUIRE(got == 7);
        REQUIRE(gocsp::select(gocsp::send_case(e, 8)) == 0);
        REQUIRE(on_main_thread());
        // A wait group of goroutines that also hand work to each other.
        gocsp::wait_group wg;
        gocsp::chan<int> relay(0);
        wg.add(2);
        gocsp::go([&] {
            relay.send(5);
            wg.done();
        });
        gocsp::go([&] {
            if (relay.recv() != 5) ++wrong;
            wg.done();
        });
        wg.wait();
        REQUIRE(on_main_thread());
        // Sleeps, a timer channel, a blocking call.
        gocsp::sleep_for(1ms);
        REQUIRE(on_main_thread());
        gocsp::time::after(1ms).recv();
        REQUIRE(on_main_thread());
        REQUIRE(gocsp::blocking([] { return adversarial_main::thread_id(); }) != ::getpid());
        REQUIRE(on_main_thread());
        // A plain thread readies main.
        gocsp::chan<int> from_thread(0);
        std::thread t([from_thread] { from_thread.send(9); });
        REQUIRE(from_thread.recv() == 9);
        t.join();
        REQUIRE(on_main_thread());
        // yield lets a goroutine queued on the main thread run, and returns to main.
        std::atomic<bool> ran{false};
        gocsp::go([&ran] { ran = true; });
        while (!ran.load()) gocsp::yield();
        REQUIRE(on_main_thread());
    }
    REQUIRE(wrong.load() == 0);
}

TEST_CASE("main parks on the network poller and wakes on the main thread", "[adversarial][main]") {
    using adversarial_main::on_main_thread;
    adversarial_main::main_thread_marker = 42;
    auto ln = gocsp::net::listen("tcp", "127.0.0.1:0");
    gocsp::go([ln] {
        auto c = ln.accept();
        c.write(std::string_view("hello"));
        c.close();
    });
    auto c = gocsp::net::dial("tcp", ln.addr());
    char buf[5];
    REQUIRE(gocsp::io::read_full(c, buf) == 5);  // parks in IO wait
    REQUIRE(std::string(buf, 5) == "hello");
    REQUIRE(on_main_thread());
    c.close();
    ln.close();
}

// While main's code runs on without parking, what it started must not wait for it: sysmon or
// an idle worker takes it from the main thread's queue.
TEST_CASE("goroutines main starts run while main computes without parking", "[adversarial][main]") {
    for (int round = 0; round < 20; ++round) {
        std::atomic<int> stage{0};
        gocsp::go([&stage] { stage = 1; });
        while (stage.load() != 1) std::this_thread::yield();  // main never parks here
        // And one main readied (rather than started) while it keeps computing.
        gocsp::chan<int> c(0);
        gocsp::go([&stage, c] {
            c.recv();
            stage = 2;
        });
        c.send(0);
        while (stage.load() != 2) std::this_thread::yield();
    }
}

TEST_CASE("goroutines run on the main thread while main is parked", "[adversarial][main]") {
    // A chain of goroutines main starts and waits for: with main parked, its thread runs some of
    // them (all of them when they stay on one worker, as a ping-pong with main does).
    std::set<long> threads;
    gocsp::chan<long> ping(0), pong(0);
    gocsp::go([ping, pong] {
        for (int i = 0; i < 1000; ++i) pong.send((ping.recv(), adversarial_main::thread_id()));
    });
    for (int i = 0; i < 1000; ++i) {
        ping.send(0);
        threads.insert(pong.recv());
    }
    REQUIRE(threads.count(::getpid()) == 1);
    REQUIRE(adversarial_main::thread_id() == ::getpid());
}

TEST_CASE("a deadlock with main is reported, naming main's wait", "[adversarial][main]") {
    auto r = gocsp_test::run_program("main_goroutine", "deadlock", 60);
    INFO("stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 2);
    REQUIRE(adversarial_main::contains(r.err, "fatal error: all goroutines are asleep - deadlock!"));
    REQUIRE(adversarial_main::contains(r.err, "goroutine 1 [sync.WaitGroup.Wait]:\nmain thread"));
    REQUIRE(adversarial_main::contains(r.err, "[chan receive]"));
}

TEST_CASE("main alone in a long blocking call is not a deadlock", "[adversarial][main]") {
    // The deadlock check counted goroutines in blocking calls, sleeps and network waits as
    // waiting on the outside, but not main's own record: main alone in gocsp::blocking for
    // longer than the check's 100 ms was reported as a deadlock (seen at 8 workers in a
    // fresh-clone run).
    using namespace std::chrono_literals;
    const int got = gocsp::blocking([] {
        std::this_thread::sleep_for(1500ms);
        return 7;
    });
    REQUIRE(got == 7);
}

TEST_CASE("main returns while goroutines run on its thread: the process exits at once",
          "[adversarial][main]") {
    adversarial_main::require_exit("main_goroutine", "exit", 0, "main returns\n");
    adversarial_main::require_exit("main_goroutine", "exit_call", 3, nullptr);
}

// Goroutines that never park hold their thread until they end (there is no preemption). main
// started 300 that spin until it says stop: once a queue's worth of them waited, main yielded
// its thread to them and one of them spun on it forever, before main could say stop.
TEST_CASE("main that starts goroutines which never park keeps its thread until it parks",
          "[adversarial][main]") {
    adversarial_main::require_exit("main_goroutine", "spinners", 0, "done\n");
}

TEST_CASE("main becomes a goroutine while the process is out of file descriptors",
          "[adversarial][main]") {
    // glibc reads /proc/self/maps to find the main thread's stack; with no descriptor left, main
    // must still be bound, park and resume (issue 17: chat crashed on its first wake-up when its
    // file limit was lowered between listening and its first go()).
    adversarial_main::require_exit("main_out_of_files", "", 0, "main resumed: 42\n");
}
