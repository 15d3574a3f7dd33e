// gocsp/detail/timer.hpp - the runtime's timers: a 4-ary min-heap of deadlines.
//
// Invariants (all under timer_heap::lock_):
// - t->index is t's position in heap_ while t is pending, and -1 otherwise.
// - heap_[i].when == heap_[i].t->when (a pending timer's deadline does not change).
// - heap_[0] has the earliest `when`; next_when_ mirrors it (`never` when empty) so workers
//   can test "anything due?" without the lock. A pending timer's `when` is at most max_when
//   (clock.hpp computes every deadline, saturating), so a pending timer always shows there.
// - A timer's callback runs outside the lock, once per expiry, after the timer left the heap
//   (a periodic one is put back first). So a callback may add or stop timers, and stop() returns
//   false exactly when the callback has run or is about to (for a periodic timer, stop() may
//   return true while one last callback is running).
// Adding and stopping are O(log n); a million pending timers are fine.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "clock.hpp"
#include "spinlock.hpp"

namespace gocsp::detail {

class timer_heap;

struct timer {
    std::int64_t when = 0;                    // deadline (nanotime)
    std::int64_t period = 0;                  // > 0: fires again every period
    void (*fire)(timer*, std::int64_t now) = nullptr;  // the callback
    void* arg = nullptr;                      // for the callback
    std::int32_t index = -1;                  // position in the heap, -1 when not pending
    timer_heap* heap = nullptr;               // the heap it was last added to (timer_heaps)
    /// on_pop (optional): called under the heap's lock when t is taken out to fire; `again` if
    /// a periodic t was put back. Lets an owner that may be destroyed concurrently keep t
    /// alive until its callback returns.
    void (*on_pop)(timer*, bool again) = nullptr;
};

class alignas(64) timer_heap {
public:
    /// add: makes t pending (t must not be). Returns true if t became the earliest deadline.
    bool add(timer* t) noexcept {
        std::lock_guard<spinlock> hold(lock_);
        push(t);
        publish();
        return heap_[0].t == t;
    }

    /// stop: removes t if pending; returns whether it was.
    bool stop(timer* t) noexcept {
        std::lock_guard<spinlock> hold(lock_);
        if (t->index < 0) return false;
        remove_at(static_cast<std::size_t>(t->index));
        publish();
        return true;
    }

    /// next_when: the earliest deadline, or `never`. A lock-free hint.
    std::int64_t next_when() const noexcept { return next_when_.load(std::memory_order_acquire); }

    /// run_expired: fires every timer due at `now`; returns how many fired. Takes the due
    /// timers out in batches (one lock hold each), then fires the batch outside the lock.
    int run_expired(std::int64_t now) noexcept {
        int fired = 0;
        timer* batch[batch_size];
        while (next_when() <= now) {
            std::size_t n = 0;
            {
                std::lock_guard<spinlock> hold(lock_);
                while (n < batch_size && !heap_.empty() && heap_[0].when <= now) {
                    timer* t = heap_[0].t;
                    remove_at(0);
                    if (t->period > 0) {
                        t->when = deadline_after(t->when, t->period);
                        if (t->when <= now) t->when = deadline_after(now, t->period);  // drop missed periods
                        push(t);
                    }
                    if (t->on_pop) t->on_pop(t, t->period > 0);
                    batch[n++] = t;
                }
                publish();
            }
            if (n == 0) break;
            for (std::size_t i = 0; i < n; ++i) batch[i]->fire(batch[i], now);
            fired += static_cast<int>(n);
        }
        return fired;
    }

    std::size_t size() const noexcept {
        std::lock_guard<spinlock> hold(lock_);
        return heap_.size();
    }

private:
    static constexpr std::size_t arity = 4;
    static constexpr std::size_t batch_size = 32;

    // A heap entry keeps its timer's deadline beside the pointer: sifting compares entries
    // without touching the timers (which live all over memory, often on goroutine stacks).
    struct entry {
        std::int64_t when;
        timer* t;
    };

    void publish() noexcept { next_when_.store(heap_.empty() ? never : heap_[0].when, std::memory_order_release); }

    void push(timer* t) noexcept {
        t->index = static_cast<std::int32_t>(heap_.size());
        heap_.push_back({t->when, t});
        sift_up(heap_.size() - 1);
    }
    void place(std::size_t i, entry e) noexcept {
        heap_[i] = e;
        e.t->index = static_cast<std::int32_t>(i);
    }
    void sift_up(std::size_t i) noexcept {
        entry e = heap_[i];
        while (i > 0) {
            std::size_t parent = (i - 1) / arity;
            if (heap_[parent].when <= e.when) break;
            place(i, heap_[parent]);
            i = parent;
        }
        place(i, e);
    }
    void sift_down(std::size_t i) noexcept {
        entry e = heap_[i];
        std::size_t n = heap_.size();
        for (;;) {
            std::size_t first = i * arity + 1;
            if (first >= n) break;
            std::size_t best = first;
            for (std::size_t c = first + 1; c < first + arity && c < n; ++c)
                if (heap_[c].when < heap_[best].when) best = c;
            if (heap_[best].when >= e.when) break;
            place(i, heap_[best]);
            i = best;
        }
        place(i, e);
    }
    void remove_at(std::size_t i) noexcept {
        timer* t = heap_[i].t;
        entry last = heap_.back();
        heap_.pop_back();
        t->index = -1;
        if (i < heap_.size()) {
            place(i, last);
            sift_down(i);
            sift_up(static_cast<std::size_t>(last.t->index));
        }
    }

    mutable spinlock lock_{lock_rank::timer_heap};  // protects heap_ and every pending timer's index
    std::vector<entry> heap_;
    std::atomic<std::int64_t> next_when_{never};
};

/// timer_heaps: one heap per worker, plus one for every other thread (Go keeps one per P), so
/// workers that start and fire timers at a high rate do not contend for one lock. A timer joins
/// the heap of the thread that adds it and remembers it there (t->heap); its owner adds and stops
/// it under its own synchronisation, so t->heap never changes under a stop(). Any thread may fire
/// the due timers of any heap: a worker fires its own at every switch, an idle worker, the poller
/// and sysmon fire everybody's.
class timer_heaps {
public:
    /// init: n heaps (called once, before any timer is added).
    void init(int n) {
        heaps_ = std::make_unique<timer_heap[]>(static_cast<std::size_t>(n));
        n_ = n;
    }

    timer_heap& operator[](int i) noexcept { return heaps_[static_cast<std::size_t>(i)]; }
    const timer_heap& operator[](int i) const noexcept { return heaps_[static_cast<std::size_t>(i)]; }

    /// add: makes t pending in heap i.
    void add(timer* t, int i) noexcept {
        timer_heap& h = (*this)[i];
        t->heap = &h;
        h.add(t);
    }

    /// stop: removes t if pending; returns whether it was.
    bool stop(timer* t) noexcept {
        timer_heap* h = t->heap;
        return h != nullptr && h->stop(t);
    }

    /// next_when: the earliest deadline of all heaps, or `never` (lock-free, as each heap's).
    std::int64_t next_when() const noexcept {
        std::int64_t when = never;
        for (int i = 0; i < n_; ++i) when = std::min(when, (*this)[i].next_when());
        return when;
    }

    /// run_expired: fires every timer of every heap due at `now`; returns how many fired.
    int run_expired(std::int64_t now) noexcept {
        int fired = 0;
        for (int i = 0; i < n_; ++i) fired += (*this)[i].run_expired(now);
        return fired;
    }

    std::size_t size() const noexcept {
        std::size_t total = 0;
        for (int i = 0; i < n_; ++i) total += (*this)[i].size();
        return total;
    }

private:
    std::unique_ptr<timer_heap[]> heaps_;
    int n_ = 0;
};

}  // namespace gocsp::detail
