/// \file
/// gocsp/errgroup.hpp - Go's golang.org/x/sync/errgroup: goroutines working on parts of one
/// task, the first error, and cancellation of the rest.
///
///     auto [g, ctx] = gocsp::errgroup::with_context(parent);
///     for (const std::string& url : urls)
///         g.go([ctx = ctx, url] { fetch(ctx, url); });      // throws on failure
///     if (std::exception_ptr err = g.wait()) std::rethrow_exception(err);
///
/// Errors: a function given to go() fails by throwing (the usual C++ way), or by returning a
/// std::exception_ptr or a context_error that is not empty (the Go way, `return err`); it may
/// also return nothing. wait() returns the first failure as a std::exception_ptr - null when every
/// function succeeded - so it can be rethrown as it was thrown, type included. A failure cancels
/// the group's context (with_context) at once, so the others can stop early; the later failures
/// are dropped, as in Go.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include "chan.hpp"
#include "context.hpp"
#include "panic.hpp"
#include "runtime.hpp"
#include "wait_group.hpp"

namespace gocsp {

/// errgroup: Go's errgroup.Group - a cheap shared handle (copies are the same group; capture
/// it by value in goroutines). Thread-safe. A default-constructed group has no context and no
/// limit, as Go's zero Group.
class errgroup {
public:
    /// errgroup(): a new, empty group.
    errgroup() : s_(std::make_shared<state>()) {}

    struct with_context_result;
    /// with_context: a new group and a context derived from parent, cancelled when a function
    /// of the group first fails or wait() returns, whichever comes first (Go's WithContext):
    /// `auto [g, ctx] = gocsp::errgroup::with_context(parent);`
    static with_context_result with_context(const context& parent);

    /// go: runs f() in a new goroutine of the group. With a limit (set_limit), waits first
    /// until fewer than the limit are active (blocking the caller, as Go's Go does). f returns
    /// void, std::exception_ptr or context_error, or throws (see the top of this file). f is
    /// copied or moved, as by gocsp::go.
    template <class F>
    void go(F&& f);

    /// try_go: go(f) only if that would not wait for the limit; returns whether f was started
    /// (Go's TryGo).
    template <class F>
    bool try_go(F&& f);

    /// wait: waits until every function started by go has returned, then cancels the group's
    /// context and returns the first failure (null if none). Go's Wait.
    std::exception_ptr wait();

    /// set_limit: at most n functions of the group active at once; n < 0 removes the limit
    /// (Go's SetLimit). Throws panic_error("errgroup: modify limit while N goroutines in the
    /// group are still active") - Go's panic - if some are active.
    void set_limit(int n);

private:
    struct state {
        wait_group wg;
        std::mutex mu;              // protects err and sem
        std::exception_ptr err;     // the first failure
        cancel_func cancel;         // with_context's, or a no-op
        chan<empty> sem;            // the limit's tokens (nil: no limit)
        std::atomic<std::int64_t> active{0};
    };

    template <class F>
    void start(F&& f, const chan<empty>& sem);
    static void fail(const std::shared_ptr<state>& s, std::exception_ptr e) noexcept;

    std::shared_ptr<state> s_;
};

/// errgroup::with_context_result: the group and its context, for structured bindings.
struct errgroup::with_context_result {
    /// group: the new group.
    errgroup group;
    /// ctx: its context.
    context ctx;
};

// =============================================================================================
// Implementation
// =============================================================================================

inline errgroup::with_context_result errgroup::with_context(const context& parent) {
    errgroup g;
    auto [ctx, cancel] = with_cancel(parent);
    g.s_->cancel = cancel;
    return {std::move(g), ctx};
}

inline void errgroup::fail(const std::shared_ptr<state>& s, std::exception_ptr e) noexcept {
    {
        std::lock_guard<std::mutex> hold(s->mu);
        if (s->err) return;
        s->err = std::move(e);
    }
    s->cancel();
}

template <class F>
void errgroup::start(F&& f, const chan<empty>& sem) {
    s_->wg.add(1);
    s_->active.fetch_add(1, std::memory_order_relaxed);
    // Runs f, records its failure, and gives back its place. A throwing copy of f (in
    // gocsp::go) gives the place back before the exception leaves.
    struct done_guard {
        std::shared_ptr<state> s;
        chan<empty> sem;
        void operator()() const {
            if (!sem.is_nil()) sem.recv();
            s->active.fetch_sub(1, std::memory_order_relaxed);
            s->wg.done();
        }
    };
    done_guard release{s_, sem};
    try {
        gocsp::go(
            [release](auto&& fn) {
                try {
                    using R = decltype(fn());
                    if constexpr (std::is_void_v<R>) {
                        fn();
                    } else if constexpr (std::is_same_v<std::decay_t<R>, std::exception_ptr>) {
                        if (std::exception_ptr e = fn()) fail(release.s, std::move(e));
                    } else {
                        static_assert(std::is_same_v<std::decay_t<R>, context_error>,
                                      "gocsp::errgroup: a function returns void, std::exception_ptr or context_error");
                        if (context_error e = fn()) fail(release.s, std::make_exception_ptr(e));
                    }
                } catch (...) {
                    fail(release.s, std::current_exception());
                }
                release();
            },
            std::forward<F>(f));
    } catch (...) {
        release();
        throw;
    }
}

template <class F>
void errgroup::go(F&& f) {
    chan<empty> sem;
    {
        std::lock_guard<std::mutex> hold(s_->mu);
        sem = s_->sem;
    }
    if (!sem.is_nil()) sem.send(empty{});
    start(std::forward<F>(f), sem);
}

template <class F>
bool errgroup::try_go(F&& f) {
    chan<empty> sem;
    {
        std::lock_guard<std::mutex> hold(s_->mu);
        sem = s_->sem;
    }
    if (!sem.is_nil() && !sem.try_send(empty{})) return false;
    start(std::forward<F>(f), sem);
    return true;
}

inline std::exception_ptr errgroup::wait() {
    s_->wg.wait();
    s_->cancel();
    std::lock_guard<std::mutex> hold(s_->mu);
    return s_->err;
}

inline void errgroup::set_limit(int n) {
    std::lock_guard<std::mutex> hold(s_->mu);
    if (const std::int64_t active = s_->active.load(std::memory_order_relaxed); active != 0)
        throw panic_error("errgroup: modify limit while " + std::to_string(active) +
                          " goroutines in the group are still active");
    s_->sem = n < 0 ? chan<empty>() : chan<empty>(n);
}

}  // namespace gocsp
