/// \file
/// gocsp/semaphore.hpp - Go's golang.org/x/sync/semaphore: a weighted semaphore, FIFO.
///
///     gocsp::semaphore memory(64 << 20);        // 64 MiB of buffers at most
///     gocsp::go([&] {
///         memory.acquire(size);                  // parks until `size` bytes are free
///         process(size);
///         memory.release(size);
///     });
///
/// FIFO, as Go's: a waiter is served only after every waiter before it, even when its own
/// weight would fit now (a big request is not starved by a stream of small ones); acquire and
/// try_acquire succeed at once only when nobody waits. Waiting goroutines park (wait reason
/// "semacquire"); plain threads block.
///
/// Acquiring more than the size can never succeed. Go's Acquire then waits for its context to
/// end; gocsp's acquire() (which takes no context) throws panic_error instead of blocking for
/// ever, and try_acquire() returns false.
//
// Invariants (under lock_): 0 <= cur_ <= size_. If queue_ is not empty, its first waiter's
// weight does not fit (size_ - cur_ < n): release() serves waiters from the front while they
// fit, adding their weights to cur_ before it ready()s them (after unlocking), so a waiter that
// parked returns owning its weight.
//
// Lock order: lock_ is a primitive lock (scheduler.hpp's order), a leaf.
#pragma once

#include <cstdint>
#include <mutex>

#include "detail/scheduler.hpp"
#include "detail/spinlock.hpp"
#include "detail/wait_queue.hpp"
#include "panic.hpp"

namespace gocsp {

/// semaphore: Go's semaphore.Weighted (example above): a size, and acquisitions of any weight
/// up to it. Not copyable; it must not be destroyed while somebody waits on it.
class semaphore {
public:
    /// semaphore(size): Go's NewWeighted(size): the total weight held at once is at most size.
    /// Throws panic_error("semaphore: negative size") if size < 0.
    explicit semaphore(std::int64_t size) : size_(size) {
        if (size < 0) throw panic_error("semaphore: negative size");
    }
    semaphore(const semaphore&) = delete;
    semaphore& operator=(const semaphore&) = delete;

    /// acquire: Go's Acquire (without a context): takes weight n, waiting until it is free and
    /// every earlier waiter is served. Throws panic_error("semaphore: acquire of more than the
    /// size") if n exceeds the size (it could never succeed; Go blocks until its context ends),
    /// and panic_error("semaphore: negative weight") if n < 0.
    void acquire(std::int64_t n = 1);

    /// try_acquire: Go's TryAcquire: takes weight n if it is free and nobody waits; never waits.
    /// Returns whether it took it (false for n > size). Throws panic_error("semaphore: negative
    /// weight") if n < 0.
    bool try_acquire(std::int64_t n = 1);

    /// release: Go's Release: gives weight n back and serves the waiters it lets in. Throws
    /// panic_error("semaphore: released more than held") if more is released than is held
    /// (nothing changes then), and panic_error("semaphore: negative weight") if n < 0.
    void release(std::int64_t n = 1);

private:
    struct waiter {
        detail::g* gp;
        waiter* next = nullptr;
        std::int64_t n = 0;
    };

    static void check_weight(std::int64_t n) {
        if (n < 0) throw panic_error("semaphore: negative weight");
    }

    const std::int64_t size_;
    detail::spinlock lock_;  // protects cur_ and queue_
    std::int64_t cur_ = 0;   // the weight held now
    detail::wait_queue<waiter> queue_;
};

inline void semaphore::acquire(std::int64_t n) {
    check_weight(n);
    if (n > size_) throw panic_error("semaphore: acquire of more than the size");
    lock_.lock();
    if (queue_.empty() && size_ - cur_ >= n) {
        cur_ += n;
        lock_.unlock();
        return;
    }
    waiter w{detail::current_g()};
    w.n = n;
    detail::park_in(queue_, &w, detail::wait_reason::semacquire, lock_);  // returns owning n
}

inline bool semaphore::try_acquire(std::int64_t n) {
    check_weight(n);
    std::lock_guard<detail::spinlock> hold(lock_);
    if (!queue_.empty() || size_ - cur_ < n) return false;
    cur_ += n;
    return true;
}

inline void semaphore::release(std::int64_t n) {
    check_weight(n);
    detail::wait_queue<waiter> woken;
    {
        std::lock_guard<detail::spinlock> hold(lock_);
        if (n > cur_) throw panic_error("semaphore: released more than held");
        cur_ -= n;
        while (waiter* w = queue_.front()) {
            if (size_ - cur_ < w->n) break;  // FIFO: the rest waits behind it
            cur_ += w->n;
            woken.push_back(queue_.pop_front());
        }
    }
    // pop_front reads a waiter's link before ready(): its stack may run on at once.
    while (waiter* w = woken.pop_front()) detail::scheduler::get().ready(w->gp, false);
}

}  // namespace gocsp
