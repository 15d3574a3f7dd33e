/// \file
/// gocsp/cond.hpp - Go's sync.Cond: goroutines wait for a condition on state guarded by a lock.
///
///     gocsp::mutex mu;
///     gocsp::cond ready;
///     std::deque<job> jobs;
///     // consumer:
///     std::unique_lock<gocsp::mutex> hold(mu);
///     ready.wait(hold, [&] { return !jobs.empty(); });
///     job j = std::move(jobs.front());
///     jobs.pop_front();
///     // producer:
///     { std::lock_guard<gocsp::mutex> hold(mu); jobs.push_back(j); }
///     ready.signal();
///
/// As std::condition_variable_any, the lock is an argument of wait() (Go's Cond carries it as
/// its field L): any BasicLockable works - a gocsp::mutex, a std::unique_lock of one, a
/// gocsp::shared_mutex. Waiting goroutines park (wait reason "sync.Cond.Wait"); plain threads
/// block. No spurious wake-ups, but a woken waiter must still recheck its condition (another may
/// have changed it before the waiter got the lock back): loop, or use the predicate form.
//
// Invariants (Go's ticket scheme): every wait takes a ticket (wait_, incremented atomically)
// while it still holds the user's lock, before it releases it. notify_ is the first ticket not
// yet notified; it grows only under lock_. A waiter whose ticket is below notify_ when it gets
// lock_ returns at once (its signal came before it could queue); otherwise it queues and parks,
// and the signal of its ticket takes it off the queue and ready()s it, exactly once. So a
// signal sent after a wait released the user's lock is never lost. Tickets wrap around: they
// are compared by their signed difference.
//
// Lock order: the user's lock is never held while lock_ is taken by wait(); lock_ is a leaf
// (a primitive lock, see scheduler.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "detail/scheduler.hpp"
#include "detail/spinlock.hpp"
#include "detail/wait_queue.hpp"

namespace gocsp {

/// cond: Go's sync.Cond, with the lock passed to wait() (example above). Not copyable; it must
/// not be destroyed while somebody waits on it.
class cond {
public:
    cond() = default;
    cond(const cond&) = delete;
    cond& operator=(const cond&) = delete;

    /// wait: Go's Wait: unlocks lock, waits for a signal() or broadcast() that comes after this
    /// call, and locks lock again before returning (even if what woke it was long ago). lock
    /// must be held by the caller; its unlock() must not throw (BasicLockable's rule).
    template <class Lock>
    void wait(Lock& lock) {
        const std::uint32_t ticket = wait_.fetch_add(1, std::memory_order_seq_cst);
        lock.unlock();
        wait_ticket(ticket);
        lock.lock();
    }

    /// wait: waits until pred() holds: `while (!pred()) wait(lock);`.
    template <class Lock, class Pred>
    void wait(Lock& lock, Pred pred) {
        while (!pred()) wait(lock);
    }

    /// signal: Go's Signal: wakes the longest-waiting waiter, if any. Holding the lock while
    /// calling it is allowed, not required.
    void signal() noexcept;

    /// broadcast: Go's Broadcast: wakes every waiter.
    void broadcast() noexcept;

private:
    struct waiter {
        detail::g* gp;
        waiter* next = nullptr;
        std::uint32_t ticket = 0;
    };

    // before: whether ticket a comes before b (wrapping around).
    static bool before(std::uint32_t a, std::uint32_t b) noexcept {
        return static_cast<std::int32_t>(a - b) < 0;
    }

    void wait_ticket(std::uint32_t ticket) noexcept;

    std::atomic<std::uint32_t> wait_{0};    // the next ticket to hand out
    std::atomic<std::uint32_t> notify_{0};  // the next ticket to notify; written under lock_
    detail::spinlock lock_;                 // protects queue_ and notify_'s changes
    detail::wait_queue<waiter> queue_;
};

inline void cond::wait_ticket(std::uint32_t ticket) noexcept {
    lock_.lock();
    if (before(ticket, notify_.load(std::memory_order_relaxed))) {
        lock_.unlock();
        return;
    }
    waiter w{detail::current_g()};
    w.ticket = ticket;
    detail::park_in(queue_, &w, detail::wait_reason::sync_cond_wait, lock_);
}

inline void cond::signal() noexcept {
    if (wait_.load(std::memory_order_seq_cst) == notify_.load(std::memory_order_seq_cst)) return;  // nobody waits
    lock_.lock();
    const std::uint32_t t = notify_.load(std::memory_order_relaxed);
    if (t == wait_.load(std::memory_order_relaxed)) {
        lock_.unlock();
        return;
    }
    notify_.store(t + 1, std::memory_order_seq_cst);
    waiter* w = queue_.remove_first_if([t](const waiter& x) { return x.ticket == t; });
    lock_.unlock();
    if (w) detail::scheduler::get().ready(w->gp, false);  // else it will see its ticket passed
}

inline void cond::broadcast() noexcept {
    if (wait_.load(std::memory_order_seq_cst) == notify_.load(std::memory_order_seq_cst)) return;
    lock_.lock();
    notify_.store(wait_.load(std::memory_order_relaxed), std::memory_order_seq_cst);
    detail::wait_queue<waiter> woken = std::exchange(queue_, {});
    lock_.unlock();
    // pop_front reads a waiter's link before ready(): its stack may run on at once.
    while (waiter* w = woken.pop_front()) detail::scheduler::get().ready(w->gp, false);
}

}  // namespace gocsp
