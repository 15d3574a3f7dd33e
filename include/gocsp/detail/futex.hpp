// gocsp/detail/futex.hpp - the only way a gocsp thread ever sleeps: a futex on a 32-bit word.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.hpp"
#include "config.hpp"

namespace gocsp::detail {

/// spin_for: calls done() in a pause loop for up to max_ns; returns whether it returned true.
/// Before a thread sleeps on a futex: a wake-up that comes within microseconds then costs
/// neither thread a trip through the kernel's scheduler.
template <class Done>
bool spin_for(std::int64_t max_ns, Done done) noexcept {
    const std::int64_t until = deadline_after(max_ns);
    for (;;) {
        for (int i = 0; i < 16; ++i) {
            if (done()) return true;
            cpu_relax();
        }
        if (nanotime() >= until) return false;
    }
}

/// futex_wait: sleeps while *word == expected, until futex_wake, a signal, or the relative
/// timeout (nanoseconds, negative = none) runs out. May return spuriously; callers loop.
inline void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                       std::int64_t timeout_ns = -1) noexcept {
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
    timespec ts{};
    timespec* tsp = nullptr;
    if (timeout_ns >= 0) {
        ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
        tsp = &ts;
    }
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, tsp,
              nullptr, 0);
}

/// futex_wake: wakes up to n threads sleeping in futex_wait on word.
inline void futex_wake(std::atomic<std::uint32_t>& word, int n = 1) noexcept {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, n, nullptr,
              nullptr, 0);
}

/// thread_event: a one-shot, resettable event for one waiting thread.
/// wait() returns once notify() has been called since the last wait(); it consumes the
/// notification. notify() may come before wait(); it is never lost.
///
/// state_: 0 nothing pending, 1 notified, 2 the waiter sleeps in the kernel. wait() may first
/// spin for a while (a hand-off from a goroutine often comes within microseconds, and a waiter
/// that is still on its core then costs nobody a system call) and only then announces itself
/// with 2 and sleeps; notify() makes a system call only for a sleeper.
class thread_event {
public:
    /// wait: returns once notified, after spinning for up to spin_ns first.
    void wait(std::int64_t spin_ns = 0) noexcept {
        if (spin_ns > 0) spin_for(spin_ns, [this] { return state_.load(std::memory_order_relaxed) == 1; });
        for (;;) {
            std::uint32_t s = state_.load(std::memory_order_relaxed);
            if (s == 1) {
                if (state_.exchange(0, std::memory_order_acquire) == 1) return;
                continue;
            }
            if (s == 0 && !state_.compare_exchange_weak(s, 2, std::memory_order_relaxed)) continue;
            futex_wait(state_, 2);
        }
    }
    /// wait_for: like wait(), but gives up after timeout_ns; returns whether it was notified.
    bool wait_for(std::int64_t timeout_ns) noexcept;
    void notify() noexcept {
        if (state_.exchange(1, std::memory_order_release) == 2) futex_wake(state_);
    }

private:
    std::atomic<std::uint32_t> state_{0};
};

inline bool thread_event::wait_for(std::int64_t timeout_ns) noexcept {
    if (state_.exchange(0, std::memory_order_acquire) == 1) return true;
    std::uint32_t s = 0;
    if (state_.compare_exchange_strong(s, 2, std::memory_order_relaxed)) futex_wait(state_, 2, timeout_ns);
    return state_.exchange(0, std::memory_order_acquire) == 1;
}

}  // namespace gocsp::detail
