// Small helpers shared by the test files.
#pragma once

#include <gocsp/gocsp.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <exception>
#include <sys/syscall.h>
#include <unistd.h>

namespace gocsp_test {

/// os_tid: the calling OS thread's id (a system call: never cached across a goroutine switch).
inline long os_tid() { return static_cast<long>(::syscall(SYS_gettid)); }

/// process_cpu_seconds: CPU time used by the whole process so far.
inline double process_cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// hold_every_worker_in_a_call: starts one goroutine per worker (the P and m0), each of which
/// stays in a "system call" (a spin inside syscall_scope) until a goroutine queued behind the
/// last of them has run - which, with every worker held and none idle, only a spare worker can
/// do (Go hands such a P to another thread) - or until `give_up` has passed, which ends every
/// call. Call it from main or a plain thread; it waits for them all and returns whether the
/// queued goroutine ran before anybody gave up.
inline bool hold_every_worker_in_a_call(std::chrono::seconds give_up) {
    const int holders = gocsp::maxprocs() + 1;
    std::atomic<int> started{0};
    std::atomic<bool> released{false}, gave_up{false};
    gocsp::wait_group wg;
    wg.add(holders + 1);
    for (int i = 0; i < holders; ++i)
        gocsp::go([&] {
            if (started.fetch_add(1) + 1 == holders)
                gocsp::go([&] {  // queued on this worker, which is about to stay in its "call"
                    released.store(true);
                    wg.done();
                });
            {
                gocsp::detail::syscall_scope in_call;
                const auto until = std::chrono::steady_clock::now() + give_up;
                while (!released.load()) {
                    if (std::chrono::steady_clock::now() > until) {
                        gave_up.store(true);
                        released.store(true);
                    }
                }
            }
            wg.done();
        });
    wg.wait();
    return !gave_up.load();
}

/// in_goroutine: runs f in a goroutine and waits for it, rethrowing what it threw.
template <class F>
void in_goroutine(F f) {
    gocsp::wait_group wg;
    std::exception_ptr failure;
    wg.add(1);
    gocsp::go([&] {
        try {
            f();
        } catch (...) {
            failure = std::current_exception();
        }
        wg.done();
    });
    wg.wait();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace gocsp_test
