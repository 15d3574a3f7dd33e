/// \file
/// gocsp/once.hpp - Go's sync.Once: run something exactly once, however many goroutines ask.
///
///     gocsp::once load_icons;
///     std::map<std::string, image> icons;
///     const image& icon(const std::string& name) {
///         load_icons.call([] { icons = read_icons(); });  // later callers wait for the first
///         return icons.at(name);
///     }
///
/// Exceptions follow std::call_once, not Go (where a panicking function still counts as done):
/// a call whose function throws leaves the once not done and rethrows to its caller; the next
/// call runs its function again.
//
// Invariants: done_ becomes 1 only after a function returned normally, and never goes back.
// The function runs while m_ is held, so callers that find done_ at 0 wait on m_ (parking, as
// goroutines) and see done_ at 1 once they get it; done_'s release store and acquire load order
// everything the function wrote before anything its callers do after call() returns.
//
// Lock order: m_ is a user-level gocsp::mutex held across the function: a function that calls
// call() on the same once again deadlocks, as in Go (the deadlock detector reports it).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>

#include "mutex.hpp"

namespace gocsp {

/// once: Go's sync.Once (example above). Not copyable.
class once {
public:
    once() = default;
    once(const once&) = delete;
    once& operator=(const once&) = delete;

    /// call: Go's Do: invokes f(args...) if no call on this once has returned normally yet;
    /// otherwise returns at once. Concurrent callers wait until the running call ends (a
    /// goroutine parks, with wait reason "sync.Mutex.Lock"); when call() returns, a function
    /// has completed and everything it did is visible. If f throws, the exception reaches the
    /// caller and the once stays not done (as std::call_once).
    template <class F, class... Args>
    void call(F&& f, Args&&... args) {
        if (GOCSP_LIKELY(done_.load(std::memory_order_acquire) != 0)) return;
        std::lock_guard<mutex> hold(m_);
        if (done_.load(std::memory_order_relaxed) != 0) return;
        std::invoke(std::forward<F>(f), std::forward<Args>(args)...);
        done_.store(1, std::memory_order_release);
    }

private:
    std::atomic<std::uint32_t> done_{0};  // 1 once a function returned normally
    mutex m_;                             // held while a function runs
};

}  // namespace gocsp
