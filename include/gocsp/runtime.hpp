/// \file
/// gocsp/runtime.hpp - goroutines: starting them, yielding, sleeping, and the runtime's knobs.
///
///     gocsp::go([](int n) { std::printf("goroutine %d\n", n); }, 42);
///
/// Goroutines are stackful coroutines run M:N on a pool of worker threads (GOCSP_MAXPROCS of them,
/// by default one per CPU the process may use). A goroutine runs until it blocks (on a channel, a
/// sleep, a wait group, I/O) or yields; nothing preempts it. Blocking parks the goroutine and frees
/// its worker for others. main() is goroutine 1, as in Go, pinned to the main thread: it parks like
/// a goroutine, and while it is parked the main thread runs goroutines too. Any other plain thread
/// (a std::thread) may use every gocsp primitive as well: where a goroutine would park, it blocks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "detail/scheduler.hpp"
#include "source_location.hpp"

namespace gocsp {

/// stack_size: the usable stack size of one goroutine, as the first argument of `go`.
/// Rounded up to whole pages, at least 16 KiB; `go` throws std::length_error for more than
/// 1 GiB. See set_stack_size for the default.
struct stack_size {
    /// bytes: the stack size asked for, in bytes.
    std::size_t bytes;
};

/// go: starts a goroutine running f(args...), like Go's `go f(args)`.
///
/// f and args are copied (or moved, from rvalues) now, in the caller, as std::thread does; pass
/// std::ref to share. The call returns at once. An exception escaping f is a panic: the process
/// prints `panic: <what()>`, the goroutine and where it was started, and exits with status 2.
/// The copies live beside the goroutine's record when they are small (up to about a hundred
/// bytes) and on the heap otherwise, never on its stack: any size works. Throws what copying or
/// moving them throws (nothing is started then), or std::bad_alloc.
///
///     gocsp::go(f, x);                             // default stack
///     gocsp::go(gocsp::stack_size{1 << 20}, f, x); // a 1 MiB stack for this one
///
/// (`go` is a class template so that it can record the caller's source location after a
/// parameter pack; use it as a function.) One trap: `gocsp::go(f);` with one plain name in the
/// parentheses is read by C++ as declaring a variable `f`; write `gocsp::go{f};` (or pass a
/// lambda, or arguments). The compiler says so.
template <class F, class... Args>
struct go {
    /// go(f, args...): starts f(args...) on a stack of the default size.
    explicit go(F&& f, Args&&... args, source_location loc = source_location::current()) {
        detail::spawn(0, loc, std::forward<F>(f), std::forward<Args>(args)...);
    }
    /// go(size, f, args...): starts f(args...) on a stack of size.bytes.
    go(stack_size size, F&& f, Args&&... args, source_location loc = source_location::current()) {
        detail::spawn(size.bytes, loc, std::forward<F>(f), std::forward<Args>(args)...);
    }
};
/// Deduction guide: `gocsp::go(f, args...)` starts f(args...).
template <class F, class... Args>
go(F&&, Args&&...) -> go<F, Args...>;
/// Deduction guide: `gocsp::go(stack_size{n}, f, args...)` starts f(args...) on an n-byte stack.
template <class F, class... Args>
go(stack_size, F&&, Args&&...) -> go<F, Args...>;

namespace detail {
/// go_without_function: what `gocsp::go x;` deduces, so that the compiler explains the trap.
struct go_without_function;
template <class>
inline constexpr bool go_misread = false;
}  // namespace detail

/// go with no function: only ever deduced for `gocsp::go(f);`, which C++ reads as declaring a
/// variable f; its constructor stops the compilation with a message saying what to write.
template <class... Args>
struct go<detail::go_without_function, Args...> {
    /// go(): never compiles (see above).
    template <class Misread = void>
    go() {
        static_assert(detail::go_misread<Misread>,
                      "gocsp::go(f); declares a variable named f (C++'s most vexing parse): "
                      "write gocsp::go{f}; or gocsp::go(f, args...);");
    }
};
/// Deduction guide: what `gocsp::go(f);` (a declaration of f) deduces, to explain the trap.
go() -> go<detail::go_without_function>;

/// yield: lets other goroutines run (Go's runtime.Gosched). The caller stays runnable and
/// continues when its turn comes again; if nothing else is runnable it continues at once.
/// On a plain thread: std::this_thread::yield().
inline void yield() noexcept { detail::scheduler::get().yield(); }

/// goroutine_id: the calling goroutine's id. 1 is the main thread, as in Go; other plain
/// threads get an id of their own the first time they ask or block.
inline std::uint64_t goroutine_id() { return detail::current_g()->id; }

/// num_goroutine: goroutines that exist now, counting main (Go's runtime.NumGoroutine).
inline std::int64_t num_goroutine() noexcept {
    auto* s = detail::scheduler::instance_if_started();
    return 1 + (s ? s->live_goroutines() : 0);
}

/// set_maxprocs: the number of background worker threads (Go's GOMAXPROCS; the main thread also
/// runs goroutines while main is parked, so up to n + 1 threads do). Like GOMAXPROCS it bounds
/// the threads running goroutines outside system calls: while a worker is held in a socket call
/// and work waits, a spare worker thread (GOCSP_SPARES of them, default 2n) stands in for it
/// until the call ends. Takes effect only before the runtime starts (the first `go`); returns
/// false, changing nothing, after that. Default: the GOCSP_MAXPROCS environment variable if set,
/// else the number of CPUs the process may run on (its affinity mask, as set by taskset or a
/// container's cpuset: Go's runtime.NumCPU).
inline bool set_maxprocs(int n) noexcept {
    if (n < 1 || detail::config().started.load()) return false;
    detail::config().maxprocs.store(n);
    return !detail::config().started.load();
}

/// maxprocs: the number of background worker threads (starts the runtime if needed).
inline int maxprocs() { return detail::scheduler::get().nworkers(); }

/// set_stack_size: the default goroutine stack size (256 KiB unless set; at least 16 KiB, at
/// most 1 GiB). Takes effect only before the runtime starts; returns false, changing nothing,
/// after that or for a size over 1 GiB. Stacks cost address space, not memory: pages are
/// committed as they are touched.
inline bool set_stack_size(std::size_t bytes) noexcept {
    if (bytes > detail::max_stack_size || detail::config().started.load()) return false;
    detail::config().stack_size.store(bytes);
    return !detail::config().started.load();
}

namespace detail {
inline void sleep_ns(std::int64_t ns) {
    if (ns <= 0) return;
    if (!current_worker_or_bind()) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
        return;
    }
    timer t;
    t.when = deadline_after(ns);
    t.arg = current_g();
    // The sleeper runs next on the worker that fired its timer (Go's goready).
    t.fire = [](timer* self, std::int64_t) { scheduler::get().ready(static_cast<g*>(self->arg), true); };
    scheduler::get().park(
        wait_reason::sleep, [](void* self) { scheduler::get().add_timer(static_cast<timer*>(self)); }, &t);
}
}  // namespace detail

/// sleep_for: pauses the calling goroutine for at least d (Go's time.Sleep). The goroutine
/// parks on a timer; its worker runs others meanwhile. d <= 0 returns at once. On a plain
/// thread, the thread sleeps. d may be of any std::chrono type; it is rounded up to whole
/// nanoseconds, and one too long for 64-bit nanoseconds (about 292 years) never ends, as in Go.
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d) {
    detail::sleep_ns(detail::to_nanoseconds(d));
}

/// sleep_until: pauses the calling goroutine until t (of any clock), as sleep_for: a time
/// already passed, however long ago, returns at once.
template <class Clock, class Duration>
void sleep_until(std::chrono::time_point<Clock, Duration> t) {
    detail::sleep_ns(detail::nanoseconds_until(t));
}

}  // namespace gocsp
