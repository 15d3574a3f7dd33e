// gocsp/detail/sysmon.hpp - the monitor thread (Go's sysmon): it hands work stranded behind a
// goroutine that runs on without blocking (or behind main's code, on m0) to an idle worker,
// polls the network and fires overdue timers when no worker does, keeps coarse_now, serves
// SIGQUIT's dump and asks for the deadlock check; it sleeps while everything is idle.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "scheduler.hpp"

namespace gocsp::detail {

#if GOCSP_DEFINE_RUNTIME

// sysmon: every 20 us to 10 ms while any worker is busy (asleep when all are idle), it
//  - wakes an idle worker when a busy one has queued goroutines but has not scheduled since
//    the last look (its goroutine runs without blocking; the woken worker steals them), and
//  - fires timers overdue by more than a millisecond when no worker is polling.
GOCSP_DECL void scheduler::sysmon_main() {
    enter_runtime_thread("gocsp-sysmon");
    std::int64_t delay_us = 20;
    for (;;) {
        if (exiting_.load(std::memory_order_relaxed)) halt(nullptr);
        coarse_now_.store(nanotime(), std::memory_order_relaxed);
        if (sigquit_pending_.exchange(0, std::memory_order_acq_rel) != 0) {
            // SIGQUIT: the dump, then exit 2 as Go does (GOCSP_SIGQUIT=continue: keep running).
            const char* mode = std::getenv("GOCSP_SIGQUIT");
            const bool keep_running = mode && std::strcmp(mode, "continue") == 0;
            if (!keep_running) begin_dying();
            std::fflush(stdout);
            std::fputs("SIGQUIT: quit\n\n", stderr);
            dump(stderr);
            std::fflush(stderr);
            if (!keep_running) std::_Exit(2);
        }
        if (npidle_.load(std::memory_order_seq_cst) == nworkers_ && !m0_->busy.load(std::memory_order_seq_cst)) {
            // Everything is idle. (While main's code runs, sysmon watches m0: what main spawns or
            // readies waits in m0's queue until main parks, unless sysmon hands it over.) If nothing at all can wake anybody (runtime rule 22), it is a
            // deadlock; the verdict needs the same picture twice, 100 ms apart.
            if (deadlock_check_ && all_asleep()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (all_asleep()) report_deadlock();
                continue;
            }
            sysmon_word_.store(0, std::memory_order_relaxed);
            sysmon_sleeping_.store(true, std::memory_order_seq_cst);
            if (npidle_.load(std::memory_order_seq_cst) == nworkers_ && !m0_->busy.load(std::memory_order_seq_cst))
                futex_wait(sysmon_word_, 0, 1'000'000'000);
            sysmon_sleeping_.store(false, std::memory_order_seq_cst);
            delay_us = 20;
            continue;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
        bool acted = false;
        for (int i = 0; i <= nworkers_; ++i) {  // m0 too: main computing on strands its queue
            worker* v = &workers_[i];
            std::uint32_t tick = v->public_tick.load(std::memory_order_relaxed);
            bool stuck = v->busy.load(std::memory_order_relaxed) && tick == v->sysmon_seen_tick &&
                         !v->runq.empty();
            v->sysmon_seen_tick = tick;
            if (stuck && npidle_.load(std::memory_order_seq_cst) > 0) {
                wakep();
                acted = true;
            }
        }
        if (netpoll_waiters_.load(std::memory_order_relaxed) > 0 && !poller_active_.load(std::memory_order_acquire)) {
            std::int64_t now = nanotime();
            if (now - last_netpoll_.load(std::memory_order_relaxed) > 10'000'000) {
                last_netpoll_.store(now, std::memory_order_relaxed);
                acted |= netpoll(0) > 0;
            }
        }
        std::int64_t when = timers_.next_when();
        if (when != never && !poller_active_.load(std::memory_order_acquire)) {
            std::int64_t now = nanotime();
            if (now - when > 1'000'000) acted |= timers_.run_expired(now) > 0;
        }
        delay_us = acted ? 20 : std::min<std::int64_t>(delay_us * 2, 10'000);
    }
}

GOCSP_DECL void scheduler::poke_sysmon() noexcept {
    if (sysmon_sleeping_.load(std::memory_order_seq_cst)) {
        sysmon_word_.store(1, std::memory_order_release);
        futex_wake(sysmon_word_);
    }
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
