// The sanitizer builds report real bugs in gocsp programs: the deliberate bugs of
// tests/programs/race_two_goroutines.cpp (ThreadSanitizer) and use_after_free.cpp
// (AddressSanitizer) are found, across goroutine switches, with the stacks of the goroutines
// involved. Registered only in those builds (tests/tests.cmake); the children inherit the
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
#endif
