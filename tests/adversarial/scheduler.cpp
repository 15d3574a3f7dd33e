// Adversarial tests of the scheduler: select's randomness across runs, panics from several
// goroutines at once, plain threads that the runtime meets late.
#include <catch2/catch.hpp>

#include <gocsp/gocsp.hpp>

#include <chrono>
#include <set>
#include <string>

#include "../support/child.hpp"

namespace adversarial_scheduler {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
    return n;
}

}  // namespace adversarial_scheduler

// Issue: with -fsanitize=thread, threads unknown to the runtime were assumed never to send, so
// main waiting for such a thread was killed as deadlocked.
TEST_CASE("a plain thread the runtime has not met yet keeps main's receive from being a deadlock",
          "[adversarial][scheduler]") {
    for (const char* mode : {"", "late"}) {
        auto r = gocsp_test::run_program("late_thread_send", mode, 60);
        INFO("mode '" << mode << "', stderr: " << r.err);
        REQUIRE_FALSE(r.timed_out);
        REQUIRE(r.exit_code == 0);
        REQUIRE(r.out == "42\n");
    }
}

// Go seeds select's choices at start-up (fastrand); a constant seed made a one-worker program
// choose the same way run after run.
TEST_CASE("select's choices differ from run to run", "[adversarial][scheduler]") {
    std::set<std::string> outputs;
    for (int run = 0; run < 4; ++run) {
        auto r = gocsp_test::run_program("select_choices");
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        REQUIRE(r.out.size() == 65);
        outputs.insert(r.out);
    }
    // Four runs of 64 fair choices agree by chance with probability 2^-192.
    REQUIRE(outputs.size() > 1);
}

// Go prints exactly one panic report when goroutines panic together (startpanic: the others
// wait); two reports used to interleave, one cut off by the other's exit.
TEST_CASE("goroutines panicking together print exactly one whole report", "[adversarial][scheduler]") {
    using adversarial_scheduler::contains;
    using adversarial_scheduler::count;
    for (int run = 0; run < 30; ++run) {
        auto r = gocsp_test::run_program("panic_together");
        INFO("run " << run << ", stderr: " << r.err);
        REQUIRE_FALSE(r.timed_out);
        REQUIRE(r.exit_code == 2);
        REQUIRE(count(r.err, "panic: ") == 1);
        REQUIRE(count(r.err, "goroutine ") == 1);
        REQUIRE(r.err.rfind("panic: boom ", 0) == 0);
        REQUIRE(contains(r.err, "[running]:\ncreated by main\n\t"));
        REQUIRE(contains(r.err, "panic_together.cpp:"));
    }
}

// The function and arguments of `go` live in the goroutine's record when small and on the heap
// otherwise: however large, they arrive intact (never a std::length_error, which the reference
// once promised), and an exception from copying them reaches the caller of go with nothing left
// behind.
TEST_CASE("go takes a closure of any size, and a throwing copy reaches its caller", "[adversarial][scheduler]") {
    struct big {
        unsigned char bytes[4 << 20];
    };
    auto payload = std::make_unique<big>();
    for (std::size_t i = 0; i < sizeof payload->bytes; ++i) payload->bytes[i] = static_cast<unsigned char>(i * 7);
    gocsp::chan<bool> intact(1);
    gocsp::go([intact](const big& b) {
        bool same = true;
        for (std::size_t i = 0; i < sizeof b.bytes; ++i) same = same && b.bytes[i] == static_cast<unsigned char>(i * 7);
        intact.send(same);
    }, *payload);
    REQUIRE(intact.recv());

    struct throws_on_copy {
        throws_on_copy() = default;
        throws_on_copy(const throws_on_copy&) { throw std::runtime_error("copy"); }
    };
    const auto before = gocsp::num_goroutine();
    throws_on_copy arg;
    REQUIRE_THROWS_WITH(gocsp::go([](const throws_on_copy&) {}, arg), "copy");
    REQUIRE(gocsp::num_goroutine() == before);
}

// A stack size near SIZE_MAX wrapped around when rounded up to whole pages, and the goroutine
// got a stack of a few pages (a crash in the first frame, or a silent overwrite).
TEST_CASE("a stack size beyond the limit is refused, never wrapped", "[adversarial][scheduler]") {
    for (std::size_t bytes : {SIZE_MAX, SIZE_MAX - 4095, (std::size_t{1} << 30) + 1, std::size_t{1} << 45}) {
        INFO("bytes " << bytes);
        REQUIRE_THROWS_AS(gocsp::go(gocsp::stack_size{bytes}, [] {}), std::length_error);
    }
    // A large size within the limit works, and all of its stack is usable.
    gocsp::chan<int> done(1);
    gocsp::go(gocsp::stack_size{std::size_t{64} << 20}, [done] {
        volatile char frame[256 * 1024];
        frame[0] = 1;
        frame[sizeof frame - 1] = 2;
        done.send(frame[0] + frame[sizeof frame - 1]);
    });
    REQUIRE(done.recv() == 3);
}

// A counter that overflowed wrapped around (counter << 1 lost the top bit): add(INT64_MAX)
// then add(1) read as zero and released wait() with work outstanding.
TEST_CASE("a wait_group counter never wraps around", "[adversarial][scheduler]") {
    gocsp::wait_group wg;
    wg.add(INT64_MAX >> 1);
    REQUIRE_THROWS_WITH(wg.add(1), "sync: WaitGroup counter overflow");
    REQUIRE_THROWS_WITH(wg.add(INT64_MAX), "sync: WaitGroup counter overflow");
    REQUIRE_THROWS_WITH(wg.add(INT64_MIN), "sync: negative WaitGroup counter");
    wg.add(-(INT64_MAX >> 1));  // back to zero: wait returns
    wg.wait();
    gocsp::wait_group big;
    REQUIRE_THROWS_WITH(big.add(INT64_MAX), "sync: WaitGroup counter overflow");
    big.wait();  // unchanged: still zero
}
