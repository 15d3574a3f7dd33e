// gocsp/detail/clock.hpp - the runtime's clock, and deadline arithmetic that cannot overflow.
//
// A deadline is a nanotime() value: steady_clock, in nanoseconds, in a std::int64_t. Every
// deadline the runtime computes - timers, tickers, sleeps, network deadlines, spins - comes from
// deadline_after, which saturates as Go's runtime does: a duration too long to add to now gives
// max_when, later than any program runs (nanotime() starts near zero at boot; max_when is 292
// years on), so such a timer never fires. max_when is one less than `never`, the heap's "nothing
// pending": a far timer still counts as pending everywhere (the deadlock detector too).
//
// Durations of any std::chrono type (any period, integer or floating-point count) and time points
// of any clock convert to nanoseconds with to_nanoseconds, rounding up (a sleep lasts at least
// what was asked) and saturating at the limits of std::int64_t; a NaN counts as zero.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ratio>
#include <type_traits>

namespace gocsp::detail {

/// nanotime: the runtime's clock, steady_clock in nanoseconds.
inline std::int64_t nanotime() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// never: the deadline of nothing (an empty timer heap's next_when).
inline constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

/// max_when: the latest deadline a timer can have (a saturated one): pending, never due.
inline constexpr std::int64_t max_when = never - 1;

/// to_nanoseconds: d in nanoseconds, rounded up, saturated at the limits of std::int64_t (a
/// NaN gives 0). Works for every period and every arithmetic count type of up to 64 bits.
template <class Rep, class Period>
std::int64_t to_nanoseconds(std::chrono::duration<Rep, Period> d) noexcept {
    static_assert(std::is_arithmetic_v<Rep>, "gocsp: a duration's count must be an arithmetic type");
    using per_tick = std::ratio_divide<Period, std::nano>;  // nanoseconds per tick, num/den
    constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min();
    if constexpr (std::is_floating_point_v<Rep>) {
        const long double ns = std::ceil(static_cast<long double>(d.count()) * per_tick::num / per_tick::den);
        if (std::isnan(ns)) return 0;
        if (ns >= 0x1p63L) return hi;  // 2^63, exact in long double; also +inf
        if (ns < -0x1p63L) return lo;
        return static_cast<std::int64_t>(ns);
    } else {
        static_assert(sizeof(Rep) <= sizeof(std::int64_t), "gocsp: a duration's count must fit 64 bits");
        // |count| < 2^64 and num < 2^63: the product fits 128 bits exactly.
        __extension__ typedef __int128 wide;
        wide ns = static_cast<wide>(d.count()) * per_tick::num;
        if constexpr (per_tick::den != 1) ns = ns / per_tick::den + (ns % per_tick::den > 0 ? 1 : 0);
        if (ns > hi) return hi;
        if (ns < lo) return lo;
        return static_cast<std::int64_t>(ns);
    }
}

/// nanoseconds_between: to - from in nanoseconds, saturated (time points of one clock, any
/// durations).
template <class Clock, class D1, class D2>
std::int64_t nanoseconds_between(std::chrono::time_point<Clock, D1> from, std::chrono::time_point<Clock, D2> to) noexcept {
    std::int64_t diff;
    const std::int64_t a = to_nanoseconds(to.time_since_epoch());
    const std::int64_t b = to_nanoseconds(from.time_since_epoch());
    if (__builtin_sub_overflow(a, b, &diff))
        return a > b ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
    return diff;
}

/// nanoseconds_until: how long from now until t (negative if t has passed), saturated.
template <class Clock, class Duration>
std::int64_t nanoseconds_until(std::chrono::time_point<Clock, Duration> t) noexcept {
    return nanoseconds_between(Clock::now(), t);
}

/// deadline_after: the deadline ns after base: base itself for ns <= 0, at most max_when.
inline std::int64_t deadline_after(std::int64_t base, std::int64_t ns) noexcept {
    if (ns <= 0) return base;
    std::int64_t when;
    if (__builtin_add_overflow(base, ns, &when) || when > max_when) return max_when;
    return when;
}

/// deadline_after: the deadline ns from now (now for ns <= 0), at most max_when.
inline std::int64_t deadline_after(std::int64_t ns) noexcept { return deadline_after(nanotime(), ns); }

/// deadline_ns: t (a time point of any clock) as a deadline: 0 for the zero time point (no
/// deadline), 1 for one already passed (however long ago); one too far ahead saturates at
/// max_when and never comes. The deadlines of net::conn and io::raw_fd.
template <class Clock, class Duration>
std::int64_t deadline_ns(std::chrono::time_point<Clock, Duration> t) noexcept {
    if (t.time_since_epoch().count() == 0) return 0;
    const std::int64_t left = nanoseconds_until(t);
    return left <= 0 ? 1 : deadline_after(left);
}

}  // namespace gocsp::detail
