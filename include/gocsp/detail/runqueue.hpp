// gocsp/detail/runqueue.hpp - run queues: a worker's local ring, and the global list.
//
// local_runq invariants:
// - Only the owning worker pushes (put, put_batch) and advances `tail`; anybody pops from the
//   head with a compare-and-swap on `head` (the owner in get, thieves in steal).
// - 0 <= tail - head <= capacity (unsigned arithmetic; indices wrap).
// - A slot is read before the CAS that claims it; the CAS fails if the owner could have reused
//   the slot meanwhile, so a value read from a reused slot is never used. Slots are atomics so
//   that such a read is not a data race.
// - `next` (Go's runnext) holds at most one goroutine that runs before the ring: the one just
//   made ready by the running goroutine. Anybody may take it with an exchange.
//
// global_runq: a FIFO ring of pointers behind a spinlock; `size` may be read without the lock
// as a hint.
#pragma once

#include <atomic>
#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>

#include "config.hpp"
#include "g.hpp"
#include "spinlock.hpp"

namespace gocsp::detail {

/// global_runq: the run queue shared by all workers, fed by non-worker threads and overflows.
/// A growable ring of pointers: taking a batch copies pointers without touching the goroutines
/// (a linked list would chase one cold cache line per goroutine under the lock).
class global_runq {
public:
    /// push_batch: appends n goroutines.
    void push_batch(g* const* items, std::uint32_t n) {
        std::lock_guard<spinlock> hold(lock_);
        if (count_ + n > ring_.size()) grow(count_ + n);
        const std::size_t mask = ring_.size() - 1;
        for (std::uint32_t i = 0; i < n; ++i) ring_[(head_ + count_ + i) & mask] = items[i];
        count_ += n;
        size_.store(static_cast<std::uint32_t>(count_), std::memory_order_relaxed);
    }
    void push(g* gp) { push_batch(&gp, 1); }

    /// pop_batch: moves up to max goroutines, oldest first, into out; returns how many.
    std::uint32_t pop_batch(g** out, std::uint32_t max) noexcept {
        if (empty()) return 0;
        std::lock_guard<spinlock> hold(lock_);
        const std::size_t mask = ring_.size() - 1;
        std::uint32_t n = static_cast<std::uint32_t>(std::min<std::size_t>(max, count_));
        for (std::uint32_t i = 0; i < n; ++i) out[i] = ring_[(head_ + i) & mask];
        head_ = (head_ + n) & mask;
        count_ -= n;
        size_.store(static_cast<std::uint32_t>(count_), std::memory_order_relaxed);
        return n;
    }

    bool empty() const noexcept { return size_.load(std::memory_order_relaxed) == 0; }
    std::uint32_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

private:
    void grow(std::size_t need) {
        std::size_t cap = std::max<std::size_t>(ring_.size() * 2, 1024);
        while (cap < need) cap *= 2;
        std::vector<g*> bigger(cap);
        const std::size_t mask = ring_.size() - 1;
        for (std::size_t i = 0; i < count_; ++i) bigger[i] = ring_[(head_ + i) & mask];
        ring_.swap(bigger);
        head_ = 0;
    }

    spinlock lock_{lock_rank::global_runq};  // protects ring_, head_, count_ and writes of size_
    std::vector<g*> ring_;  // power-of-two size
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::atomic<std::uint32_t> size_{0};  // count_, readable without the lock as a hint
};

/// local_runq: a worker's bounded lock-free queue (single producer, many consumers).
class local_runq {
public:
    static constexpr std::uint32_t capacity = 256;

    /// put: appends gp (owner only). When full, moves half of the ring plus gp to global.
    void put(g* gp, global_runq& global) noexcept {
        for (;;) {
            std::uint32_t h = head_.load(std::memory_order_acquire);
            std::uint32_t t = tail_.load(std::memory_order_relaxed);
            if (t - h < capacity) {
                slots_[t % capacity].store(gp, std::memory_order_relaxed);
                tail_.store(t + 1, std::memory_order_release);
                return;
            }
            if (put_slow(gp, h, t, global)) return;
        }
    }

    /// get: takes the oldest goroutine (owner only), or nullptr.
    g* get() noexcept {
        for (;;) {
            std::uint32_t h = head_.load(std::memory_order_acquire);
            std::uint32_t t = tail_.load(std::memory_order_relaxed);
            if (t == h) return nullptr;
            g* gp = slots_[h % capacity].load(std::memory_order_relaxed);
            if (head_.compare_exchange_weak(h, h + 1, std::memory_order_release, std::memory_order_relaxed))
                return gp;
        }
    }

    /// steal_into: moves half of this queue into thief's (which must be empty and owned by the
    /// caller); returns one of the stolen goroutines to run at once, or nullptr.
    g* steal_into(local_runq& thief) noexcept {
        std::uint32_t tt = thief.tail_.load(std::memory_order_relaxed);
        for (;;) {
            std::uint32_t h = head_.load(std::memory_order_acquire);
            std::uint32_t t = tail_.load(std::memory_order_acquire);
            std::uint32_t n = t - h;
            n -= n / 2;
            if (n == 0) return nullptr;
            if (n > capacity / 2) continue;  // read a torn head/tail pair; retry
            for (std::uint32_t i = 0; i < n; ++i) {
                g* gp = slots_[(h + i) % capacity].load(std::memory_order_relaxed);
                thief.slots_[(tt + i) % capacity].store(gp, std::memory_order_relaxed);
            }
            if (head_.compare_exchange_weak(h, h + n, std::memory_order_acq_rel, std::memory_order_relaxed)) {
                // Hand back the last one, publish the rest.
                g* gp = thief.slots_[(tt + n - 1) % capacity].load(std::memory_order_relaxed);
                if (n > 1) thief.tail_.store(tt + n - 1, std::memory_order_release);
                return gp;
            }
        }
    }

    /// ring_empty: whether the ring (not `next`) is empty; a racy hint for anyone.
    bool ring_empty() const noexcept {
        return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
    }
    /// ring_size: goroutines in the ring; a racy hint for anyone.
    std::uint32_t ring_size() const noexcept {
        return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
    }
    /// empty: whether the ring and `next` are both empty; a racy hint for anyone.
    bool empty() const noexcept { return ring_empty() && next.load(std::memory_order_acquire) == nullptr; }

    std::atomic<g*> next{nullptr};  // runnext

private:
    bool put_slow(g* gp, std::uint32_t h, std::uint32_t t, global_runq& global) noexcept {
        constexpr std::uint32_t n = capacity / 2;
        g* batch[n + 1];
        for (std::uint32_t i = 0; i < n; ++i) batch[i] = slots_[(h + i) % capacity].load(std::memory_order_relaxed);
        if (!head_.compare_exchange_strong(h, h + n, std::memory_order_release, std::memory_order_relaxed))
            return false;  // thieves took some; the ring has room now
        (void)t;
        batch[n] = gp;
        global.push_batch(batch, n + 1);
        return true;
    }

    alignas(cache_line) std::atomic<std::uint32_t> head_{0};  // consumers CAS it
    alignas(cache_line) std::atomic<std::uint32_t> tail_{0};  // owner stores it
    std::atomic<g*> slots_[capacity] = {};
};

}  // namespace gocsp::detail
