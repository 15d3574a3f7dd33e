// gocsp/detail/main_worker.hpp - main() as a goroutine pinned to the main thread: the main
// thread's worker m0 (see "main() as a goroutine (m0)" at the top of scheduler.hpp for the design
// and its rules).
//
// Invariants:
//   - main's record is never in a run queue: it is running on m0, parked, or in m0's `pinned`
//     slot; only m0 takes it from there.
//   - m0 runs on the main thread only, and only m0's own queue and main (never steals).
//   - `pinned_defer` and m0's queue are touched by the main thread only; `pinned`, `sleeping` and
//     `wake` are the wake-up handshake with other threads (ready_pinned).
#pragma once

#include <cstdint>
#include <cstring>
#include <pthread.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scheduler.hpp"

namespace gocsp::detail {

#if GOCSP_DEFINE_RUNTIME

// requeue_pinned: main yielded (or was preempted); on m0, after the switch. It runs again after
// the goroutines queued on m0 now have had their turn.
GOCSP_DECL void scheduler::requeue_pinned(g* gp) noexcept {
    worker* w = m0_;
    GOCSP_ASSERT(current_worker() == w && gp == main_g_);
    w->pinned_defer = w->runq.ring_size() + (w->runq.next.load(std::memory_order_relaxed) != nullptr);
    w->pinned.store(gp, std::memory_order_release);
}

// main_spawned: main started a goroutine (w is m0, main runs). A goroutine that keeps spawning
// is moved aside once a queue's worth waits (see start); main cannot move, and yielding to its
// own queue then would hand the main thread to goroutines that may never park. Instead, while the
// goroutines main starts end about as fast as it starts them (fewer than half of a window's
// spawns still alive at its end), main yields (requeue_pinned) every main_spawn_batch spawns, so
// that m0 runs them on the records and stacks it just used: stolen by another core, every
// record crosses between the caches twice (spawn from main, 2 workers: 140 ns a goroutine
// before, 64 after; 1 worker: 145 before, 57 after). While they accumulate instead (they park,
// or compute), main spawns on and the background workers take them.
GOCSP_DECL void scheduler::main_spawned(worker* w) noexcept {
    constexpr std::uint32_t main_spawn_batch = 16;
    constexpr std::uint32_t main_spawn_window = 64;
    if (++w->main_spawns % main_spawn_window == 0) {
        const std::int64_t live = live_goroutines();
        w->main_spawns_end = live - w->main_live_seen < std::int64_t{main_spawn_window / 2};
        w->main_live_seen = live;
    }
    if (w->main_spawns_end && w->spawn_streak % main_spawn_batch == 0 && w->firing_timers == 0)
        preempt(w);
}

// ready_pinned: main is ready. Only m0 runs it: m0 takes it at its next schedule, or now if it
// sleeps. (Dekker: we publish `pinned` then read `sleeping`; m0 sets `sleeping` then rereads
// `pinned`, both seq_cst, so one of us sees the other.)
GOCSP_DECL void scheduler::ready_pinned(g* gp) noexcept {
    worker* m = m0_;
    m->pinned.store(gp, std::memory_order_seq_cst);
    if (current_worker() == m) return;
    if (m->sleeping.load(std::memory_order_seq_cst)) {
        m->wake.store(1, std::memory_order_release);
        futex_wake(m->wake);
    }
}

// main_stack_from_exec: the main thread's stack, found without opening a file. For the main
// thread, glibc's pthread_getattr_np reads /proc/self/maps, which fails when the process is out
// of file descriptors (EMFILE) or /proc is not mounted; main's record must still get a stack, or
// switch_to would take main for a goroutine yet to start. The top is the page end of the
// program's file name, the first string exec copies to the top of the new stack (AT_EXECFN);
// the size is RLIMIT_STACK (8 MiB when unlimited), enough to hold the calling frame.
inline stack main_stack_from_exec() noexcept {
    const std::size_t page = page_size();
    const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    std::uintptr_t top = here;
    if (const auto name = static_cast<std::uintptr_t>(::getauxval(AT_EXECFN)); name > here)
        top = name + std::strlen(reinterpret_cast<const char*>(name)) + 1;
    top = round_up(top, page);
    std::size_t size = std::size_t{8} << 20;
    rlimit rl{};
    if (::getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) size = round_up(rl.rlim_cur, page);
    size = std::max(size, top - here + page);
    return stack{reinterpret_cast<char*>(top - size), size};
}

GOCSP_DECL worker* scheduler::bind_main() {
    if (main_g_ != nullptr || exiting_.load(std::memory_order_relaxed)) return nullptr;
    worker* w = m0_;
    g* mg = thread_g();
    // m0's scheduler context runs on a stack of its own: main's code owns the thread's.
    stack stk;
    default_pool_->take(&stk, 1);
    stack_in_use(stk);  // for m0's life
    w->g0.id = 0;
    w->g0.stk = stk;
    context_init_fiber(w->g0.ctx, stk.bottom, stk.size, stk.top(), &scheduler::m0_entry);
    mg->stk = thread_stack();  // not empty: main never gets a goroutine stack
    if (mg->stk.bottom == nullptr) mg->stk = main_stack_from_exec();  // no file to read /proc with
    context_init_thread(mg->ctx, mg->stk.bottom, mg->stk.size);
    mg->pinned = true;
    w->tid.store(mg->tid, std::memory_order_relaxed);
    w->current = mg;
    w->busy.store(true, std::memory_order_relaxed);
    install_altstack();
    main_g_ = mg;
    tls.w = w;
    poke_sysmon();  // it watches m0 while main's code runs
    return w;
}

GOCSP_DECL void scheduler::m0_entry(transfer_t t) noexcept {
    context_enter();
    after_switch(t);
    scheduler& self = get();
    worker* w = self.m0_;
    for (;;) {
        g* gp = self.m0_find_runnable(w);
        self.switch_to(w, &w->g0, gp, nullptr, nullptr);
    }
}

// m0_find_runnable: m0's scheduler loop, while main is parked: main when it is ready, else m0's
// own queue; else spin a little if a core is free (main's waker often answers within
// microseconds), then sleep until ready_pinned wakes it. m0 never steals (see the top of this
// file), so with main parked and nothing of its own it is idle: sysmon is told, for the
// deadlock check.
GOCSP_DECL g* scheduler::m0_find_runnable(worker* w) noexcept {
    for (;;) {
        if (g* gp = pick_local(w)) return gp;  // while exiting, only main
        w->busy.store(false, std::memory_order_seq_cst);
        auto has_work = [&] {
            return w->pinned.load(std::memory_order_seq_cst) != nullptr ||
                   (!exiting_.load(std::memory_order_relaxed) && !w->runq.empty());
        };
        bool found = false;
        const int busy = nworkers_ - npidle_.load(std::memory_order_relaxed);
        if (busy + thread_spinners_.load(std::memory_order_relaxed) < ncpu_) {
            thread_spinners_.fetch_add(1, std::memory_order_relaxed);
            found = spin_for(thread_spin_ns, has_work);
            thread_spinners_.fetch_sub(1, std::memory_order_relaxed);
        }
        if (!found) {
            w->sleeping.store(true, std::memory_order_seq_cst);
            if (!has_work()) {
                if (npidle_.load(std::memory_order_seq_cst) == nworkers_) poke_sysmon();  // a deadlock?
                futex_wait(w->wake, 0);
            }
            w->sleeping.store(false, std::memory_order_relaxed);
            w->wake.store(0, std::memory_order_relaxed);
        }
        w->busy.store(true, std::memory_order_seq_cst);
        poke_sysmon();  // if it sleeps: it watches m0 while main's code runs (see sysmon_main)
    }
}

// thread_stack: the calling thread's own stack.
GOCSP_DECL stack scheduler::thread_stack() noexcept {
    pthread_attr_t attr;
    void* addr = nullptr;
    std::size_t size = 0;
    if (::pthread_getattr_np(::pthread_self(), &attr) == 0) {
        ::pthread_attr_getstack(&attr, &addr, &size);
        ::pthread_attr_destroy(&attr);
    }
    return stack{static_cast<char*>(addr), size};
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
