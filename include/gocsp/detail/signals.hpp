// gocsp/detail/signals.hpp - the runtime's signal handling (Go's signal_unix.go): a stack
// overflow reported as Go reports it, SIGQUIT's goroutine dump, and the alternate signal stacks
// those handlers run on.
//
// Rules: a handler calls only async-signal-safe functions; it is installed only where the signal
// still has its default action (a program's or a sanitizer's own handler stays); the handlers
// run on an alternate stack, installed on every thread that runs goroutines unless it has one.
#pragma once

#include <csignal>
#include <cstring>
#include <memory>
#include <new>
#include <signal.h>
#include <unistd.h>

#include "scheduler.hpp"

namespace gocsp::detail {

#if GOCSP_DEFINE_RUNTIME

// install_altstack: the stack-overflow report runs on an alternate signal stack (the faulting
// stack is full). Every thread that runs goroutines gets one, unless it has one already (the
// main thread may: the program's own).
GOCSP_DECL void scheduler::install_altstack() noexcept {
    stack_t old{};
    if (::sigaltstack(nullptr, &old) != 0 || !(old.ss_flags & SS_DISABLE)) return;
    constexpr std::size_t size = 64 * 1024;
    static thread_local std::unique_ptr<char[]> altstack(new (std::nothrow) char[size]);
    if (!altstack) return;
    stack_t alt{};
    alt.ss_sp = altstack.get();
    alt.ss_size = size;
    ::sigaltstack(&alt, nullptr);
}

// A fault anywhere in the guard region of the running goroutine's stack (the stack_guard_size
// bytes below it) is reported as Go reports a stack overflow ("fatal error: stack overflow", the
// goroutine, exit status 2). Any other fault gets the default action. The handler runs on the
// worker's alternate signal stack (worker_main sets it up; the faulting stack is full) and calls
// only async-signal-safe functions (strlen, write, _exit, sigaction). Installed only where no
// SIGSEGV handler exists yet (the sanitizers have their own, which report the overflow themselves).
GOCSP_DECL void scheduler::install_overflow_handler() noexcept {
    struct sigaction old{};
    if (::sigaction(SIGSEGV, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) return;
    struct sigaction sa{};
    sa.sa_sigaction = &scheduler::on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, nullptr);
}

GOCSP_DECL void scheduler::on_segv(int, siginfo_t* info, void*) noexcept {
    worker* w = tls.w;
    g* gp = w ? w->current : nullptr;
    auto* addr = static_cast<char*>(info->si_addr);
    if (gp && gp != &w->g0 && !gp->thread && gp->stk.bottom && addr < gp->stk.bottom &&
        addr >= gp->stk.bottom - static_cast<std::ptrdiff_t>(stack_guard_size)) {
        // Only async-signal-safe calls from here on.
        begin_dying();
        auto put = [](const char* text) { [[maybe_unused]] auto r = ::write(2, text, std::strlen(text)); };
        auto put_number = [&put](unsigned long long v) {
            char digits[24];
            int i = 23;
            digits[i] = '\0';
            do {
                digits[--i] = static_cast<char>('0' + v % 10);
                v /= 10;
            } while (v);
            put(digits + i);
        };
        put("runtime: goroutine stack exceeds its ");
        put_number(gp->stk.size);
        put("-byte limit\nfatal error: stack overflow\n\ngoroutine ");
        put_number(gp->id);
        put(" [running]:\ncreated by ");
        put(gp->created_at.function);
        put("\n\t");
        put(gp->created_at.file);
        put(":");
        put_number(gp->created_at.line);
        put("\n");
        ::_exit(2);
    }
    struct sigaction dfl{};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGSEGV, &dfl, nullptr);  // returning re-runs the faulting access: default action
}

// SIGQUIT asks sysmon (which may sleep) for a dump; the handler itself only sets a flag and
// wakes it. Installed only where the signal still has its default action.
GOCSP_DECL void scheduler::install_sigquit_handler() noexcept {
    struct sigaction old{};
    if (::sigaction(SIGQUIT, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) return;
    struct sigaction sa{};
    sa.sa_handler = [](int) {
        sigquit_pending_.store(1, std::memory_order_release);
        scheduler& self = get();  // exists: the handler is installed by its constructor
        self.sysmon_word_.store(1, std::memory_order_release);
        futex_wake(self.sysmon_word_);
    };
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGQUIT, &sa, nullptr);
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
