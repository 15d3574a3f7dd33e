// Small helpers shared by the test files.
#pragma once

#include <gocsp/gocsp.hpp>

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
