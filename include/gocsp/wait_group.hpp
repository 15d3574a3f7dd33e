/// \file
/// gocsp/wait_group.hpp - Go's sync.WaitGroup.
///
///     gocsp::wait_group wg;
///     for (auto& item : items) {
///         wg.add(1);
///         gocsp::go([&wg](auto item) { process(item); wg.done(); }, item);
///     }
///     wg.wait();
//
// Invariants: state_ holds the counter (shifted left by one) and a "waking" bit. The add() that
// brings the counter to zero sets the bit in the same atomic step, releases every waiter queued
// under lock_, and clears the bit as its very last access to the object. A waiter returns only
// once it sees the counter at zero with the bit clear (or after being released), so a
// wait_group may be destroyed as soon as wait() returns. A waiter enqueues only after reading a
// non-zero counter under lock_, and the zeroing add() takes lock_ after that, so no wake-up is
// lost.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "detail/scheduler.hpp"
#include "detail/spinlock.hpp"
#include "panic.hpp"

namespace gocsp {

/// wait_group: Go's sync.WaitGroup - a counter of goroutines to wait for (example above).
/// Not copyable; it may be destroyed as soon as wait() returns.
class wait_group {
public:
    wait_group() = default;
    wait_group(const wait_group&) = delete;
    wait_group& operator=(const wait_group&) = delete;

    /// add: adds delta (which may be negative) to the counter. When it reaches zero, every
    /// goroutine blocked in wait() is released. Never blocks.
    /// Throws panic_error("sync: negative WaitGroup counter") if the counter would go below
    /// zero, and panic_error("sync: WaitGroup counter overflow") if it would exceed 2^62 - 1;
    /// the counter is then left unchanged.
    void add(std::int64_t delta);

    /// done: add(-1).
    void done() { add(-1); }

    /// wait: blocks until the counter is zero; returns at once if it is. A goroutine parks
    /// (wait reason "sync.WaitGroup.Wait"); a plain thread blocks.
    void wait();

private:
    static constexpr std::int64_t waking = 1;  // low bit of state_
    static constexpr std::int64_t max_counter = INT64_MAX >> 1;
    std::atomic<std::int64_t> state_{0};      // counter << 1 | waking
    detail::spinlock lock_{detail::lock_rank::primitive};  // protects waiters_
    std::vector<detail::g*> waiters_;
};

inline void wait_group::add(std::int64_t delta) {
    std::int64_t s = state_.load(std::memory_order_relaxed);
    std::int64_t counter;
    for (;;) {
        if (__builtin_add_overflow(s >> 1, delta, &counter) || counter > max_counter) {
            if (delta < 0) throw panic_error("sync: negative WaitGroup counter");
            throw panic_error("sync: WaitGroup counter overflow");
        }
        if (counter < 0) throw panic_error("sync: negative WaitGroup counter");
        std::int64_t next = counter << 1 | (counter == 0 && delta != 0 ? waking : (s & waking));
        if (state_.compare_exchange_weak(s, next, std::memory_order_acq_rel, std::memory_order_relaxed)) break;
    }
    if (counter != 0 || delta == 0) return;
    std::vector<detail::g*> wake;
    {
        std::lock_guard<detail::spinlock> hold(lock_);
        wake.swap(waiters_);
    }
    state_.fetch_and(~waking, std::memory_order_release);  // the last access to *this
    auto& sched = detail::scheduler::get();
    for (detail::g* gp : wake) sched.ready(gp, false);
}

inline void wait_group::wait() {
    for (;;) {
        std::int64_t s = state_.load(std::memory_order_acquire);
        if (s == 0) return;
        if ((s >> 1) == 0) {  // zero, but the add() that zeroed it is still waking waiters
            detail::scheduler::get().yield();
            continue;
        }
        lock_.lock();
        if ((state_.load(std::memory_order_acquire) >> 1) == 0) {
            lock_.unlock();
            continue;
        }
        try {
            waiters_.push_back(detail::current_g());
        } catch (...) {
            lock_.unlock();
            throw;
        }
        detail::scheduler::get().park(detail::wait_reason::wait_group, &detail::unlock_spinlock, &lock_);
        return;  // released by the zeroing add(), which no longer touches *this after that
    }
}

}  // namespace gocsp
