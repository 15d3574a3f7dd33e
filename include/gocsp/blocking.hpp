/// \file
/// gocsp/blocking.hpp - running a call that blocks its thread without stalling a worker.
///
///     auto entries = gocsp::blocking([&] { return list_directory(path); });  // parks, no stall
///
/// Goroutines share a few worker threads (GOCSP_MAXPROCS). A goroutine that blocks its thread in
/// a system call or a library - instead of parking on a gocsp primitive - stops every other
/// goroutine queued on that worker until the call returns. gocsp::blocking(f) runs f on a helper
/// thread instead and parks only the calling goroutine.
///
/// Use it for:
///   - regular files and directories: open, read, write, fsync, stat, readdir, unlink
///     (gocsp::io's stdin_reader()/stdout_writer() already do this when they are regular files);
///   - name resolution: getaddrinfo, getpwnam (gocsp::net::dial already does it for host names);
///   - third-party clients that block: database drivers, HTTP or RPC libraries with blocking
///     sockets, anything that waits on a std::mutex, std::future or condition variable for long;
///   - child processes: waitpid, system().
/// Not needed for gocsp's own channels, select, sleep, wait_group, net and io (they park), nor
/// for short computations. A long computation does not block but holds its worker all the same:
/// split it, or yield() now and then.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "context.hpp"
#include "detail/blocking_pool.hpp"
#include "detail/scheduler.hpp"
#include "runtime.hpp"
#include "select.hpp"

namespace gocsp {

/// blocking: runs f() on one of the runtime's helper threads and parks the calling goroutine
/// (wait reason "blocking call") until f returns; returns f's result, or rethrows what f threw.
/// Other goroutines keep running on the caller's worker meanwhile.
///
/// f runs on a plain thread: it may use gocsp primitives (where a goroutine would park, it
/// blocks). f is invoked by reference, in place: nothing is copied, so it may capture locals
/// by reference. Helper threads start on demand (one per call in flight, at most 1024; further
/// calls wait for a free helper) and exit after 10 s without work.
///
/// From a plain thread (main(), a std::thread, a helper), blocking(f) just calls f.
template <class F>
std::invoke_result_t<F> blocking(F&& f);

/// blocking(ctx, f): blocking(f) that returns early when ctx ends: the caller then throws
/// ctx.err() (a context_error: context::canceled or context::deadline_exceeded) at once - also
/// without starting f if ctx has already ended. f itself cannot be interrupted: it runs on to
/// its end on its helper thread, and its result (or exception) is destroyed there, unseen. If f
/// has finished by the time the caller notices ctx's end, its result is returned.
///
/// Because f may outlive the call, it is copied (or moved) into shared state first, unlike
/// blocking(f): capture by value what f uses (a reference capture would dangle once the caller
/// returned early), and make the result own its resources (a std::unique_ptr, not a raw
/// pointer) so that a dropped result frees them. From a plain thread this works the same (the
/// thread waits instead of parking). Throws std::bad_alloc.
template <class F>
std::invoke_result_t<std::decay_t<F>&> blocking(const context& ctx, F&& f);

// =============================================================================================
// Implementation
// =============================================================================================

namespace detail {

/// blocking_task: a blocking_call that invokes an F (forwarded as the caller passed it) and
/// keeps its result (R may be void or a reference) or exception.
template <class F, class R>
struct blocking_task : blocking_call {
    using stored = std::conditional_t<std::is_void_v<R>, bool,
                                      std::conditional_t<std::is_reference_v<R>, std::remove_reference_t<R>*,
                                                         std::optional<R>>>;
    std::remove_reference_t<F>* fn;
    stored value{};
    std::exception_ptr error;

    explicit blocking_task(std::remove_reference_t<F>& f) noexcept : fn(&f) { run = &invoke; }

    static void invoke(blocking_call* c) noexcept {
        auto* self = static_cast<blocking_task*>(c);
        try {
            if constexpr (std::is_void_v<R>) {
                std::invoke(std::forward<F>(*self->fn));
            } else if constexpr (std::is_reference_v<R>) {
                self->value = &std::invoke(std::forward<F>(*self->fn));
            } else {
                self->value.emplace(std::invoke(std::forward<F>(*self->fn)));
            }
        } catch (...) {
            self->error = std::current_exception();
        }
    }

    R result() {
        if (error) std::rethrow_exception(error);
        if constexpr (std::is_void_v<R>) return;
        else if constexpr (std::is_reference_v<R>) return static_cast<R>(*value);
        else return std::move(*value);
    }
};

inline void submit_blocking(void* call) noexcept { blocking_pool::get().submit(static_cast<blocking_call*>(call)); }

}  // namespace detail

template <class F>
std::invoke_result_t<F> blocking(F&& f) {
    using R = std::invoke_result_t<F>;
    if (!detail::current_worker_or_bind()) return std::invoke(std::forward<F>(f));
    detail::blocking_task<F, R> task(f);
    task.gp = detail::current_g();
    // Submitted from the park's after-switch step: the helper cannot ready() us before we are
    // off our stack (runtime rule 6).
    detail::scheduler::get().park(detail::wait_reason::blocking_call, &detail::submit_blocking,
                                  static_cast<detail::blocking_call*>(&task));
    return task.result();
}

template <class F>
std::invoke_result_t<std::decay_t<F>&> blocking(const context& ctx, F&& f) {
    using fn_type = std::decay_t<F>;
    using R = std::invoke_result_t<fn_type&>;
    if (context_error e = ctx.err()) throw e;
    // Shared by the caller and the goroutine that waits for f: whichever leaves last frees it.
    struct call {
        fn_type fn;
        detail::blocking_task<fn_type&, R> task{fn};
        chan<empty> finished{0};  // closed once task holds f's outcome
        explicit call(F&& f) : fn(std::forward<F>(f)) {}
    };
    auto c = std::make_shared<call>(std::forward<F>(f));
    go([c] {
        gocsp::blocking([&c] { decltype(c->task)::invoke(&c->task); });
        c->finished.close();
    });
    if (select(recv_case(c->finished), recv_case(ctx.done())) == 1 && !c->finished.try_recv())
        throw ctx.err();
    // Take f's exception out of the shared state before rethrowing it: otherwise the goroutine,
    // if it drops the state last, frees the exception on its thread after the caller has read
    // it, through a reference count in uninstrumented libstdc++ that ThreadSanitizer cannot
    // see (a false report, as in make_thumbnails4).
    if (std::exception_ptr e = std::move(c->task.error)) std::rethrow_exception(e);
    return c->task.result();
}

}  // namespace gocsp
