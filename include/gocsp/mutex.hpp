/// \file
/// gocsp/mutex.hpp - Go's sync.Mutex: a lock whose waiters park instead of blocking a worker.
///
///     gocsp::mutex mu;
///     int balance = 0;
///     gocsp::go([&] {
///         std::lock_guard<gocsp::mutex> hold(mu);
///         balance += 100;
///     });
///
/// A goroutine that waits for the lock parks (wait reason "sync.Mutex.Lock") and its worker runs
/// other goroutines; a plain thread blocks. So a goroutine may hold a gocsp::mutex across a
/// channel operation, a sleep or any other park, which a std::mutex does not allow (the next
/// goroutine to lock it on the same worker would block the worker, and the holder with it).
///
/// Fairness, as Go's: in normal mode an unlock wakes the first waiter, which competes with the
/// goroutines arriving meanwhile (newcomers often win: they are already running; the loser waits
/// again at the head of the queue). While that woken waiter has not run yet, unlocks wake nobody
/// else (Go's mutexWoken): the running goroutines pass the lock among themselves cheaply. A
/// goroutine that finds the lock taken first spins a little (four rounds of a short pause) when
/// another core exists and its worker has nothing else queued, as Go's does. Once
/// the first waiter has waited more than 1 ms, the unlock hands the lock to it directly (the
/// locked bit never clears, so nobody can barge in): no waiter waits for ever while others
/// hammer the lock.
//
// Invariants:
// - state_ holds `locked` (somebody owns the mutex), `waiters` (the queue is not empty) and
//   `woken` (a waiter taken off the queue to compete has not run yet: unlocks wake nobody
//   meanwhile). The waiters bit changes only under lock_, and equals !queue_.empty() whenever
//   lock_ is free. The woken bit is set under lock_ by the unlock that wakes a waiter, and that
//   waiter clears it in the same atomic step in which it takes the mutex or sets the waiters bit
//   to queue again. Spinners never set it: with it set, unlocks would skip the starvation
//   hand-off, and two goroutines passing the lock between their spins could keep a queued
//   waiter out for ever.
// - The fast paths touch only state_: lock is 0 -> locked, unlock is locked -> 0. Any other
//   state sends them to the slow paths. A waiter sets the waiters bit in the same atomic step
//   that sees the mutex locked, so the owner's unlock cannot miss it; an unlock that sees the
//   woken bit only clears the locked bit (the woken waiter will look at the state when it runs).
// - A waiter is on the queue at most once; the unlock that takes it off the queue ready()s it
//   exactly once, after unlocking lock_. `handed` says whether it owns the mutex (hand-off) or
//   must compete again (normal wake-up).
//
// Lock order: lock_ is a primitive lock (scheduler.hpp's order): nothing is taken under it but
// the scheduler's own locks through park(). A gocsp::mutex itself is a user lock: it may be held
// across anything, and the order between several of them is the user's.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "detail/clock.hpp"
#include "detail/config.hpp"
#include "detail/fatal.hpp"
#include "detail/scheduler.hpp"
#include "detail/spinlock.hpp"
#include "detail/wait_queue.hpp"

namespace gocsp {

class shared_mutex;

/// mutex: Go's sync.Mutex (example above). Meets the C++ Lockable requirements, so
/// std::lock_guard, std::unique_lock and std::scoped_lock work with it. Not recursive: locking
/// it again from its owner deadlocks, as in Go. Any goroutine or thread may unlock it, not only
/// the one that locked it (Go allows that too). Not copyable; it must not be destroyed while
/// locked or waited for.
class mutex {
public:
    mutex() = default;
    mutex(const mutex&) = delete;
    mutex& operator=(const mutex&) = delete;

    /// lock: takes the mutex, waiting until it is free. A goroutine parks meanwhile (wait reason
    /// "sync.Mutex.Lock"); a plain thread blocks.
    void lock() noexcept { lock(detail::wait_reason::sync_mutex_lock); }

    /// try_lock: takes the mutex if it is free; never waits. Returns whether it took it.
    bool try_lock() noexcept {
        std::uint32_t s = state_.load(std::memory_order_relaxed);
        while (!(s & locked))
            if (state_.compare_exchange_weak(s, s | locked, std::memory_order_acquire, std::memory_order_relaxed))
                return true;
        return false;
    }

    /// unlock: releases the mutex, waking its first waiter (or handing the mutex to it). Ends
    /// the process with Go's "fatal error: sync: unlock of unlocked mutex" (status 2) if the
    /// mutex is not locked: like Go, a fatal error, not a panic anybody could catch.
    void unlock() noexcept {
        std::uint32_t s = locked;
        if (GOCSP_LIKELY(state_.compare_exchange_strong(s, 0, std::memory_order_release, std::memory_order_relaxed)))
            return;
        unlock_slow(s);
    }

private:
    friend class shared_mutex;

    struct waiter {
        detail::g* gp;
        waiter* next = nullptr;
        std::int64_t since = 0;  // nanotime when it first queued (kept when it queues again)
        bool handed = false;     // set by the unlock that woke it: it owns the mutex
    };

    // lock(reason): lock(), waiting with the given wait reason (shared_mutex's writers).
    void lock(detail::wait_reason reason) noexcept {
        std::uint32_t s = 0;
        if (GOCSP_LIKELY(state_.compare_exchange_weak(s, locked, std::memory_order_acquire,
                                                      std::memory_order_relaxed)))
            return;
        lock_slow(reason);
    }

    static constexpr std::uint32_t locked = 1;
    static constexpr std::uint32_t waiters = 2;
    static constexpr std::uint32_t woken = 4;
    /// A first waiter that waited longer than this gets the mutex handed to it (Go's 1 ms).
    static constexpr std::int64_t starvation_ns = 1'000'000;

    void lock_slow(detail::wait_reason reason) noexcept;
    void unlock_slow(std::uint32_t s) noexcept;
    static bool can_spin(int rounds) noexcept;

    std::atomic<std::uint32_t> state_{0};  // locked | waiters | woken
    detail::spinlock lock_;                // protects queue_ and changes of the waiters bit
    detail::wait_queue<waiter> queue_;
};

// can_spin: whether a goroutine that found the mutex locked should spin (Go's canSpin): a few
// short rounds only, only where another core exists (the owner probably runs there and releases
// soon), and not while goroutines wait in this worker's own queue (they would wait for the spin).
inline bool mutex::can_spin(int rounds) noexcept {
    static const bool multicore = std::thread::hardware_concurrency() > 1;
    if (rounds >= 4 || !multicore) return false;
    const detail::worker* w = detail::current_worker();
    return w == nullptr || w->runq.empty();
}

// lock_slow: spins while that may pay (can_spin), then queues the caller and parks until an
// unlock wakes it; a woken waiter spins and competes again, and queues at the head if it loses.
// Returns owning the mutex.
//
// A woken waiter owns the woken bit (Go's mutexWoken) and clears it in the same atomic step that
// takes the mutex or sets the waiters bit to queue again, so an unlock always either sees the
// bit or finds the waiter queued.
inline void mutex::lock_slow(detail::wait_reason reason) noexcept {
    waiter w{detail::current_g()};
    bool again = false;  // woken by an unlock: owns the woken bit, queues again at the head
    for (int rounds = 0;;) {
        const std::uint32_t drop = again ? woken : 0;  // the bit this goroutine clears as it settles
        std::uint32_t s = state_.load(std::memory_order_relaxed);
        for (;;) {  // take it if free; spin while it may pay
            if (!(s & locked)) {
                // The waiters bit stays: it describes the queue, unchanged here.
                if (state_.compare_exchange_weak(s, (s | locked) & ~drop, std::memory_order_acquire,
                                                 std::memory_order_relaxed))
                    return;
                continue;
            }
            if (!can_spin(rounds)) break;
            for (int i = 0; i < 30; ++i) detail::cpu_relax();
            ++rounds;
            s = state_.load(std::memory_order_relaxed);
        }
        lock_.lock();
        s = state_.load(std::memory_order_relaxed);
        for (;;) {
            if (!(s & locked)) {
                if (state_.compare_exchange_weak(s, (s | locked) & ~drop, std::memory_order_acquire,
                                                 std::memory_order_relaxed)) {
                    lock_.unlock();
                    return;
                }
            } else if (state_.compare_exchange_weak(s, (s | waiters) & ~drop, std::memory_order_relaxed,
                                                    std::memory_order_relaxed)) {
                break;  // seen locked, with the waiters bit set: the owner's unlock will look
            }
        }
        if (!again) w.since = detail::nanotime();
        detail::park_in(queue_, &w, reason, lock_, again);
        if (w.handed) return;  // the unlock kept it locked for us
        again = true;  // woken to compete: the unlock set the woken bit for us
        rounds = 0;
    }
}

// unlock_slow: s is the state the fast path saw (not exactly `locked`). If a woken waiter is on
// its way, only clears the locked bit (Go's mutexWoken: one waiter awake at a time). Otherwise
// takes the first waiter off the queue and ready()s it after unlocking lock_: with the mutex (it
// waited too long) or to compete for it. In the second case the locked bit is cleared after
// lock_ is released, as the very last access to *this: whoever takes the mutex next may destroy
// it at once.
inline void mutex::unlock_slow(std::uint32_t s) noexcept {
    for (;;) {
        if (GOCSP_UNLIKELY(!(s & locked))) detail::fatal("sync: unlock of unlocked mutex");
        if (!(s & woken) && (s & waiters)) break;
        if (state_.compare_exchange_weak(s, s & ~locked, std::memory_order_release, std::memory_order_relaxed)) return;
    }
    // Waiters, none awake; only an unlock (ours: we own the mutex) clears the waiters bit.
    lock_.lock();
    waiter* w = queue_.pop_front();
    const bool handed = w && detail::nanotime() - w->since > starvation_ns;
    std::uint32_t clear = queue_.empty() ? waiters : 0;
    if (handed) w->handed = true;  // hand-off: the mutex stays locked, now owned by w
    else if (w) state_.fetch_or(woken, std::memory_order_relaxed);
    if (clear) state_.fetch_and(~clear, std::memory_order_relaxed);
    lock_.unlock();
    if (!handed) state_.fetch_and(~locked, std::memory_order_release);
    if (w) detail::scheduler::get().ready(w->gp, true);  // w is not touched after ready()
}

}  // namespace gocsp
