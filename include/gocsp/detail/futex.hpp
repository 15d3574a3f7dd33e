// gocsp/detail/futex.hpp - the only way a gocsp thread ever sleeps: a futex on a 32-bit word.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace gocsp::detail {

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

/// thread_event: a one-shot, resettable event for one sleeping thread.
/// wait() returns once notify() has been called since the last wait(); it consumes the
/// notification. notify() may come before wait(); it is never lost.
class thread_event {
public:
    void wait() noexcept {
        while (state_.exchange(0, std::memory_order_acquire) == 0) {
            futex_wait(state_, 0);
        }
    }
    /// wait_for: like wait(), but gives up after timeout_ns; returns whether it was notified.
    bool wait_for(std::int64_t timeout_ns) noexcept;
    void notify() noexcept {
        if (state_.exchange(1, std::memory_order_release) == 0) futex_wake(state_);
    }

private:
    std::atomic<std::uint32_t> state_{0};
};

inline bool thread_event::wait_for(std::int64_t timeout_ns) noexcept {
    if (state_.exchange(0, std::memory_order_acquire) != 0) return true;
    futex_wait(state_, 0, timeout_ns);
    return state_.exchange(0, std::memory_order_acquire) != 0;
}

}  // namespace gocsp::detail
