// gocsp/detail/fatal.hpp - the ways the runtime ends the process with a report: Go's
// "fatal error: ..." (status 2), and the rule that only one report is ever printed.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.hpp"

namespace gocsp::detail {

/// begin_dying: the first step of every path that ends the process with a report (a panic, a
/// fatal error, a deadlock, a stack overflow, SIGQUIT). The first thread to call it returns and
/// prints its report; any other thread that calls it later (a second goroutine panicking at the
/// same moment) blocks for good, so exactly one report is printed, whole, as Go prints one.
/// The dying thread itself may call it again (a fault while it reports). Async-signal-safe.
GOCSP_DECL void begin_dying() noexcept;
#if GOCSP_DEFINE_RUNTIME
GOCSP_DECL void begin_dying() noexcept {
    static std::atomic<long> dying_tid{0};
    const long me = static_cast<long>(::syscall(SYS_gettid));
    long expected = 0;
    if (dying_tid.compare_exchange_strong(expected, me) || expected == me) return;
    for (;;) ::pause();  // the dying thread's exit ends this one
}
#endif

/// fatal: prints "fatal error: <msg>" (after what stdout holds) and exits with status 2.
[[noreturn]] inline void fatal(const char* msg) noexcept {
    begin_dying();
    std::fflush(stdout);
    std::fprintf(stderr, "fatal error: %s\n", msg);
    std::fflush(stderr);
    std::_Exit(2);
}

/// fatal_oom: fatal("out of memory allocating <what>").
[[noreturn]] inline void fatal_oom(const char* what) noexcept {
    char msg[128];
    std::snprintf(msg, sizeof msg, "out of memory allocating %s", what);
    fatal(msg);
}

/// check_failed: a broken runtime invariant (GOCSP_ASSERT): a fatal error naming it.
[[noreturn]] inline void check_failed(const char* what, const char* file, int line) noexcept {
    char msg[512];
    std::snprintf(msg, sizeof msg, "gocsp: internal error: %s (%s:%d)", what, file, line);
    fatal(msg);
}

}  // namespace gocsp::detail

/// GOCSP_ASSERT: checks a runtime invariant where runtime_checks is on (config.hpp); costs nothing
/// elsewhere (the condition is not evaluated).
#define GOCSP_ASSERT(cond)                                                                       \
    do {                                                                                         \
        if constexpr (::gocsp::detail::runtime_checks)                                           \
            if (!(cond)) ::gocsp::detail::check_failed(#cond, __FILE__, __LINE__);                \
    } while (0)
