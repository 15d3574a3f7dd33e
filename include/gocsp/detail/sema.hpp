// gocsp/detail/sema.hpp - the runtime's counting semaphore (Go's runtime sema): what the
// reader-writer lock's readers and writer wait on.
//
// Invariants (under lock_): count_ > 0 implies queue_ is empty. release() hands its unit to the
// first waiter directly when there is one (FIFO), and counts it otherwise; a waiter that parked
// returns owning a unit, never having to check again.
//
// Lock order: lock_ is a primitive lock (scheduler.hpp's order), a leaf below the user locks.
#pragma once

#include <cstdint>
#include <mutex>

#include "g.hpp"
#include "scheduler.hpp"
#include "spinlock.hpp"
#include "wait_queue.hpp"

namespace gocsp::detail {

/// sema: a counting semaphore whose waiters park (goroutines) or block (plain threads), FIFO.
class sema {
public:
    sema() = default;
    sema(const sema&) = delete;
    sema& operator=(const sema&) = delete;

    /// acquire: takes one unit, waiting (with wait reason `reason`) until there is one.
    void acquire(wait_reason reason) noexcept;

    /// release: gives one unit back: to the first waiter if any, else to the count.
    void release() noexcept;

private:
    struct waiter {
        g* gp;
        waiter* next = nullptr;
    };
    spinlock lock_;  // protects everything below
    std::uint32_t count_ = 0;
    wait_queue<waiter> queue_;
};

inline void sema::acquire(wait_reason reason) noexcept {
    lock_.lock();
    if (count_ > 0) {
        --count_;
        lock_.unlock();
        return;
    }
    waiter w{current_g()};
    park_in(queue_, &w, reason, lock_);  // returns owning the unit
}

inline void sema::release() noexcept {
    lock_.lock();
    waiter* w = queue_.pop_front();
    if (!w) ++count_;
    lock_.unlock();
    if (w) scheduler::get().ready(w->gp, false);
}

}  // namespace gocsp::detail
