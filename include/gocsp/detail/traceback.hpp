// gocsp/detail/traceback.hpp - what the runtime knows of every goroutine and thread, for the
// goroutine dump (Go's traceback.go): the plain threads that blocked in gocsp, the runtime's own
// threads, and the dump itself, in Go's format.
//
// Lock order: threads_lock_ is a leaf (nothing is taken while holding it).
#pragma once

#include <algorithm>
#include <cstdio>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "scheduler.hpp"

namespace gocsp::detail {

#if GOCSP_DEFINE_RUNTIME

GOCSP_DECL void scheduler::register_thread(g* rec) {
    std::lock_guard<spinlock> hold(threads_lock_);
    threads_.push_back(rec);
}

GOCSP_DECL void scheduler::enter_runtime_thread(const char* name) {
    ::pthread_setname_np(::pthread_self(), name);
    const long tid = static_cast<long>(::syscall(SYS_gettid));
    std::lock_guard<spinlock> hold(threads_lock_);
    runtime_tids_.push_back(tid);
}

GOCSP_DECL void scheduler::leave_runtime_thread() noexcept {
    const long tid = static_cast<long>(::syscall(SYS_gettid));
    std::lock_guard<spinlock> hold(threads_lock_);
    runtime_tids_.erase(std::remove(runtime_tids_.begin(), runtime_tids_.end(), tid), runtime_tids_.end());
}

GOCSP_DECL void scheduler::unregister_thread(g* rec) noexcept {
    std::lock_guard<spinlock> hold(threads_lock_);
    threads_.erase(std::remove(threads_.begin(), threads_.end(), rec), threads_.end());
}

#endif  // GOCSP_DEFINE_RUNTIME

template <class Keep>
void scheduler::dump(std::FILE* out, Keep keep) {
    const std::int64_t now = coarse_now();
    std::vector<g*> all;
    for_each_g([&](g* gp) {
        if (keep(gp)) all.push_back(gp);
    });
    std::sort(all.begin(), all.end(), [](g* a, g* b) { return a->id < b->id; });
    for (g* gp : all) {
        g_status st = gp->status.load(std::memory_order_acquire);
        const char* state = st == g_status::waiting ? to_string(gp->reason.load(std::memory_order_relaxed)) : to_string(st);
        std::fprintf(out, "goroutine %llu [%s", static_cast<unsigned long long>(gp->id), state);
        const std::int64_t since = gp->wait_since.load(std::memory_order_relaxed);
        if (st == g_status::waiting && since > 0) {
            std::int64_t minutes = (now - since) / 60'000'000'000;
            if (minutes >= 1) std::fprintf(out, ", %lld minutes", static_cast<long long>(minutes));
        }
        std::fputs("]:\n", out);
        if (gp->thread) {
            std::fputs(gp->id == 1 ? "main thread\n\n" : "a plain thread\n\n", out);
        } else {
            std::fprintf(out, "created by %s\n\t%s:%u\n\n", gp->created_at.function, gp->created_at.file,
                         gp->created_at.line);
        }
    }
}

}  // namespace gocsp::detail
