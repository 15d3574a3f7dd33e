// gocsp/wait_group.hpp - Go's sync.WaitGroup.
//
//     gocsp::wait_group wg;
//     for (auto& item : items) {
//         wg.add(1);
//         gocsp::go([&wg](auto item) { process(item); wg.done(); }, item);
//     }
//     wg.wait();
//
// Invariants: count_ is the counter; waiters_ holds exactly the goroutines (or threads)
// parked in wait(), and is touched only under lock_. A waiter enqueues only after reading
// count_ != 0 under lock_; the add() that brings count_ to 0 takes lock_ afterwards and
// releases every waiter it finds, so no wake-up is lost.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "detail/scheduler.hpp"
#include "detail/spinlock.hpp"
#include "panic.hpp"

namespace gocsp {

class wait_group {
public:
    wait_group() = default;
    wait_group(const wait_group&) = delete;
    wait_group& operator=(const wait_group&) = delete;

    /// add: adds delta (which may be negative) to the counter. When it reaches zero, every
    /// goroutine blocked in wait() is released. Never blocks.
    /// Throws panic_error("sync: negative WaitGroup counter") if the counter would go below
    /// zero (the counter is then left unchanged).
    void add(std::int64_t delta);

    /// done: add(-1).
    void done() { add(-1); }

    /// wait: blocks until the counter is zero; returns at once if it is. A goroutine parks
    /// (wait reason "sync.WaitGroup.Wait"); a plain thread blocks.
    void wait();

private:
    std::atomic<std::int64_t> count_{0};
    detail::spinlock lock_;              // protects waiters_
    std::vector<detail::g*> waiters_;
};

inline void wait_group::add(std::int64_t delta) {
    std::int64_t v = count_.fetch_add(delta, std::memory_order_acq_rel) + delta;
    if (v < 0) {
        count_.fetch_sub(delta, std::memory_order_acq_rel);
        throw panic_error("sync: negative WaitGroup counter");
    }
    if (v != 0 || delta == 0) return;
    std::vector<detail::g*> wake;
    {
        std::lock_guard<detail::spinlock> hold(lock_);
        wake.swap(waiters_);
    }
    auto& sched = detail::scheduler::get();
    for (detail::g* gp : wake) sched.ready(gp, false);
}

inline void wait_group::wait() {
    if (count_.load(std::memory_order_acquire) == 0) return;
    lock_.lock();
    if (count_.load(std::memory_order_acquire) == 0) {
        lock_.unlock();
        return;
    }
    try {
        waiters_.push_back(detail::current_g());
    } catch (...) {
        lock_.unlock();
        throw;
    }
    detail::scheduler::get().park(detail::wait_reason::wait_group, &detail::unlock_spinlock, &lock_);
}

}  // namespace gocsp
