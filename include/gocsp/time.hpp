/// \file
/// gocsp/time.hpp - Go's time package: timers and tickers as channels, usable in select.
///
///     namespace t = gocsp::time;
///     switch (gocsp::select(gocsp::recv_case(results, r),
///                           gocsp::recv_case(t::after(std::chrono::seconds(1))))) {
///         case 0: use(r); break;
///         case 1: std::puts("timeout"); break;
///     }
///
///     t::ticker tick(std::chrono::seconds(1));       // stops when it goes out of scope
///     for (int i = 10; i > 0; --i) { std::printf("%d\n", i); tick.c.recv(); }
///
/// Every channel here has a buffer of one: a timer's value waits for a reader; a ticker drops
/// ticks a slow reader has not taken, as Go's does. The values are the wall-clock time of firing.
/// Timers live in the runtime's timer heap (O(log n) to add or stop; a million pending is fine)
/// and fire from the scheduler: no thread or goroutine per timer.
///
/// Durations may be of any std::chrono type (any period, integer or floating-point count). They
/// are rounded up to whole nanoseconds, saturating as Go's deadlines do: one too long for 64-bit
/// nanoseconds (about 292 years) never fires, and one of zero or less fires at once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <utility>

#include "chan.hpp"
#include "detail/scheduler.hpp"
#include "panic.hpp"
#include "runtime.hpp"

namespace gocsp::time {

/// clock: the clock of the values timers and tickers send (wall-clock time, as Go's time.Now).
using clock = std::chrono::system_clock;
/// time_point: a point in time on `clock`, the value a timer or ticker sends.
using time_point = clock::time_point;
/// duration: Go's time.Duration, whole nanoseconds; other std::chrono durations convert to it.
using duration = std::chrono::nanoseconds;

namespace detail {

/// chan_timer: a runtime timer with what it delivers to. Reference-counted: the user's handle
/// holds one reference, the heap one while pending, a callback one while it runs.
struct chan_timer {
    gocsp::detail::timer t;
    chan<time_point> ch;             // nil for after_func timers
    std::function<void()> func;      // after_func only
    std::atomic<int> refs{1};

    chan_timer() { t.arg = this; t.on_pop = &on_pop; }

    void release() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    static chan_timer* of(gocsp::detail::timer* t) noexcept { return static_cast<chan_timer*>(t->arg); }
    static void on_pop(gocsp::detail::timer* t, bool again) noexcept {
        // Not periodic: the heap's reference passes to the callback; periodic: the heap keeps
        // its own, the callback gets another.
        if (again) of(t)->refs.fetch_add(1, std::memory_order_relaxed);
    }
    static void fire_send(gocsp::detail::timer* t, std::int64_t) noexcept {
        chan_timer* self = of(t);
        time_point now = clock::now();
        self->ch.core()->try_send(&now, true);  // full: the reader is behind; drop, as Go does
        self->release();
    }
    static void fire_func(gocsp::detail::timer* t, std::int64_t) noexcept {
        chan_timer* self = of(t);
        gocsp::go(self->func);
        self->release();
    }

    /// start: puts the timer in the heap, due in d_ns (every p_ns after that if p_ns > 0).
    void start(std::int64_t d_ns, std::int64_t p_ns) noexcept {
        t.when = gocsp::detail::deadline_after(d_ns);
        t.period = p_ns;
        refs.fetch_add(1, std::memory_order_relaxed);  // the heap's
        gocsp::detail::scheduler::get().add_timer(&t);
    }
    /// stop: takes the timer out of the heap; whether it was there.
    bool stop() noexcept {
        if (!gocsp::detail::scheduler::get().stop_timer(&t)) return false;
        release();  // the heap's
        return true;
    }
};

}  // namespace detail

namespace detail {

/// timer_owner: what timer and ticker share - the channel and the one reference to the
/// runtime timer that the handle owns. Movable, not copyable; destroying it stops the timer.
class timer_owner {
public:
    timer_owner(const timer_owner&) = delete;
    timer_owner& operator=(const timer_owner&) = delete;
    timer_owner(timer_owner&& o) noexcept : c(std::move(o.c)), state_(std::exchange(o.state_, nullptr)) {}
    timer_owner& operator=(timer_owner&& o) noexcept {
        if (this != &o) {
            drop();
            c = std::move(o.c);
            state_ = std::exchange(o.state_, nullptr);
        }
        return *this;
    }
    ~timer_owner() { drop(); }

    /// c: where the time is delivered (nil for a timer made by after_func).
    recv_chan<time_point> c;

protected:
    /// timer_owner(fire, with_channel): a runtime timer calling fire, not started yet.
    timer_owner(void (*fire)(gocsp::detail::timer*, std::int64_t), bool with_channel)
        : state_(new chan_timer()) {
        if (with_channel) {
            state_->ch = chan<time_point>(1);
            c = state_->ch;
        }
        state_->t.fire = fire;
    }
    void drop() noexcept {
        if (!state_) return;
        state_->stop();
        state_->release();
        state_ = nullptr;
    }
    chan_timer* state_;
};

}  // namespace detail

/// timer: Go's time.Timer. `c` receives the time once, d after construction (or reset). The
/// timer stops when destroyed.
class timer : public detail::timer_owner {
public:
    /// timer(d): fires once, after d.
    template <class Rep, class Period>
    explicit timer(std::chrono::duration<Rep, Period> d) : timer_owner(&detail::chan_timer::fire_send, true) {
        state_->start(gocsp::detail::to_nanoseconds(d), 0);
    }

    /// stop: prevents the timer from firing. Returns false if it had already fired (or been
    /// stopped); stop does not drain c.
    bool stop() noexcept { return state_ && state_->stop(); }

    /// reset: makes the timer fire after d (from now). Returns whether it was still pending.
    /// As in Go, a value already in c stays there; stop and drain first if that matters.
    template <class Rep, class Period>
    bool reset(std::chrono::duration<Rep, Period> d) noexcept {
        bool was = stop();
        state_->start(gocsp::detail::to_nanoseconds(d), 0);
        return was;
    }

private:
    template <class Rep, class Period>
    friend timer after_func(std::chrono::duration<Rep, Period> d, std::function<void()> f);
    struct for_func {};
    explicit timer(for_func) : timer_owner(&detail::chan_timer::fire_func, false) {}
};

/// ticker: Go's time.Ticker. `c` receives the time every d; ticks a slow reader misses are
/// dropped. Stops when destroyed - a stopped ticker leaves nothing behind in the runtime.
class ticker : public detail::timer_owner {
public:
    /// ticker(d): ticks every d; d must be positive, else it throws
    /// panic_error("non-positive interval for NewTicker"), Go's panic.
    template <class Rep, class Period>
    explicit ticker(std::chrono::duration<Rep, Period> d) : timer_owner(&detail::chan_timer::fire_send, true) {
        const std::int64_t ns = gocsp::detail::to_nanoseconds(d);
        if (ns <= 0) throw panic_error("non-positive interval for NewTicker");
        state_->start(ns, ns);
    }

    /// stop: no more ticks (one already being delivered may still arrive). c stays open.
    void stop() noexcept {
        if (state_) state_->stop();
    }
    /// reset: stops, then ticks every d from now. d must be positive, else it throws
    /// panic_error("non-positive interval for Ticker.Reset") and changes nothing.
    template <class Rep, class Period>
    void reset(std::chrono::duration<Rep, Period> d) {
        const std::int64_t ns = gocsp::detail::to_nanoseconds(d);
        if (ns <= 0) throw panic_error("non-positive interval for Ticker.Reset");
        stop();
        state_->start(ns, ns);
    }
};

namespace detail {
/// unowned_channel_timer: a channel timer nobody can stop (after, tick): only the heap's
/// reference remains, so it is gone once it fired for the last time.
inline recv_chan<time_point> unowned_channel_timer(std::int64_t d_ns, std::int64_t period_ns) {
    auto* state = new chan_timer();
    state->ch = chan<time_point>(1);
    recv_chan<time_point> c = state->ch;
    state->t.fire = &chan_timer::fire_send;
    state->start(d_ns, period_ns);
    state->release();
    return c;
}
}  // namespace detail

/// after: Go's time.After - a channel that receives the time once, after d. The runtime
/// forgets the timer once it fired (until then it stays pending, even if nobody listens).
template <class Rep, class Period>
recv_chan<time_point> after(std::chrono::duration<Rep, Period> d) {
    return detail::unowned_channel_timer(gocsp::detail::to_nanoseconds(d), 0);
}

/// tick: Go's time.Tick - a channel that receives the time every d, forever: the ticker can
/// never be stopped, so it lives as long as the program (use `ticker` when that matters).
/// d <= 0 gives the nil channel, as in Go.
template <class Rep, class Period>
recv_chan<time_point> tick(std::chrono::duration<Rep, Period> d) {
    const std::int64_t ns = gocsp::detail::to_nanoseconds(d);
    if (ns <= 0) return {};
    return detail::unowned_channel_timer(ns, ns);
}

/// after_func: Go's time.AfterFunc - runs f in its own goroutine after d. The returned
/// timer's stop() cancels it if it has not started; its c is nil.
template <class Rep, class Period>
timer after_func(std::chrono::duration<Rep, Period> d, std::function<void()> f) {
    timer t{timer::for_func{}};
    t.state_->func = std::move(f);
    t.state_->start(gocsp::detail::to_nanoseconds(d), 0);
    return t;
}

/// sleep: Go's time.Sleep; the same as gocsp::sleep_for.
template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> d) {
    gocsp::sleep_for(d);
}

/// since: Go's time.Since: the time elapsed since t, saturated at duration's limits as Go's
/// Time.Sub is.
inline duration since(time_point t) { return duration(gocsp::detail::nanoseconds_between(t, clock::now())); }

}  // namespace gocsp::time
