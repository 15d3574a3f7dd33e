// gocsp/detail/poller.hpp - the scheduler's epoll wait loop (Go's netpoll_epoll.go): one idle
// worker at a time blocks in epoll_wait, bounded by the next timer, and hands I/O events to the
// netpoller (netpoll.hpp); an eventfd interrupts it when an earlier timer or new work appears.
//
// Invariants (with scheduler.hpp's): at most one worker is the poller (poller_active_), on the
// idle list meanwhile with `polling` set; the poller publishes poll_until_ and then rereads the
// next timer, add_timer publishes the timer and then reads poll_until_ (no lost wake-up).
#pragma once

#include <cerrno>
#include <cstdint>
#include <limits>
#include <sys/epoll.h>
#include <unistd.h>

#include "scheduler.hpp"

namespace gocsp::detail {

#if GOCSP_DEFINE_RUNTIME

GOCSP_DECL void scheduler::signal_poller() noexcept {
    if (!ev_signaled_.exchange(true, std::memory_order_acq_rel)) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(evfd_, &one, sizeof one);
    }
}

// netpoll: one epoll_wait of at most timeout_ns (0: just look; negative: no limit). Drains the
// eventfd and hands every other event to the netpoll dispatcher (which readies the goroutines
// waiting on it). Returns how many events went to the dispatcher.
GOCSP_DECL int scheduler::netpoll(std::int64_t timeout_ns) noexcept {
    epoll_event evs[64];
    int r;
    r = -1;
    if (timeout_ns != 0 && have_pwait2_.load(std::memory_order_relaxed)) {
        timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
        r = ::epoll_pwait2(epfd_, evs, 64, timeout_ns < 0 ? nullptr : &ts, nullptr);
        if (r < 0 && errno == ENOSYS) have_pwait2_.store(false, std::memory_order_relaxed);
    }
    if (timeout_ns == 0 || !have_pwait2_.load(std::memory_order_relaxed)) {
        // Whole milliseconds, rounded up, at most INT_MAX (a far timer's wait ends early, and
        // poll waits again).
        constexpr std::int64_t max_ms = std::numeric_limits<int>::max();
        const std::int64_t ms = timeout_ns <= 0 ? timeout_ns : timeout_ns / 1'000'000 + (timeout_ns % 1'000'000 != 0);
        r = ::epoll_wait(epfd_, evs, 64, ms < 0 ? -1 : static_cast<int>(std::min(ms, max_ms)));
    }
    int dispatched = 0;
    for (int i = 0; i < r; ++i) {
        if (evs[i].data.ptr == nullptr) {
            std::uint64_t v;
            [[maybe_unused]] auto n = ::read(evfd_, &v, sizeof v);
            ev_signaled_.store(false, std::memory_order_release);
        } else if (auto dispatch = netpoll_dispatch.load(std::memory_order_acquire)) {
            dispatch(evs[i].data.ptr, evs[i].events);
            ++dispatched;
        }
    }
    return dispatched;
}

// poll: if timers are pending or goroutines wait on the netpoller, and no other worker polls,
// become the poller and block in epoll until the next timer, an I/O event, an eventfd signal, or
// a wake. Returns whether it polled.
GOCSP_DECL bool scheduler::poll(worker* w) noexcept {
    if (timers_.next_when() == never && netpoll_waiters_.load(std::memory_order_seq_cst) == 0) return false;
    bool expected = false;
    if (!poller_active_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return false;
    w->polling.store(true, std::memory_order_seq_cst);
    for (;;) {
        if (w->wake.load(std::memory_order_seq_cst) != 0 || exiting_.load(std::memory_order_relaxed)) break;
        std::int64_t until = timers_.next_when();
        poll_until_.store(until, std::memory_order_seq_cst);
        if (timers_.next_when() != until) continue;  // a timer came in meanwhile
        const bool io = netpoll_waiters_.load(std::memory_order_seq_cst) > 0;
        if (until == never && !io) break;
        std::int64_t now = nanotime();
        if (until > now) {
            if (netpoll(until == never ? -1 : until - now) > 0) break;
            now = nanotime();
        }
        if (timers_.next_when() <= now && timers_.run_expired(now) > 0) break;
    }
    poll_until_.store(never, std::memory_order_seq_cst);
    w->polling.store(false, std::memory_order_seq_cst);
    poller_active_.store(false, std::memory_order_release);
    return true;
}

// netpoll_waiting: delta goroutines started (+) or stopped (-) waiting on the netpoller. A new
// waiter makes sure some idle worker is (or becomes) the poller.
GOCSP_DECL void scheduler::netpoll_waiting(int delta) noexcept {
    netpoll_waiters_.fetch_add(delta, std::memory_order_seq_cst);
    if (delta > 0 && !poller_active_.load(std::memory_order_seq_cst) && npidle_.load(std::memory_order_seq_cst) > 0)
        wake_idle(false);
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
