// gocsp/detail/checkdead.hpp - deadlock detection (Go's checkdead): when nothing can ever run
// again, "fatal error: all goroutines are asleep - deadlock!", the goroutine dump, status 2.
// sysmon asks, twice 100 ms apart, when every worker is idle (sysmon.hpp).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <vector>

#include "scheduler.hpp"

namespace gocsp::detail {

#if GOCSP_DEFINE_RUNTIME

// all_asleep: Go's checkdead. True when nothing can ever run again: every worker idle with
// every queue empty, the main thread parked in gocsp, every other plain thread known to gocsp
// parked, no goroutine waiting on a timer, the network or a blocking call, and no thread in the
// process that gocsp does not know (it could still send on a channel).
GOCSP_DECL bool scheduler::all_asleep() noexcept {
    if (npidle_.load(std::memory_order_seq_cst) != nworkers_ || !global_.empty()) return false;
    if (m0_->busy.load(std::memory_order_seq_cst)) return false;  // main, or a goroutine, runs on m0
    for (int i = 0; i < nall_; ++i) {
        if (!workers_[i].runq.empty()) return false;
        if (workers_[i].spare && workers_[i].busy.load(std::memory_order_seq_cst)) return false;
    }
    if (timers_.next_when() != never || netpoll_waiters_.load(std::memory_order_seq_cst) != 0) return false;
    // Awake, or parked on something outside the channels that will wake it: a sleep, the
    // network, a blocking call. Goroutines and thread records alike (main in gocsp::blocking is
    // not deadlocked).
    auto may_run = [](g* gp) {
        const wait_reason r = gp->reason.load(std::memory_order_relaxed);
        return gp->status.load(std::memory_order_acquire) != g_status::waiting || r == wait_reason::sleep ||
               r == wait_reason::io_wait || r == wait_reason::blocking_call;
    };
    bool main_parked = false, threads_may_run = false;
    std::vector<long> known;
    {
        std::lock_guard<spinlock> hold(threads_lock_);
        for (g* rec : threads_) {
            if (rec->id == 1) main_parked = rec->status.load(std::memory_order_acquire) == g_status::waiting;
            threads_may_run = threads_may_run || may_run(rec);
            known.push_back(rec->tid);
        }
        known.insert(known.end(), runtime_tids_.begin(), runtime_tids_.end());
    }
    if (!main_parked || threads_may_run) return false;
    bool waiting_on_outside = false;
    gslot_pool_.for_each([&](g* gp) { waiting_on_outside = waiting_on_outside || may_run(gp); });
    if (waiting_on_outside) return false;
    // Every thread of the process must be the runtime's own, a parked plain thread, or a
    // sanitizer's helper: any other thread could still send on a channel (it need not have
    // touched gocsp yet), so it holds the verdict back.
    DIR* dir = ::opendir("/proc/self/task");
    if (!dir) return false;
    std::vector<long> unknown;
    long lowest = 0;  // the lowest thread id but main's
    const long main_tid = ::getpid();
    while (dirent* e = ::readdir(dir)) {
        if (e->d_name[0] == '.') continue;
        long tid = std::atol(e->d_name);
        if (tid != main_tid && (lowest == 0 || tid < lowest)) lowest = tid;
        if (std::find(known.begin(), known.end(), tid) == known.end()) unknown.push_back(tid);
    }
    ::closedir(dir);
    if (GOCSP_TSAN_ENABLED && lowest != 0 && is_tsan_helper(lowest))
        unknown.erase(std::remove(unknown.begin(), unknown.end(), lowest), unknown.end());
    if (!unknown.empty()) return false;
    return true;
}

// is_tsan_helper: whether thread tid may be ThreadSanitizer's background thread. TSan starts it
// inside the process's first pthread_create, just before the thread asked for, so it has the
// lowest thread id after main's (the caller checks that); it runs with every signal blocked,
// which plain threads rarely do. It never touches a channel.
GOCSP_DECL bool scheduler::is_tsan_helper(long tid) noexcept {
    char path[64], line[128];
    std::snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
    std::FILE* f = std::fopen(path, "r");
    if (!f) return false;
    unsigned long long blocked = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f)) found = std::sscanf(line, "SigBlk: %llx", &blocked) == 1;
    std::fclose(f);
    constexpr unsigned long long every_blockable = 0x7ffbfeffULL;  // signals 1-31 but SIGKILL, SIGSTOP
    return found && (blocked & every_blockable) == every_blockable;
}

GOCSP_DECL void scheduler::report_deadlock() {
    begin_dying();
    std::fflush(stdout);
    std::fputs("fatal error: all goroutines are asleep - deadlock!\n\n", stderr);
    dump(stderr);
    std::fflush(stderr);
    std::_Exit(2);
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
