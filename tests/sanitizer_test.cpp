// The sanitizer builds report real bugs in gocsp programs: the deliberate bugs of
// tests/programs/race_two_goroutines.cpp (ThreadSanitizer) and use_after_free.cpp
// (AddressSanitizer) are found, across goroutine switches, with the stacks of the goroutines
// involved, and LeakSanitizer tells memory a parked goroutine holds from memory leaked. Registered only in those builds (tests/tests.cmake); the children inherit the
// sanitizer options that CTest sets for every test (halt on the first report).
#include <gocsp/detail/config.hpp>

#include <catch2/catch.hpp>

#include <string>

#include "support/child.hpp"

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

#if GOCSP_TSAN
TEST_CASE("ThreadSanitizer reports a data race between two goroutines") {
    auto r = gocsp_test::run_program("race_two_goroutines", "", 120, "GOCSP_MAXPROCS=2");
    INFO("stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code != 0);
    REQUIRE(contains(r.err, "WARNING: ThreadSanitizer: data race"));
    REQUIRE(contains(r.err, "race_two_goroutines.cpp:"));
}
#endif

#if GOCSP_ASAN
TEST_CASE("AddressSanitizer reports a heap-use-after-free across goroutines") {
    auto r = gocsp_test::run_program("use_after_free", "", 120);
    INFO("stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code != 0);
    REQUIRE(contains(r.err, "ERROR: AddressSanitizer: heap-use-after-free"));
    REQUIRE(contains(r.err, "use_after_free.cpp:"));
}

// A goroutine stack is a LeakSanitizer root region while in use, and only then: memory that
// only a parked goroutine holds is no leak, and what ended goroutines dropped is one, though
// their old stacks wait in the pool with the pointers still written in them.
TEST_CASE("LeakSanitizer reports what ended goroutines leaked, and not what a parked one holds") {
    auto ended = gocsp_test::run_program("leak_in_goroutine", "ended", 120);
    INFO("ended: exit " << ended.exit_code << ", stderr: " << ended.err);
    REQUIRE_FALSE(ended.timed_out);
    REQUIRE(ended.out == "ended\n");
    REQUIRE(ended.exit_code != 0);
    REQUIRE(contains(ended.err, "ERROR: LeakSanitizer: detected memory leaks"));
    REQUIRE(contains(ended.err, "Direct leak of "));
    REQUIRE(contains(ended.err, "leak_in_goroutine.cpp:"));
    auto parked = gocsp_test::run_program("leak_in_goroutine", "parked", 120);
    INFO("parked: exit " << parked.exit_code << ", stderr: " << parked.err);
    REQUIRE_FALSE(parked.timed_out);
    REQUIRE(parked.out == "parked\n");
    REQUIRE(parked.exit_code == 0);
    REQUIRE_FALSE(contains(parked.err, "LeakSanitizer"));
}
#endif
