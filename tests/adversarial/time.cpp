// Adversarial tests of time: durations too long for the clock, durations of every std::chrono
// type, zero and negative durations. Go's oracle (time/sleep.go, runtime/time.go): a deadline
// now + d that overflows saturates, so such a timer or sleep never ends; d <= 0 ends at once;
// NewTicker and Ticker.Reset panic for d <= 0.
#include <catch2/catch.hpp>

#include <gocsp/gocsp.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

namespace adversarial_time {

namespace t = gocsp::time;
using namespace std::chrono_literals;
using std::chrono::system_clock;

/// hours_point: a time point whose count is in hours (converting its extremes to nanoseconds
/// overflows).
using hours_point = std::chrono::time_point<system_clock, std::chrono::hours>;

/// quiet_for: waits d, long enough for a wrongly computed deadline (which fires within a
/// millisecond) to show, on a goroutine or a plain thread alike.
inline void quiet_for(std::chrono::milliseconds d) { t::after(d).recv(); }

/// fired: whether c holds a value.
inline bool fired(const gocsp::recv_chan<t::time_point>& c) { return c.try_recv().has_value(); }

/// within: whether c receives within a generous bound (a timer that fires "at once").
inline bool within(const gocsp::recv_chan<t::time_point>& c, std::chrono::seconds bound = 10s) {
    t::timer limit(bound);
    return gocsp::select(gocsp::recv_case(c), gocsp::recv_case(limit.c)) == 0;
}

}  // namespace adversarial_time

// Go: time.NewTimer(math.MaxInt64), Reset(math.MaxInt64), NewTicker(math.MaxInt64) and
// AfterFunc(math.MaxInt64, f) never fire. Here now + d overflowed, so they fired at once.
TEST_CASE("timers, tickers and after_func with durations too long for the clock never fire",
          "[adversarial][time]") {
    using namespace adversarial_time;
    std::atomic<bool> func_ran{false};
    {
        t::timer max_ns(std::chrono::nanoseconds::max());
        t::timer max_hours(std::chrono::hours::max());           // overflowed in the conversion
        t::timer max_seconds(std::chrono::seconds::max());
        t::timer far_double(std::chrono::duration<double>(1e300));  // a floating-point count
        t::timer inf_double{std::chrono::duration<double, std::milli>(std::numeric_limits<double>::infinity())};
        t::timer reset_far(1h);
        REQUIRE(reset_far.reset(std::chrono::hours::max()));
        t::ticker tick_max(std::chrono::nanoseconds::max());
        t::ticker tick_hours(std::chrono::hours::max());
        t::ticker tick_reset(1h);
        tick_reset.reset(std::chrono::minutes::max());
        t::timer func = t::after_func(std::chrono::nanoseconds::max(), [&func_ran] { func_ran = true; });
        quiet_for(200ms);
        CHECK_FALSE(fired(max_ns.c));
        CHECK_FALSE(fired(max_hours.c));
        CHECK_FALSE(fired(max_seconds.c));
        CHECK_FALSE(fired(far_double.c));
        CHECK_FALSE(fired(inf_double.c));
        CHECK_FALSE(fired(reset_far.c));
        CHECK_FALSE(fired(tick_max.c));
        CHECK_FALSE(fired(tick_hours.c));
        CHECK_FALSE(fired(tick_reset.c));
        CHECK_FALSE(func_ran.load());
        // Still pending: stop reports it (and leaves nothing behind for the leak check).
        CHECK(max_ns.stop());
        CHECK(max_hours.stop());
        CHECK(func.stop());
    }
    CHECK_FALSE(func_ran.load());
}

// Go: a timer or AfterFunc with d <= 0 fires at once, however negative d is (time.When never
// overflows the other way). Here hours::min() overflowed into a deadline far ahead.
TEST_CASE("timers with zero or negative durations of any type fire at once", "[adversarial][time]") {
    using namespace adversarial_time;
    auto check = [] {
        t::timer zero(0ns);
        t::timer negative(-1s);
        t::timer min_ns(std::chrono::nanoseconds::min());
        t::timer min_hours(std::chrono::hours::min());
        t::timer min_double(std::chrono::duration<double>(-1e300));
        t::timer nan_double(std::chrono::duration<double>(std::nan("")));  // counts as zero
        t::timer reset_back(1h);
        REQUIRE(reset_back.reset(std::chrono::hours::min()));
        CHECK(within(zero.c));
        CHECK(within(negative.c));
        CHECK(within(min_ns.c));
        CHECK(within(min_hours.c));
        CHECK(within(min_double.c));
        CHECK(within(nan_double.c));
        CHECK(within(reset_back.c));
        CHECK(within(t::after(std::chrono::hours::min())));
        gocsp::chan<int> ran(1);
        t::timer func = t::after_func(std::chrono::minutes::min(), [ran] { ran.send(1); });
        CHECK(ran.recv() == 1);
    };
    SECTION("goroutine") {
        gocsp::wait_group wg;
        wg.add(1);
        gocsp::go([&] {
            check();
            wg.done();
        });
        wg.wait();
    }
    SECTION("main thread") { check(); }
}

// Go: NewTicker and Ticker.Reset panic "non-positive interval for NewTicker" / "... for
// Ticker.Reset" when d <= 0; Tick returns nil. A duration that rounds up to 1 ns is positive.
TEST_CASE("a ticker with a non-positive interval panics with Go's message", "[adversarial][time]") {
    using namespace adversarial_time;
    using Catch::Matchers::Message;
    REQUIRE_THROWS_MATCHES(t::ticker(0ns), gocsp::panic_error, Message("non-positive interval for NewTicker"));
    REQUIRE_THROWS_MATCHES(t::ticker(-1ms), gocsp::panic_error, Message("non-positive interval for NewTicker"));
    REQUIRE_THROWS_MATCHES(t::ticker(std::chrono::hours::min()), gocsp::panic_error,
                           Message("non-positive interval for NewTicker"));
    REQUIRE_THROWS_MATCHES(t::ticker(std::chrono::duration<double>(-0.5)), gocsp::panic_error,
                           Message("non-positive interval for NewTicker"));
    t::ticker tk(1h);
    REQUIRE_THROWS_MATCHES(tk.reset(0s), gocsp::panic_error, Message("non-positive interval for Ticker.Reset"));
    REQUIRE_THROWS_MATCHES(tk.reset(std::chrono::seconds::min()), gocsp::panic_error,
                           Message("non-positive interval for Ticker.Reset"));
    REQUIRE(t::tick(0s).is_nil());
    REQUIRE(t::tick(std::chrono::hours::min()).is_nil());
}

// Go: time.After(math.MaxInt64) and time.Tick(math.MaxInt64) never deliver; Sleep(MaxInt64)
// never returns, on a goroutine as on any thread.
// [leaks-ok]: what never ends cannot be stopped - after and tick timers stay pending, and the
// sleeping goroutines and thread sleep on until the process exits.
TEST_CASE("after, tick and sleeps with durations too long for the clock never end",
          "[adversarial][time][leaks-ok]") {
    using namespace adversarial_time;
    std::vector<gocsp::recv_chan<t::time_point>> never_ready = {
        t::after(std::chrono::nanoseconds::max()),
        t::after(std::chrono::hours::max()),
        t::after(std::chrono::duration<long double>(1e4000L)),
        t::tick(std::chrono::nanoseconds::max()),
        t::tick(std::chrono::years::max()),
    };
    static std::atomic<int> woke{0};  // outlives the test case: the sleepers never return
    auto sleep_and_count = [](std::function<void()> sleep) {
        return [sleep] {
            sleep();
            ++woke;
        };
    };
    std::vector<std::function<void()>> sleeps = {
        [] { gocsp::sleep_for(std::chrono::nanoseconds::max()); },
        [] { gocsp::sleep_for(std::chrono::hours::max()); },
        [] { gocsp::sleep_for(std::chrono::duration<double>(1e300)); },
        [] { t::sleep(std::chrono::seconds::max()); },
        [] { gocsp::sleep_until(system_clock::time_point::max()); },
        [] { gocsp::sleep_until(hours_point::max()); },
        [] { gocsp::sleep_until(std::chrono::steady_clock::time_point::max()); },
    };
    for (auto& s : sleeps) gocsp::go(sleep_and_count(s));
    for (auto& s : sleeps) std::thread(sleep_and_count(s)).detach();  // plain threads
    quiet_for(200ms);
    for (auto& c : never_ready) CHECK_FALSE(fired(c));
    CHECK(woke.load() == 0);
}

// Go: Sleep(d) with d <= 0 returns at once; so does sleeping until a time already passed,
// however far in the past (here hours::min() overflowed into a sleep far ahead).
TEST_CASE("sleeps with zero or negative durations of any type return at once", "[adversarial][time]") {
    using namespace adversarial_time;
    auto sleeps = [] {
        gocsp::sleep_for(0ns);
        gocsp::sleep_for(-1s);
        gocsp::sleep_for(std::chrono::nanoseconds::min());
        gocsp::sleep_for(std::chrono::hours::min());
        gocsp::sleep_for(std::chrono::duration<double>(-1e300));
        gocsp::sleep_for(std::chrono::duration<double>(std::nan("")));
        t::sleep(std::chrono::minutes::min());
        gocsp::sleep_until(system_clock::time_point::min());
        gocsp::sleep_until(hours_point::min());
        gocsp::sleep_until(std::chrono::steady_clock::time_point::min());
        gocsp::sleep_until(system_clock::now() - 1h);
    };
    gocsp::chan<int> done(2);
    gocsp::go([&] {
        sleeps();
        done.send(1);
    });
    std::thread plain([&] {
        sleeps();
        done.send(2);
    });
    int finished = 0;
    for (int i = 0; i < 2; ++i) {
        t::timer limit(30s);  // the broken sleeps lasted years
        if (gocsp::select(gocsp::recv_case(done), gocsp::recv_case(limit.c)) == 0) ++finished;
    }
    CHECK(finished == 2);
    if (finished == 2) plain.join();
    else plain.detach();
}

// Go: time.Since of a time far in the past saturates rather than wrapping around.
TEST_CASE("since a time point far in the past or future saturates", "[adversarial][time]") {
    using namespace adversarial_time;
    CHECK(t::since(system_clock::time_point::min()) == t::duration::max());
    CHECK(t::since(system_clock::time_point::max()) < t::duration::zero());
    CHECK(t::since(system_clock::now() - 1h) >= 1h);
}
