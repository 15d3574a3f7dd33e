// gocsp/detail/spinlock.hpp - the lock of every short critical section in gocsp.
//
// Held for a few dozen instructions, and sometimes across a fiber switch (a parking goroutine
// releases its primitive's lock from the next context, see scheduler.hpp). So it cannot be a
// std::mutex (unlock from another thread is undefined); it is an atomic flag. Waiters spin
// briefly, then yield the CPU, then sleep on a futex, so a holder preempted by the OS costs the
// others little CPU.
#pragma once

#include <atomic>
#include <cstdint>
#include <sched.h>

#include "config.hpp"
#include "futex.hpp"

namespace gocsp::detail {

class spinlock {
public:
    spinlock() = default;
    spinlock(const spinlock&) = delete;
    spinlock& operator=(const spinlock&) = delete;

    bool try_lock() noexcept {
        std::uint32_t expected = 0;
        return state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                              std::memory_order_relaxed);
    }
    void lock() noexcept {
        if (GOCSP_LIKELY(try_lock())) return;
        lock_slow();
    }
    void unlock() noexcept {
        if (state_.exchange(0, std::memory_order_release) == 2) futex_wake(state_);
    }

private:
    void lock_slow() noexcept;

    // 0 free, 1 held, 2 held and somebody may sleep on the futex.
    std::atomic<std::uint32_t> state_{0};
};

inline void spinlock::lock_slow() noexcept {
    // Spin with exponential back-off while the holder is (probably) running: critical sections
    // are a few dozen instructions. Then let the OS run someone else; then sleep.
    for (int pauses = 1; pauses <= 256; pauses *= 2) {
        for (int i = 0; i < pauses; ++i) cpu_relax();
        if (state_.load(std::memory_order_relaxed) == 0 && try_lock()) return;
    }
    for (int i = 0; i < 4; ++i) {
        sched_yield();
        if (state_.load(std::memory_order_relaxed) == 0 && try_lock()) return;
    }
    while (state_.exchange(2, std::memory_order_acquire) != 0) futex_wait(state_, 2);
}

/// Unlock callback for park(): releases the spinlock passed as arg.
inline void unlock_spinlock(void* lock) noexcept { static_cast<spinlock*>(lock)->unlock(); }

}  // namespace gocsp::detail
