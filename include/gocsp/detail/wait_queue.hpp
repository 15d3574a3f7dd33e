// gocsp/detail/wait_queue.hpp - the FIFO of parked waiters shared by the sync primitives.
//
// An intrusive singly linked list: each waiter lives on the stack of the goroutine (or plain
// thread) that waits, and links itself through its own `next` member. The queue owns nothing
// and is protected by its primitive's lock; a waiter is in at most one queue, at most once.
#pragma once

#include "g.hpp"
#include "scheduler.hpp"
#include "spinlock.hpp"

namespace gocsp::detail {

/// wait_queue: an intrusive FIFO of W (a type with a `W* next` member). Not thread-safe: the
/// primitive that owns it holds its own lock around every call.
template <class W>
class wait_queue {
public:
    /// empty: whether nobody waits.
    bool empty() const noexcept { return head_ == nullptr; }

    /// front: the first waiter, or nullptr.
    W* front() const noexcept { return head_; }

    /// push_back: w waits last (a newcomer).
    void push_back(W* w) noexcept {
        w->next = nullptr;
        if (tail_) tail_->next = w;
        else head_ = w;
        tail_ = w;
    }

    /// push_front: w waits first (a waiter that was woken, lost the race and waits again).
    void push_front(W* w) noexcept {
        w->next = head_;
        head_ = w;
        if (!tail_) tail_ = w;
    }

    /// pop_front: takes the first waiter off the queue; nullptr if empty.
    W* pop_front() noexcept {
        W* w = head_;
        if (!w) return nullptr;
        head_ = w->next;
        if (!head_) tail_ = nullptr;
        w->next = nullptr;
        return w;
    }

    /// remove_first_if: takes the first waiter that satisfies pred off the queue; nullptr if none.
    template <class Pred>
    W* remove_first_if(Pred pred) noexcept {
        W* prev = nullptr;
        for (W* w = head_; w; prev = w, w = w->next) {
            if (!pred(*w)) continue;
            if (prev) prev->next = w->next;
            else head_ = w->next;
            if (tail_ == w) tail_ = prev;
            w->next = nullptr;
            return w;
        }
        return nullptr;
    }

private:
    W* head_ = nullptr;
    W* tail_ = nullptr;
};

/// park_in: the park handshake of runtime rules 6-7 for a primitive guarded by `lock` (held by
/// the caller): queues w last (first if `first`), parks with `reason`, and releases `lock` only
/// once the caller is off its stack. Returns after the ready() of whoever took w off the queue.
template <class W>
void park_in(wait_queue<W>& q, W* w, wait_reason reason, spinlock& lock, bool first = false) noexcept {
    if (first) q.push_front(w);
    else q.push_back(w);
    scheduler::get().park(reason, &unlock_spinlock, &lock);
}

}  // namespace gocsp::detail
