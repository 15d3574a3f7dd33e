/// \file
/// gocsp/shared_mutex.hpp - Go's sync.RWMutex: many readers or one writer, writer-preferring.
///
///     gocsp::shared_mutex mu;
///     std::map<std::string, int> cache;
///     int lookup(const std::string& k) {
///         std::shared_lock<gocsp::shared_mutex> hold(mu);  // readers share
///         auto it = cache.find(k);
///         return it == cache.end() ? 0 : it->second;
///     }
///     void store(const std::string& k, int v) {
///         std::lock_guard<gocsp::shared_mutex> hold(mu);   // a writer is alone
///         cache[k] = v;
///     }
///
/// Writer preference, as Go's: once a writer waits, new readers wait too (behind it), so a
/// steady stream of readers cannot starve a writer; when the writer unlocks, the readers that
/// queued behind it all go in together. As in Go, a reader must not lock the mutex for reading
/// again while it holds it: a writer arriving in between would deadlock both.
//
// Invariants (Go's algorithm, in our words):
// - writer_ (a gocsp::mutex) is held by the writer that owns the lock or is waiting for the
//   readers to leave; writers queue on it, so at most one writer at a time deals with readers.
// - readers_ counts the readers holding or waiting for the lock; a writer subtracts max_readers
//   from it, so it is negative while a writer is pending or holds the lock. A reader that adds 1
//   and sees a negative value waits on reader_sem_.
// - departing_ counts the readers the pending writer still waits for; the last of them (the one
//   that brings it to 0) releases writer_sem_ once.
// - The writer's unlock adds max_readers back and releases reader_sem_ once per reader that
//   queued meanwhile, before it unlocks writer_ (readers go before the next writer).
//
// Lock order: writer_, then the semaphores' own locks (primitive locks, see scheduler.hpp).
#pragma once

#include <atomic>
#include <cstdint>

#include "detail/fatal.hpp"
#include "detail/sema.hpp"
#include "mutex.hpp"

namespace gocsp {

/// shared_mutex: Go's sync.RWMutex (example above). Meets the C++ Lockable and SharedLockable
/// requirements: std::lock_guard, std::unique_lock, std::scoped_lock take it for writing,
/// std::shared_lock for reading. Waiting goroutines park (wait reasons "sync.RWMutex.Lock" and
/// "sync.RWMutex.RLock"); plain threads block. Not copyable; it must not be destroyed while
/// locked or waited for. At most 2^30 - 1 readers at once.
class shared_mutex {
public:
    shared_mutex() = default;
    shared_mutex(const shared_mutex&) = delete;
    shared_mutex& operator=(const shared_mutex&) = delete;

    /// lock: Go's Lock: takes the mutex for writing, waiting until no reader and no other writer
    /// holds it. New readers wait from the moment this call starts waiting for the readers.
    void lock() noexcept;

    /// try_lock: Go's TryLock: takes it for writing if nobody holds or waits for it; never waits.
    bool try_lock() noexcept;

    /// unlock: Go's Unlock: releases the write lock and lets in the readers waiting for it.
    /// Ends the process with "fatal error: sync: Unlock of unlocked RWMutex" if it is not
    /// write-locked.
    void unlock() noexcept;

    /// lock_shared: Go's RLock: takes it for reading, waiting while a writer holds or waits for it.
    void lock_shared() noexcept {
        if (readers_.fetch_add(1, std::memory_order_acquire) + 1 < 0)
            reader_sem_.acquire(detail::wait_reason::sync_rwmutex_rlock);
    }

    /// try_lock_shared: Go's TryRLock: takes it for reading unless a writer holds or waits for
    /// it; never waits.
    bool try_lock_shared() noexcept {
        std::int32_t r = readers_.load(std::memory_order_relaxed);
        while (r >= 0)
            if (readers_.compare_exchange_weak(r, r + 1, std::memory_order_acquire, std::memory_order_relaxed))
                return true;
        return false;
    }

    /// unlock_shared: Go's RUnlock: releases one read lock. Ends the process with "fatal error:
    /// sync: RUnlock of unlocked RWMutex" if it is not read-locked.
    void unlock_shared() noexcept {
        const std::int32_t r = readers_.fetch_sub(1, std::memory_order_release) - 1;
        if (GOCSP_UNLIKELY(r < 0)) unlock_shared_slow(r);
    }

private:
    static constexpr std::int32_t max_readers = 1 << 30;

    void unlock_shared_slow(std::int32_t r) noexcept;

    mutex writer_;                           // held by the writer, pending or owning
    std::atomic<std::int32_t> readers_{0};   // readers in or waiting; - max_readers with a writer
    std::atomic<std::int32_t> departing_{0}; // readers the pending writer waits for
    detail::sema writer_sem_;                // the pending writer waits here for departing_ == 0
    detail::sema reader_sem_;                // readers wait here for the writer's unlock
};

inline void shared_mutex::lock() noexcept {
    writer_.lock(detail::wait_reason::sync_rwmutex_lock);
    // Announce the writer (new readers now wait), and learn how many readers are still in.
    const std::int32_t in = readers_.fetch_sub(max_readers, std::memory_order_acq_rel);
    if (in != 0 && departing_.fetch_add(in, std::memory_order_acq_rel) + in != 0)
        writer_sem_.acquire(detail::wait_reason::sync_rwmutex_lock);
}

inline bool shared_mutex::try_lock() noexcept {
    if (!writer_.try_lock()) return false;
    std::int32_t none = 0;
    if (readers_.compare_exchange_strong(none, -max_readers, std::memory_order_acquire, std::memory_order_relaxed))
        return true;
    writer_.unlock();
    return false;
}

inline void shared_mutex::unlock() noexcept {
    const std::int32_t queued = readers_.fetch_add(max_readers, std::memory_order_release) + max_readers;
    if (GOCSP_UNLIKELY(queued >= max_readers)) detail::fatal("sync: Unlock of unlocked RWMutex");
    for (std::int32_t i = 0; i < queued; ++i) reader_sem_.release();
    writer_.unlock();
}

// unlock_shared_slow: a writer is pending (or the mutex was not read-locked): the last reader the
// writer waits for lets it in.
inline void shared_mutex::unlock_shared_slow(std::int32_t r) noexcept {
    if (GOCSP_UNLIKELY(r + 1 == 0 || r + 1 == -max_readers)) detail::fatal("sync: RUnlock of unlocked RWMutex");
    if (departing_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0) writer_sem_.release();
}

}  // namespace gocsp
