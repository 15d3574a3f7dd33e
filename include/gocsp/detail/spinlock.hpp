// gocsp/detail/spinlock.hpp - the lock of every short critical section in gocsp.
//
// Held for a few dozen instructions, and sometimes across a fiber switch (a parking goroutine
// releases its primitive's lock from the next context, see scheduler.hpp). So it cannot be a
// std::mutex (unlock from another thread is undefined); it is an atomic flag. Waiters spin
// briefly, then yield the CPU, then sleep on a futex, so a holder preempted by the OS costs the
// others little CPU.
//
// Lock ranks (Go's lockrank): the runtime's locks carry their place in the lock order that
// scheduler.hpp states. In a process where any translation unit was built with runtime_checks
// (builds with assertions and the sanitizer builds, config.hpp), every thread keeps the ranked
// locks it holds, and taking a lock of a rank lower than one it holds - or of the same rank,
// unless the rank allows several at once in address order (channels locked by select) - is a
// fatal error naming both. The switch is a run-time flag, not a compile-time one, so that units
// built with and without NDEBUG (a test runner and the tests, a library and its user) run the
// same lock and unlock code: a lock recorded by one and released by the other stays exact. A
// lock released by a park's after-switch function is released on the thread that took it (the
// switch does not leave the thread), so the per-thread record stays exact; the record is read
// through a non-inlined accessor, since a goroutine may resume on another thread (runtime rule
// 20). Unranked locks are not checked.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <sched.h>

#include "config.hpp"
#include "fatal.hpp"
#include "futex.hpp"

namespace gocsp::detail {

/// lock_rank: a lock's place in the runtime's lock order, lowest first (see scheduler.hpp).
enum class lock_rank : std::uint8_t {
    none,           // not checked
    primitive,      // a channel's, wait group's or poll descriptor's lock; several in address order
    timer_heap,     // one timer heap's (never two at once)
    idle,           // the scheduler's idle list
    global_runq,    // the global run queue
    gslot_pool,     // the shared stock of goroutine records
    stack_pool,     // a stack pool
    blocking_pool,  // the blocking-call helper pool
    threads,        // the scheduler's thread lists (a leaf)
};

inline const char* to_string(lock_rank r) noexcept {
    static const char* const names[] = {"none", "primitive", "timer_heap", "idle", "global_runq",
                                        "gslot_pool", "stack_pool", "blocking_pool", "threads"};
    return names[static_cast<int>(r)];
}

/// held_locks: the ranked locks the calling thread holds (only where runtime_checks is on).
struct held_locks {
    static constexpr int capacity = 32;
    struct entry {
        const void* lock;
        lock_rank rank;
    };
    entry locks[capacity];
    int count = 0;

    void acquire(const void* lock, lock_rank rank) noexcept {
        for (int i = 0; i < count; ++i) {
            const entry& e = locks[i];
            const bool same_rank_ok = e.rank == rank && rank == lock_rank::primitive && e.lock < lock;
            if (e.rank > rank || (e.rank == rank && !same_rank_ok)) {
                char what[160];
                std::snprintf(what, sizeof what, "lock order: took a %s lock (%p) while holding a %s lock (%p)",
                              to_string(rank), lock, to_string(e.rank), e.lock);
                check_failed(what, __FILE__, __LINE__);
            }
        }
        if (count == capacity) check_failed("lock order: too many locks held at once", __FILE__, __LINE__);
        locks[count++] = {lock, rank};
    }
    // A lock taken before the checks were switched on is not in the record: its release is
    // ignored.
    void release(const void* lock) noexcept {
        for (int i = count - 1; i >= 0; --i) {
            if (locks[i].lock == lock) {
                for (int j = i; j + 1 < count; ++j) locks[j] = locks[j + 1];
                --count;
                return;
            }
        }
    }
};
/// held_locks_of_thread: the calling thread's record (never cached across a switch). With the
/// compiled runtime the record is the runtime's unit's own, reached out of line.
#if GOCSP_COMPILED_RUNTIME
GOCSP_NOINLINE GOCSP_API held_locks& held_locks_of_thread() noexcept;
#endif
#if GOCSP_DEFINE_RUNTIME
#if GOCSP_COMPILED_RUNTIME
thread_local held_locks held_by_thread;
#else
inline thread_local held_locks held_by_thread;
#endif

GOCSP_NOINLINE GOCSP_DECL held_locks& held_locks_of_thread() noexcept {
    held_locks* h = &held_by_thread;
    asm volatile("" ::: "memory");
    return *h;
}
#endif

/// lock_ranks_on: whether this process checks lock ranks; switched on, for good, by every
/// translation unit built with runtime_checks, as it starts.
#if GOCSP_COMPILED_RUNTIME
GOCSP_API extern std::atomic<bool> lock_ranks_on;
#if GOCSP_DEFINE_RUNTIME
constinit std::atomic<bool> lock_ranks_on{false};
#endif
#else
inline std::atomic<bool> lock_ranks_on{false};
#endif
inline bool enable_lock_ranks() noexcept {
    lock_ranks_on.store(true, std::memory_order_relaxed);
    return true;
}
namespace {
// One per translation unit (internal linkage, so units may differ): a checked unit switches the
// checks on before main().
[[maybe_unused]] const bool lock_ranks_requested = runtime_checks && enable_lock_ranks();
}  // namespace

class spinlock {
public:
    spinlock() = default;
    /// A lock of the given rank: checked against the lock order where runtime_checks is on.
    explicit spinlock(lock_rank rank) noexcept : rank_(rank) {}
    spinlock(const spinlock&) = delete;
    spinlock& operator=(const spinlock&) = delete;

    bool try_lock() noexcept {
        std::uint32_t expected = 0;
        const bool got = state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                                        std::memory_order_relaxed);
        if (got && checked()) held_locks_of_thread().acquire(this, rank_);
        return got;
    }
    void lock() noexcept {
        // Recorded before spinning: a wrong order is reported, not deadlocked on.
        if (checked()) held_locks_of_thread().acquire(this, rank_);
        if (GOCSP_LIKELY(acquire())) return;
        lock_slow();
    }
    void unlock() noexcept {
        if (checked()) held_locks_of_thread().release(this);
        if (state_.exchange(0, std::memory_order_release) == 2) futex_wake(state_);
    }

private:
    bool checked() const noexcept {
        return rank_ != lock_rank::none && GOCSP_UNLIKELY(lock_ranks_on.load(std::memory_order_relaxed));
    }
    bool acquire() noexcept {
        std::uint32_t expected = 0;
        return state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                              std::memory_order_relaxed);
    }
    void lock_slow() noexcept;

    // 0 free, 1 held, 2 held and somebody may sleep on the futex.
    std::atomic<std::uint32_t> state_{0};
    lock_rank rank_ = lock_rank::none;
};

inline void spinlock::lock_slow() noexcept {
    // Spin with exponential back-off while the holder is (probably) running: critical sections
    // are a few dozen instructions. Then let the OS run someone else; then sleep.
    for (int pauses = 1; pauses <= 256; pauses *= 2) {
        for (int i = 0; i < pauses; ++i) cpu_relax();
        if (state_.load(std::memory_order_relaxed) == 0 && acquire()) return;
    }
    for (int i = 0; i < 4; ++i) {
        sched_yield();
        if (state_.load(std::memory_order_relaxed) == 0 && acquire()) return;
    }
    while (state_.exchange(2, std::memory_order_acquire) != 0) futex_wait(state_, 2);
}

/// Unlock callback for park(): releases the spinlock passed as arg.
inline void unlock_spinlock(void* lock) noexcept { static_cast<spinlock*>(lock)->unlock(); }

}  // namespace gocsp::detail
