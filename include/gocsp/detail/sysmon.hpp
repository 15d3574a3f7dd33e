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
        if (npidle_.load(std::memory_order_seq_cst) == nworkers_ && !m0_->busy.load(std::memory_order_seq_cst) &&
            !spares_busy()) {
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
            if (npidle_.load(std::memory_order_seq_cst) == nworkers_ && !m0_->busy.load(std::memory_order_seq_cst) &&
                !spares_busy())
                futex_wait(sysmon_word_, 0, 1'000'000'000);
            sysmon_sleeping_.store(false, std::memory_order_seq_cst);
            delay_us = 20;
            continue;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
        bool acted = false;
        worker* in_call = nullptr;   // a worker in the same system call as at the last look,
        std::uint32_t call_seq = 0;  // ... that call's number, and whether its queue holds work
        bool in_call_queued = false;
        for (int i = 0; i < nall_; ++i) {  // m0 too: main computing on strands its queue
            worker* v = &workers_[i];
            std::uint32_t tick = v->public_tick.load(std::memory_order_relaxed);
            const bool still = v->busy.load(std::memory_order_relaxed) && tick == v->sysmon_seen_tick;
            v->sysmon_seen_tick = tick;
            if (still && !v->runq.empty() && npidle_.load(std::memory_order_seq_cst) > 0) {
                wakep();
                acted = true;
            }
            // Still in the call it was in at the last look: its queue (with its run-next slot,
            // which nobody else takes) waits for it; with no P idle, a spare stands in (Go's
            // retake of a P held in a system call).
            const std::uint32_t seq = v->syscall_seq.load(std::memory_order_relaxed);
            if ((seq & 1) != 0 && seq == v->sysmon_seen_seq && still && !in_call_queued) {
                in_call = v;
                call_seq = seq;
                in_call_queued = !v->runq.empty();
            }
            v->sysmon_seen_seq = seq;
        }
        if (in_call && nspares_ > 0 && npidle_.load(std::memory_order_seq_cst) == 0 &&
            (in_call_queued || any_queued()) && wake_spare(in_call, call_seq))
            acted = true;
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

GOCSP_DECL bool scheduler::spares_busy() const noexcept {
    for (int i = nworkers_ + 1; i < nall_; ++i)
        if (workers_[i].busy.load(std::memory_order_seq_cst)) return true;
    return false;
}

GOCSP_DECL void scheduler::poke_sysmon() noexcept {
    if (sysmon_sleeping_.load(std::memory_order_seq_cst)) {
        sysmon_word_.store(1, std::memory_order_release);
        futex_wake(sysmon_word_);
    }
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
