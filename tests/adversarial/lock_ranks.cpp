// The lock-rank check (spinlock.hpp): a lock taken against the runtime's lock order is a fatal
// error naming both locks, in any process where a unit was built with the checks.
#include <catch2/catch.hpp>

#include <string>

#include "../support/child.hpp"

TEST_CASE("a lock taken out of the runtime's lock order is a fatal error naming both",
          "[adversarial][lock_ranks]") {
    auto bad = gocsp_test::run_program("lock_order", "wrong", 60);
    INFO("stdout: " << bad.out << "stderr: " << bad.err);
    REQUIRE_FALSE(bad.timed_out);
    REQUIRE(bad.exit_code == 2);
    REQUIRE(bad.err.find("lock order: took a primitive lock") != std::string::npos);
    REQUIRE(bad.err.find("while holding a timer_heap lock") != std::string::npos);
    auto good = gocsp_test::run_program("lock_order", "right", 60);
    INFO("stderr: " << good.err);
    REQUIRE(good.exit_code == 0);
    REQUIRE(good.out == "ok\n");
}
