// gocsp/detail/scheduler.hpp - the M:N work-stealing scheduler, and park/ready.
//
// This header holds scheduling: goroutine life, switching, park/ready/yield, finding work, idling
// and waking. The scheduler's other concerns have a header each: main_worker.hpp (main() as a
// goroutine on the main thread's worker m0), poller.hpp (the epoll wait loop), signals.hpp
// (stack overflow, SIGQUIT), sysmon.hpp (the monitor thread), checkdead.hpp (deadlock detection),
// traceback.hpp (thread records and the goroutine dump).
//
// Architecture
//   P workers (OS threads) run goroutines. Each worker has a scheduler context `g0` (its thread's
//   own stack, running find_runnable) and a local run queue with a `next` slot. A goroutine that
//   blocks or yields switches straight to the next local goroutine when there is one, and to g0
//   otherwise; g0 searches (timers, global queue, stealing) and finally parks the thread.
//   Plain threads (std::threads) submit to the global queue and block on a futex when they park,
//   after spinning for a few microseconds if a core is free (thread_wait). A monitor thread
//   (sysmon) rescues work stranded behind a goroutine that runs for long without blocking, and
//   fires overdue timers when every worker is busy.
//
// main() as a goroutine (m0)
//   Go's main is a goroutine; here main()'s code stays on the main OS thread, but the main thread
//   is a worker too: m0, workers_[nworkers_], one slot past the P background workers. main binds
//   to it on its first spawn or park (bind_main): from then on main's record (id 1, `thread` and
//   `pinned` set) is m0's running goroutine, so main's spawns go to m0's run queue and its parks
//   switch to m0's scheduler context (a fiber of its own, since main's code owns the thread's
//   stack), which runs m0's goroutines until main is ready again - as two goroutines on one worker
//   do. The rules that keep main on its thread:
//   - main is never in a run queue. ready(main) puts it in m0's `pinned` slot and wakes m0 if it
//     sleeps; only m0 takes it from there (pick_local, first, unless main yielded: then the
//     goroutines queued before it run first, pinned_defer of them). main yields so after a burst
//     of spawns only while what it starts ends about as fast (main_spawned).
//   - m0 runs only its own queue (what main and m0's goroutines spawned or readied) and main: it
//     never steals and never takes the global queue, so that a ready main waits behind as little
//     as possible. Other workers steal from m0 like from any worker. m0 is not on the idle list
//     and not counted in npidle; it sleeps on its `wake` word when it has nothing to run.
//   - m0's goroutines run on the main thread: one that computes without blocking delays main
//     until it does (there is no preemption); one that takes a std::mutex main holds across a
//     park deadlocks the thread (docs/from-go.md lists these hazards).
//
// Spare workers (Go's syscall hand-off, in the small)
//   A worker inside a socket system call still holds its run queue. On loopback a send() does
//   the peer's TCP receive work in the sender's context, and on an oversubscribed machine the
//   kernel may deschedule it there for a whole time slice: its queue waits, and the process has
//   fewer runnable threads than Go, which hands such a P to another thread (sysmon's retake).
//   Here, nspares_ spare workers (GOCSP_SPARES, default twice the number of P, at most 256;
//   0: none) sit after m0 in workers_ (indices nworkers_+1 ...), each with its own run queue,
//   stack and record caches; their threads start when first needed. A socket call (read, send,
//   accept4 and close in fd.hpp, connect in net.hpp) is wrapped in syscall_scope, which makes
//   the worker's syscall_seq odd for the call's length.
//   sysmon wakes one spare when a busy worker is in the same call (same odd syscall_seq) as at
//   its last look, work is queued (in that worker's queue or anywhere) and no P is idle; the
//   spare `covers` that worker's call. A woken spare runs find_runnable like any worker (it
//   steals, takes the global queue) with these differences:
//   - it is never on idle_list_, never counted in npidle or nspinning, never the poller: wakep
//     and the idle protocol do not know it, so their no-lost-wake-up argument is unchanged;
//     a spare is extra capacity, never the one that must find submitted work.
//   - it stands down (spare_idle) when it finds nothing, or when released (spare_released:
//     the covered call has ended, or a P is idle), checked at every schedule (pick_local then
//     returns nothing, so it goes to its scheduler context): its own queue then goes to the
//     global queue and wakep() hands it to a P. It sleeps on `wake` with `spare_parked` set;
//     whoever clears spare_parked (sysmon, or the spare itself on second thoughts) owns the
//     wake: sysmon then sets `covering` and `wake`, the spare clears `covering`.
//   - spares_awake_ counts spares not parked; steal and any_queued visit the spares' queues
//     only while it is non-zero. A spare's queue is filled only by the spare itself, and it
//     is empty (handed over or run) before the spare decrements the count.
//   - a spare's timers go to m0's heap (timers_[nworkers_], shared with plain threads), so the
//     number of heaps every idle worker scans stays P + 1.
//   So GOCSP_MAXPROCS bounds the threads running goroutines outside system calls, as Go's
//   GOMAXPROCS bounds Ps running Go code, not threads in system calls - with one difference:
//   the worker whose call ends keeps running goroutines at once (it is not made to wait for a
//   P, as Go's exitsyscall may), and the spare that covered it stands down at its own next
//   schedule, so for the rest of one goroutine's run P + 1 threads may run goroutines.

// The switch protocol (runtime rules 6 and 7)
//   switch_to(from, to, fn, arg) records (fn, arg) in the worker, then jumps. The first thing
//   every resumed context does (after_switch) is save `from`'s suspended context and call
//   fn(arg) - on the new stack, so `from` is already off its own. A parking goroutine passes the
//   unlock of its primitive as fn: nobody can ready() it before it is fully suspended.
//   After fn runs, the code must not touch `from` again: it may be running elsewhere.
//
// Invariants
//   - A goroutine is in at most one place: running on one worker, or in one run queue (or
//     `next` slot, or the global queue), or parked (status waiting) - never two.
//   - ready(gp) is called exactly once per park(); it requires status waiting. Primitives
//     guarantee "once" with their own locks (or a select's done flag).
//   - nspinning counts workers with `spinning` set; npidle counts workers on idle_list_.
//   - A worker is on idle_list_ iff its `idle` flag is set (both under idle_lock_). Removing
//     another worker from the list obliges the remover to set its `wake` word and wake it.
//   - At most one worker is the poller (poller_active_) and blocks in epoll with a timeout up to
//     the next timer; it is on idle_list_ meanwhile, with `polling` set.
//   - No lost wake-up: a submitter publishes work, then (seq_cst) reads npidle/nspinning in
//     wakep; a worker going idle publishes itself on idle_list_ (npidle), then (seq_cst)
//     rechecks every run queue. Timers: add publishes next_when, then reads poll_until/npidle;
//     the poller publishes poll_until, then rereads next_when.
//
// Lock order (a lock may be taken while holding those before it, never after):
//   primitive locks (channels, wait groups; several in address order)
//     -> a timer heap's lock (never two at once) -> idle_lock_ -> global run queue lock
//     -> stack pool lock.
//   blocking pool lock -> threads_lock_ (a helper thread leaving); threads_lock_ is a leaf.
//   ready() may be called with primitive locks held only through park's after-switch function;
//   primitives call it after unlocking (runtime rule 3).
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <pthread.h>
#include <dirent.h>
#include <csignal>
#include <signal.h>
#include <stdexcept>
#include <string>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sched.h>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unistd.h>
#include <utility>
#include <vector>

#include "config.hpp"
#include "context.hpp"
#include "fatal.hpp"
#include "futex.hpp"
#include "g.hpp"
#include "random.hpp"
#include "runqueue.hpp"
#include "runtime_id.hpp"
#include "spinlock.hpp"
#include "stack.hpp"
#include "timer.hpp"

namespace gocsp::detail {

struct worker;

/// Default usable stack size of a goroutine.
inline constexpr std::size_t default_stack_size = 256 * 1024;
/// Smallest stack a goroutine may ask for.
inline constexpr std::size_t min_stack_size = 16 * 1024;
/// Largest stack a goroutine may ask for (Go's limit on 64-bit systems is 1 GB, too).
inline constexpr std::size_t max_stack_size = std::size_t{1} << 30;
/// Schedules a worker takes from its run-next slot in a row; then the goroutine there waits
/// behind the worker's whole queue (runtime rule 13).
inline constexpr std::uint32_t max_next_streak = 64;

/// Settings read when the scheduler starts (GOCSP_MAXPROCS, set_maxprocs, set_stack_size).
struct settings {
    std::atomic<int> maxprocs{0};  // 0: from GOCSP_MAXPROCS or the number of cores
    std::atomic<std::size_t> stack_size{default_stack_size};
    std::atomic<bool> started{false};
};
#if GOCSP_COMPILED_RUNTIME
/// runtime_settings: the settings (the runtime's unit defines them; read them through config()).
GOCSP_API extern settings runtime_settings;
#if GOCSP_DEFINE_RUNTIME
constinit settings runtime_settings;
#endif
/// config: the settings of the process's runtime.
inline settings& config() noexcept { return runtime_settings; }
#else
/// config: the settings of the process's runtime.
inline settings& config() noexcept {
    static settings s;
    return s;
}
#endif

/// tls: the runtime's per-thread state. Read it only through current_worker() / thread_g():
/// a goroutine may resume on another thread, and the compiler may not cache its address.
struct GOCSP_API thread_state {
    worker* w = nullptr;              // set on worker threads
    std::unique_ptr<g> thread_record;  // a plain thread's g, made on first need
    bool main_checked = false;         // bind_main was tried on this thread
    ~thread_state();                   // unregisters thread_record
};
// With the compiled runtime, tls is the runtime's unit's own: other units reach it through
// current_worker(), out of line there (a call either way: it is never inlined).
/// current_worker: the worker running the caller, or nullptr on a plain thread.
#if GOCSP_COMPILED_RUNTIME
GOCSP_NOINLINE GOCSP_API worker* current_worker() noexcept;
#endif
#if GOCSP_DEFINE_RUNTIME
#if GOCSP_COMPILED_RUNTIME
thread_local thread_state tls;
#else
inline thread_local thread_state tls;
#endif

GOCSP_NOINLINE GOCSP_DECL worker* current_worker() noexcept {
    worker* w = tls.w;
    asm volatile("" ::: "memory");
    return w;
}
#endif

/// thread_g: the calling plain thread's record (made on first call).
GOCSP_DECL g* thread_g();

/// worker: one of the P threads that run goroutines. Fields without a comment belong to the
/// worker's own thread.
struct alignas(cache_line) worker {
    int index = 0;
    int heap = 0;                    // its timer heap: index, but m0's (shared) for a spare
    bool spare = false;              // a spare worker, not one of the P (see the top of this file)
    std::atomic<long> tid{0};        // the OS thread id (for tests and dumps)
    local_runq runq;                 // shared: thieves steal from it
    g g0;                            // the scheduler loop's context (this thread's stack)
    g* current = nullptr;            // what runs now: g0 or a goroutine
    g* switched_from = nullptr;      // the context the last switch left
    void (*post_fn)(void*) = nullptr;  // run by after_switch on the next context
    void* post_arg = nullptr;
    std::uint32_t schedtick = 0;      // schedules so far
    std::uint32_t next_streak = 0;    // consecutive schedules taken from runq.next
    std::uint32_t spawn_streak = 0;   // goroutines started since the last switch
    std::uint32_t firing_timers = 0;  // > 0 while timer callbacks run (no preemption then)
    bool spinning = false;            // counted in scheduler::nspinning
    xorshift64 rng;                   // select's shuffle, steal's victim order
    std::uint64_t id_next = 0, id_end = 0;  // a batch of goroutine ids (Go's goidcache)
    std::atomic<std::int64_t> live_delta{0};  // goroutines started minus ended here (owner writes)
    stack_cache stacks;               // default-size stacks
    g_slot_cache gslots;              // g records

    // Shared with wakers (see the invariants at the top of this file).
    std::atomic<std::uint32_t> wake{0};   // set by whoever took us off the idle list
    std::atomic<bool> wake_spinning{false};  // ... and whether it counted us as spinning
    std::atomic<bool> polling{false};     // blocked in epoll rather than on `wake`
    bool idle = false;                    // on the idle list (under idle_lock_)

    // m0 only (the main thread's worker).
    std::atomic<g*> pinned{nullptr};      // main, ready to run again (set by ready, taken by m0)
    std::atomic<bool> sleeping{false};    // m0 sleeps (or is about to) on `wake`
    std::uint32_t pinned_defer = 0;       // schedules to give the run queue before main (main yielded)
    std::uint32_t main_spawns = 0;        // goroutines main has started (main_spawned)
    std::int64_t main_live_seen = 0;      // live goroutines at main's last look (main_spawned)
    bool main_spawns_end = false;         // they end about as fast as main starts them

    // Read by sysmon.
    std::atomic<std::uint32_t> public_tick{0};  // schedtick, published at each schedule
    std::atomic<bool> busy{false};              // running something (not searching or idle)
    std::atomic<bool> halted{false};            // stopped for good (the process is exiting)
    std::uint32_t sysmon_seen_tick = 0;         // sysmon's own
    int sysmon_stuck = 0;                        // sysmon's own
    std::atomic<std::uint32_t> syscall_seq{0};   // odd inside a socket system call (syscall_scope)
    std::uint32_t sysmon_seen_seq = 0;           // sysmon's own

    // Spares only (see "Spare workers" at the top of this file).
    std::atomic<bool> spare_parked{false};       // asleep on `wake`; cleared by whoever wakes it
    bool spare_started = false;                  // its thread exists (sysmon's own)
    worker* covering = nullptr;                  // the worker whose call it stands in for, and
    std::uint32_t covering_seq = 0;              // ... that call's syscall_seq (set by its waker)

    std::uint32_t next_random() noexcept { return rng.next(); }
};

/// syscall_scope: marks the calling worker (if any) as inside a system call for its lifetime,
/// so that sysmon can hand its queued work to a spare worker if the call (or the kernel's
/// scheduling of the thread inside it) takes long. Two relaxed stores; the goroutine does not
/// switch meanwhile, so the worker stays the same.
struct syscall_scope {
    worker* w;
    syscall_scope() noexcept : w(current_worker()) {
        if (w) w->syscall_seq.store(w->syscall_seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    ~syscall_scope() {
        if (w) w->syscall_seq.store(w->syscall_seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    syscall_scope(const syscall_scope&) = delete;
    syscall_scope& operator=(const syscall_scope&) = delete;
};

/// scheduler: the runtime. One per process, made on first use and never destroyed (at exit,
/// goroutines are abandoned, as in Go).
class GOCSP_API scheduler {
public:
    /// get: the process's scheduler, started on first use.
    static scheduler& get() {
#if GOCSP_COMPILED_RUNTIME
        scheduler* s = instance_.load(std::memory_order_acquire);
        return GOCSP_LIKELY(s != nullptr) ? *s : make();
#else
        static scheduler* s = new scheduler();
        return *s;
#endif
    }
    /// instance_if_started: the scheduler, or nullptr if nothing started it yet.
    static scheduler* instance_if_started() noexcept {
        return config().started.load(std::memory_order_acquire) ? &get() : nullptr;
    }

    int nworkers() const noexcept { return nworkers_; }

    // --- goroutines -----------------------------------------------------------------------
    g* new_g(std::size_t stack_size, std::size_t closure_size, std::size_t closure_align,
             const source_location& loc);
    void free_new_g(g* gp) noexcept;  // undoes new_g before start
    void start(g* gp) noexcept;
    /// live_goroutines: goroutines started and not yet ended (a snapshot).
    std::int64_t live_goroutines() const noexcept {
        std::int64_t n = live_.load(std::memory_order_relaxed);
        for (int i = 0; i < nall_; ++i) n += workers_[i].live_delta.load(std::memory_order_relaxed);
        return n;
    }
    std::uint64_t next_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed); }

    // --- parking --------------------------------------------------------------------------
    void park(wait_reason reason, void (*after)(void*), void* arg) noexcept;
    void ready(g* gp, bool as_next) noexcept;
    void yield() noexcept;
    [[noreturn]] void goexit(g* gp) noexcept;
    /// bind_main: on the main thread, the first time it is called there, makes main's code the
    /// goroutine m0 runs (see the top of this file) and returns m0; else returns nullptr.
    worker* bind_main();
    /// main_worker: m0, the main thread's worker (it exists from start-up; main binds to it later).
    worker* main_worker() const noexcept { return m0_; }

    // --- timers ---------------------------------------------------------------------------
    void add_timer(timer* t) noexcept;
    bool stop_timer(timer* t) noexcept { return timers_.stop(t); }
    /// pending_timers: timers in the heap now (for tests and diagnostics).
    std::size_t pending_timers() const noexcept { return timers_.size(); }

    [[noreturn]] static void panic_exit(g* gp, const char* what) noexcept;

    // --- diagnostics (see debug.hpp) -------------------------------------------------------
    void register_thread(g* rec);
    void unregister_thread(g* rec) noexcept;
    /// enter_runtime_thread: names the calling thread (for debuggers and ps) and counts it as
    /// the runtime's own, which cannot send on a channel by itself, until leave_runtime_thread.
    /// Names are not proof: a thread started from a runtime thread inherits its name.
    void enter_runtime_thread(const char* name);
    void leave_runtime_thread() noexcept;
    /// for_each_g: f(g*) for every goroutine and every plain thread known to the runtime.
    template <class F>
    void for_each_g(F&& f) {
        gslot_pool_.for_each(f);
        std::lock_guard<spinlock> hold(threads_lock_);
        for (g* rec : threads_) f(rec);
    }
    /// coarse_now: nanotime, updated by sysmon (at most ~10 ms old while anything runs).
    std::int64_t coarse_now() const noexcept { return coarse_now_.load(std::memory_order_relaxed); }
    /// dump: writes every goroutine (accepted by keep), Go's way, to out.
    template <class Keep>
    void dump(std::FILE* out, Keep keep);
    void dump(std::FILE* out) { dump(out, [](g*) { return true; }); }


    // --- the netpoller (see net.hpp) ------------------------------------------------------
    /// epoll_fd: the runtime's epoll instance; register fds with data.ptr != nullptr.
    int epoll_fd() const noexcept { return epfd_; }
    /// netpoll_dispatch: called (on a worker, or sysmon) with each event's data.ptr and events.
#if GOCSP_COMPILED_RUNTIME
    static std::atomic<void (*)(void*, std::uint32_t)> netpoll_dispatch;
#else
    static inline std::atomic<void (*)(void*, std::uint32_t)> netpoll_dispatch{nullptr};
#endif
    void netpoll_waiting(int delta) noexcept;

private:
    scheduler();
#if GOCSP_COMPILED_RUNTIME
    static std::atomic<scheduler*> instance_;  // the scheduler, once made (by make)
    static scheduler& make();                   // get's first call: makes it, once
#endif

    // Switching.
    void switch_to(worker* w, g* from, g* to, void (*fn)(void*), void* arg, bool from_dies = false) noexcept;
    static void after_switch(transfer_t t) noexcept;
    static void trampoline(transfer_t t) noexcept;
    static void requeue(void* gp) noexcept;
    static void requeue_global(void* gp) noexcept;
    void requeue_pinned(g* gp) noexcept;
    void ready_pinned(g* gp) noexcept;
    void main_spawned(worker* w) noexcept;
    static void m0_entry(transfer_t t) noexcept;
    g* m0_find_runnable(worker* w) noexcept;
    void preempt(worker* w) noexcept;
    static void release_dead(void* gp) noexcept;
    void attach_stack(worker* w, g* gp) noexcept;
    void free_slot(worker* w, g* gp) noexcept;

    // Finding work.
    g* pick_local(worker* w, bool fire_timers = true) noexcept;
    g* take_global(worker* w, std::uint32_t max) noexcept;
    g* steal(worker* w) noexcept;
    g* find_runnable(worker* w) noexcept;
    bool any_queued() const noexcept;
    /// run_due_timers: fires the due timers of every heap, or of `only`.
    void run_due_timers(timer_heap* only = nullptr) noexcept;
    void put_next(worker* w, g* gp) noexcept;

    // Idling and waking.
    void wakep(bool fence = true) noexcept;
    void wake_idle(bool as_spinning) noexcept;
    void notify(worker* v) noexcept;
    bool unidle(worker* w) noexcept;
    void go_idle(worker* w) noexcept;
    bool trim_step(worker* w) noexcept;
    static constexpr std::int64_t trim_pause_ns = 1'000'000;  // between two steps of trim_step
    bool poll(worker* w) noexcept;
    void spare_idle(worker* w, bool hand_over) noexcept;
    bool wake_spare(worker* stuck, std::uint32_t seq) noexcept;
    bool spare_released(worker* w) const noexcept;
    bool spares_busy() const noexcept;
    int netpoll(std::int64_t timeout_ns) noexcept;
    void wait_wake(worker* w) noexcept;
    void stop_spinning(worker* w) noexcept;
    void signal_poller() noexcept;
    void poll_sysmon() noexcept;

    void worker_main(worker* w);
    static stack thread_stack() noexcept;
    static void install_altstack() noexcept;
    static void install_overflow_handler() noexcept;
    static void install_sigquit_handler() noexcept;
#if GOCSP_COMPILED_RUNTIME
    static std::atomic<int> sigquit_pending_;
#else
    static inline std::atomic<int> sigquit_pending_{0};
#endif
    static void on_segv(int sig, siginfo_t* info, void* ctx) noexcept;
    void sysmon_main();
    [[noreturn]] static void halt(worker* w) noexcept;
    static void on_exit() noexcept;
    static constexpr std::int64_t thread_spin_ns = 20'000;
    void thread_wait(g* gp) noexcept;

    int nworkers_ = 1;
    int nspares_ = 0;   // spare workers, after m0 in workers_
    int nall_ = 2;      // nworkers_ + 1 + nspares_: every worker record
    alignas(cache_line) std::atomic<int> spares_awake_{0};  // spares not parked (see spare_idle)
    int ncpu_ = 1;                         // the CPUs the process may run on (usable_cpus)
    std::atomic<int> thread_spinners_{0};  // plain threads spinning in thread_wait
    worker* workers_ = nullptr;  // nworkers_ background workers, then m0, then the spares
    worker* m0_ = nullptr;       // &workers_[nworkers_]
    g* main_g_ = nullptr;        // main's record once bound (bind_main)
    stack_pool* default_pool_ = nullptr;
    g_slot_pool gslot_pool_;
    std::size_t default_stack_ = default_stack_size;

    global_runq global_;
    timer_heaps timers_;  // [i] for worker i, [nworkers_] for m0 and other threads

    alignas(cache_line) std::atomic<int> nspinning_{0};
    alignas(cache_line) std::atomic<int> npidle_{0};
    spinlock idle_lock_{lock_rank::idle};  // protects idle_list_ and every worker's `idle`
    std::vector<worker*> idle_list_;

    // The poller.
    int epfd_ = -1;
    int evfd_ = -1;
    std::atomic<bool> poller_active_{false};
    std::atomic<std::int64_t> poll_until_{never};
    std::atomic<bool> ev_signaled_{false};
    std::atomic<int> netpoll_waiters_{0};
    std::atomic<std::int64_t> last_netpoll_{0};
    std::atomic<bool> have_pwait2_{true};  // epoll_pwait2 exists (Linux 5.11+)

    // sysmon.
    std::atomic<bool> sysmon_sleeping_{false};
    std::atomic<std::int64_t> coarse_now_{0};
    spinlock threads_lock_{lock_rank::threads};  // protects threads_
    std::vector<g*> threads_;     // plain threads' records
    std::vector<long> runtime_tids_;  // the runtime's own threads (under threads_lock_)
    bool deadlock_check_ = true;  // GOCSP_DEADLOCK=0 turns it off
    bool all_asleep() noexcept;
    static bool is_tsan_helper(long tid) noexcept;
    [[noreturn]] void report_deadlock();
    void poke_sysmon() noexcept;
    std::atomic<std::uint32_t> sysmon_word_{0};

    alignas(cache_line) std::atomic<std::int64_t> live_{0};  // goroutines started by plain threads
    std::atomic<std::uint64_t> next_id_{2};
    std::atomic<bool> exiting_{false};
};

// =============================================================================================
// Implementation
// =============================================================================================

/// thread_g: the record of the calling plain thread, made on its first call.
GOCSP_DECL g* thread_g();
/// current_g: the record of the calling goroutine or thread.
GOCSP_DECL g* current_g();
/// current_worker_or_bind: current_worker(), but on the main thread the first call binds main
/// to its worker m0 (scheduler::bind_main) and returns it. Call it where main would otherwise
/// take a plain thread's path: spawning, parking, sleeping, blocking calls.
GOCSP_DECL worker* current_worker_or_bind();

#if GOCSP_DEFINE_RUNTIME

#if GOCSP_COMPILED_RUNTIME
constinit std::atomic<scheduler*> scheduler::instance_{nullptr};
constinit std::atomic<void (*)(void*, std::uint32_t)> scheduler::netpoll_dispatch{nullptr};
constinit std::atomic<int> scheduler::sigquit_pending_{0};

GOCSP_DECL scheduler& scheduler::make() {
    static scheduler* s = new scheduler();
    instance_.store(s, std::memory_order_release);
    return *s;
}
#endif

GOCSP_DECL g* thread_g() {
    auto& rec = tls.thread_record;
    if (!rec) {
        rec = std::make_unique<g>();
        rec->thread = true;
        rec->status.store(g_status::running, std::memory_order_relaxed);
        const long tid = static_cast<long>(::syscall(SYS_gettid));
        rec->tid = tid;
        rec->id = ::getpid() == tid ? 1 : scheduler::get().next_id();
        scheduler::get().register_thread(rec.get());
    }
    return rec.get();
}

GOCSP_DECL thread_state::~thread_state() {
    if (thread_record) scheduler::get().unregister_thread(thread_record.get());
}

GOCSP_DECL g* current_g() {
    if (worker* w = current_worker()) return w->current;
    return thread_g();
}

GOCSP_DECL worker* current_worker_or_bind() {
    if (worker* w = current_worker()) return w;
    if (GOCSP_LIKELY(tls.main_checked)) return nullptr;
    tls.main_checked = true;
    if (::getpid() != static_cast<pid_t>(::syscall(SYS_gettid))) return nullptr;
    return scheduler::get().bind_main();
}

// usable_cpus: the CPUs the process may run on when the runtime starts - its affinity mask
// (taskset, a container's cpuset), as Go's runtime.NumCPU - or the machine's if that cannot
// be read. The default number of workers.
inline int usable_cpus() noexcept {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

GOCSP_DECL scheduler::scheduler() {
    claim_process_runtime();  // one runtime per process (runtime_id.hpp), before any thread starts
    settings& cfg = config();
    int n = cfg.maxprocs.load();
    if (n <= 0) {
        if (const char* env = std::getenv("GOCSP_MAXPROCS")) n = std::atoi(env);
    }
    ncpu_ = usable_cpus();
    if (n <= 0) n = ncpu_;
    nworkers_ = n;
    cfg.maxprocs.store(n);
    nspares_ = std::min(2 * n, 256);
    if (const char* env = std::getenv("GOCSP_SPARES")) nspares_ = std::clamp(std::atoi(env), 0, 256);
    nall_ = n + 1 + nspares_;
    default_stack_ = round_up(std::max(cfg.stack_size.load(), min_stack_size), page_size());
    if (const char* env = std::getenv("GOCSP_DEADLOCK")) deadlock_check_ = std::strcmp(env, "0") != 0;
    coarse_now_.store(nanotime(), std::memory_order_relaxed);
    default_pool_ = &pool_for(default_stack_);

    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    evfd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epfd_ < 0 || evfd_ < 0) fatal("gocsp: cannot create the poller (epoll/eventfd)");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev);

    idle_list_.reserve(static_cast<std::size_t>(n));
    workers_ = new worker[static_cast<std::size_t>(nall_)];  // + m0 + the spares
    m0_ = &workers_[n];
    timers_.init(n + 1);  // [n]: m0's, the spares' and plain threads'
    for (int i = 0; i < nall_; ++i) {
        workers_[i].index = i;
        workers_[i].heap = std::min(i, n);
        workers_[i].spare = i > n;
        workers_[i].spare_parked.store(i > n, std::memory_order_relaxed);
    }
    std::atexit(&scheduler::on_exit);
    install_overflow_handler();
    install_sigquit_handler();
    cfg.started.store(true, std::memory_order_release);
    for (int i = 0; i < n; ++i) {
        worker* w = &workers_[i];
        w->busy.store(true);
        std::thread([this, w] { worker_main(w); }).detach();
    }
    std::thread([this] { sysmon_main(); }).detach();
}

// --- goroutine life -----------------------------------------------------------------------

GOCSP_DECL g* scheduler::new_g(std::size_t stack_size, std::size_t closure_size, std::size_t closure_align,
                           const source_location& loc) {
    if (stack_size > max_stack_size)
        throw std::length_error("gocsp::go: stack size of " + std::to_string(stack_size) +
                                " bytes exceeds the limit of 1 GiB");
    worker* w = current_worker_or_bind();
    void* slot;
    if (w) {
        slot = w->gslots.get(gslot_pool_);
        if (void* const* next = w->gslots.peek()) {  // the next spawn's record: fetch it now
            __builtin_prefetch(*next, 1);
            __builtin_prefetch(static_cast<char*>(*next) + 64, 1);
        }
    } else {
        gslot_pool_.take(&slot, 1);
    }
    // Slots hold a constructed g from their first carving on (g_slot_pool): reset, never
    // reconstruct, so a concurrent dump reading `status` sees only atomic writes.
    g* gp = static_cast<g*>(slot);
    gp->ctx = context{};
    gp->reason.store(wait_reason::none, std::memory_order_relaxed);
    gp->wait_since.store(0, std::memory_order_relaxed);
    gp->run = nullptr;
    gp->closure_heap_align = 0;
    gp->stk = stack{};
    constexpr std::size_t inline_room = g_slot_size - round_up(sizeof(g), 16);
    if (closure_size <= inline_room && closure_align <= 16) {
        gp->closure = static_cast<char*>(slot) + round_up(sizeof(g), 16);
    } else {
        std::size_t align = std::max<std::size_t>(closure_align, 16);
        gp->closure = ::operator new(closure_size, std::align_val_t{align}, std::nothrow);
        if (!gp->closure) {
            free_slot(w, gp);
            throw std::bad_alloc();
        }
        gp->closure_heap_align = static_cast<std::uint32_t>(align);
    }
    gp->pool = default_pool_;
    if (stack_size != 0 && round_up(std::max(stack_size, min_stack_size), page_size()) != default_stack_)
        gp->pool = &pool_for(std::max(stack_size, min_stack_size));
    gp->created_at = loc;
    if (w) {
        if (w->id_next == w->id_end) {
            constexpr std::uint64_t id_batch = 64;
            w->id_next = next_id_.fetch_add(id_batch, std::memory_order_relaxed);
            w->id_end = w->id_next + id_batch;
        }
        gp->id = w->id_next++;
    } else {
        gp->id = next_id();
    }
    return gp;
}

// free_slot: gives back what new_g took, except the stack. (w: the current worker or nullptr)
GOCSP_DECL void scheduler::free_slot(worker* w, g* gp) noexcept {
    if (gp->closure_heap_align) ::operator delete(gp->closure, std::align_val_t{gp->closure_heap_align});
    gp->status.store(g_status::dead, std::memory_order_release);
    void* slot = gp;
    if (w) w->gslots.put(gslot_pool_, slot);
    else gslot_pool_.give(&slot, 1);
}

GOCSP_DECL void scheduler::free_new_g(g* gp) noexcept { free_slot(current_worker(), gp); }

// attach_stack: gives a goroutine about to run for the first time its stack.
GOCSP_DECL void scheduler::attach_stack(worker* w, g* gp) noexcept {
    stack stk;
    if (gp->pool == default_pool_) stk = w->stacks.get(*gp->pool);
    else gp->pool->take(&stk, 1);
    stack_in_use(stk);
    gp->stk = stk;
    context_init_fiber(gp->ctx, stk.bottom, stk.size, stk.top(), &scheduler::trampoline);
}

// Per-worker counters keep a spawn/exit pair on different workers from sharing a cache line.
inline void add_live(std::atomic<std::int64_t>& counter, std::int64_t delta) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

GOCSP_DECL void scheduler::start(g* gp) noexcept {
    gp->status.store(g_status::runnable, std::memory_order_release);  // publishes gp to dumps
    if (worker* w = current_worker_or_bind()) {
        add_live(w->live_delta, 1);
        put_next(w, gp);
        ++w->spawn_streak;
        // m0 first: main_g_ is written on the main thread (bind_main), which is m0, so only m0 reads it.
        if (GOCSP_UNLIKELY(w == m0_) && w->current == main_g_) return main_spawned(w);  // main
        // A goroutine that keeps spawning without ever blocking is moved out of the way after a
        // queue's worth of spawns, once its worker's queue is at least half full (the one
        // preemption point of gocsp): the worker then runs the queue, the spawner resumes from
        // the global queue. This bounds the goroutines waiting to start, as Go's time slices do.
        // A goroutine that spawns a few and then waits (a tree, a fan-out) is never preempted:
        // moving it would turn a depth-first run into a breadth-first one that keeps every
        // goroutine alive at once.
        if (GOCSP_UNLIKELY(w->spawn_streak >= local_runq::capacity) && w->current != &w->g0 &&
            w->firing_timers == 0 && w->runq.ring_size() >= local_runq::capacity / 2)
            preempt(w);
    } else {
        live_.fetch_add(1, std::memory_order_relaxed);
        global_.push(gp);
        wakep();
    }
}

GOCSP_DECL void scheduler::trampoline(transfer_t t) noexcept {
    context_enter();
    after_switch(t);
    g* gp = current_worker()->current;
    try {
        gp->run(gp);
    } catch (const std::exception& e) {
        panic_exit(gp, e.what());
    } catch (...) {
        panic_exit(gp, "a C++ exception of unknown type");
    }
    get().goexit(gp);
}

GOCSP_DECL void scheduler::panic_exit(g* gp, const char* what) noexcept {
    begin_dying();
    std::fflush(stdout);
    std::fprintf(stderr, "panic: %s\n\ngoroutine %llu [running]:\n", what,
                 static_cast<unsigned long long>(gp->id));
    if (!gp->thread)
        std::fprintf(stderr, "created by %s\n\t%s:%u\n", gp->created_at.function, gp->created_at.file,
                     gp->created_at.line);
    std::fflush(stderr);
    std::_Exit(2);
}

GOCSP_DECL void scheduler::goexit(g* gp) noexcept {
    gp->status.store(g_status::dead, std::memory_order_relaxed);
    worker* w = current_worker();
    add_live(w->live_delta, -1);
    g* next = pick_local(w);
    switch_to(w, gp, next ? next : &w->g0, &scheduler::release_dead, gp, true);
    __builtin_unreachable();
}

GOCSP_DECL void scheduler::release_dead(void* arg) noexcept {
    g* gp = static_cast<g*>(arg);
    scheduler& self = get();
    worker* w = current_worker();
    context_release(gp->ctx);
    stack_free(gp->stk);
    if (gp->pool == self.default_pool_) w->stacks.put(*gp->pool, gp->stk);
    else gp->pool->give(&gp->stk, 1);
    self.free_slot(w, gp);
}

// --- switching ----------------------------------------------------------------------------

GOCSP_DECL void scheduler::switch_to(worker* w, g* from, g* to, void (*fn)(void*), void* arg,
                                 bool from_dies) noexcept {
    if (GOCSP_UNLIKELY(to->stk.bottom == nullptr)) attach_stack(w, to);
    w->spawn_streak = 0;
    w->post_fn = fn;
    w->post_arg = arg;
    w->switched_from = from;
    w->current = to;
    if (to != &w->g0) to->status.store(g_status::running, std::memory_order_relaxed);
    transfer_t t = context_jump(from->ctx, to->ctx, nullptr, from_dies);
    after_switch(t);
}

GOCSP_DECL void scheduler::after_switch(transfer_t t) noexcept {
    worker* w = current_worker();
    w->switched_from->ctx.fctx = t.fctx;
    if (void (*fn)(void*) = w->post_fn) {
        w->post_fn = nullptr;
        fn(w->post_arg);
    }
    // Due timers fire at every switch, as Go checks its timers at every schedule: the one
    // point where this worker holds no lock (a parking goroutine's lock was released by fn
    // just now). The goroutines they wake run next.
    scheduler& self = get();
    if (GOCSP_UNLIKELY(self.timers_[w->heap].next_when() != never)) self.run_due_timers(&self.timers_[w->heap]);
}

GOCSP_DECL void scheduler::requeue(void* arg) noexcept {
    scheduler& self = get();
    g* gp = static_cast<g*>(arg);
    if (GOCSP_UNLIKELY(gp->pinned)) return self.requeue_pinned(gp);
    current_worker()->runq.put(gp, self.global_);
}

// --- park / ready / yield -----------------------------------------------------------------

GOCSP_DECL void scheduler::park(wait_reason reason, void (*after)(void*), void* arg) noexcept {
    worker* w = current_worker_or_bind();
    if (!w) {
        g* gp = thread_g();
        gp->reason.store(reason, std::memory_order_relaxed);
        gp->wait_since.store(coarse_now(), std::memory_order_relaxed);
        gp->status.store(g_status::waiting, std::memory_order_release);
        if (after) after(arg);
        if (npidle_.load(std::memory_order_seq_cst) == nworkers_) poke_sysmon();  // a deadlock?
        thread_wait(gp);
        gp->status.store(g_status::running, std::memory_order_relaxed);
        gp->reason.store(wait_reason::none, std::memory_order_relaxed);
        return;
    }
    g* gp = w->current;
    if (GOCSP_UNLIKELY(gp == &w->g0)) fatal("gocsp: internal error: park on a scheduler stack");
    gp->reason.store(reason, std::memory_order_relaxed);
    gp->wait_since.store(coarse_now(), std::memory_order_relaxed);
    gp->status.store(g_status::waiting, std::memory_order_relaxed);
    g* next = pick_local(w, false);
    switch_to(w, gp, next ? next : &w->g0, after, arg);
    gp->reason.store(wait_reason::none, std::memory_order_relaxed);
}

// thread_wait: a plain thread waits for its ready(). It spins first (for up to thread_spin_ns)
// when a core is free - fewer busy workers and spinning threads than cores - since a
// goroutine's answer often comes within microseconds; with every core taken, spinning would
// only slow the goroutines it waits for, so it sleeps at once.
GOCSP_DECL void scheduler::thread_wait(g* gp) noexcept {
    const int busy = nworkers_ - npidle_.load(std::memory_order_relaxed);
    if (busy + thread_spinners_.load(std::memory_order_relaxed) >= ncpu_) {
        gp->event.wait();
        return;
    }
    thread_spinners_.fetch_add(1, std::memory_order_relaxed);
    gp->event.wait(thread_spin_ns);
    thread_spinners_.fetch_sub(1, std::memory_order_relaxed);
}

GOCSP_DECL void scheduler::ready(g* gp, bool as_next) noexcept {
    g_status expected = g_status::waiting;
    if (GOCSP_UNLIKELY(!gp->status.compare_exchange_strong(expected, g_status::runnable,
                                                            std::memory_order_acq_rel))) {
        char msg[128];
        std::snprintf(msg, sizeof msg, "gocsp: internal error: ready of goroutine %llu in state %s",
                      static_cast<unsigned long long>(gp->id), to_string(expected));
        fatal(msg);
    }
    if (gp->thread) {
        if (gp->pinned) ready_pinned(gp);
        else gp->event.notify();
        return;
    }
    if (worker* w = current_worker()) {
        if (as_next) {
            put_next(w, gp);
        } else {
            w->runq.put(gp, global_);
            wakep(false);
        }
    } else {
        global_.push(gp);
        wakep();
    }
}

// put_next: gp runs after the current goroutine. Only a displaced older `next` counts as new
// work for others (see sysmon for the case where the current goroutine then runs on and on).
GOCSP_DECL void scheduler::put_next(worker* w, g* gp) noexcept {
    if (g* old = w->runq.next.exchange(gp, std::memory_order_acq_rel)) {
        w->runq.put(old, global_);
        wakep(false);
    }
}

// preempt: the running goroutine goes to the back of the global queue; this worker runs others.
GOCSP_DECL void scheduler::preempt(worker* w) noexcept {
    g* gp = w->current;
    g* next = pick_local(w);
    if (!next) return;
    gp->status.store(g_status::runnable, std::memory_order_relaxed);
    switch_to(w, gp, next, &scheduler::requeue_global, gp);
}

GOCSP_DECL void scheduler::requeue_global(void* arg) noexcept {
    scheduler& self = get();
    g* gp = static_cast<g*>(arg);
    if (GOCSP_UNLIKELY(gp->pinned)) return self.requeue_pinned(gp);
    self.global_.push(gp);
    self.wakep();
}

GOCSP_DECL void scheduler::yield() noexcept {
    worker* w = current_worker();
    if (!w) {
        std::this_thread::yield();
        return;
    }
    g* gp = w->current;
    g* next = pick_local(w);
    if (!next && w != m0_ && !global_.empty()) next = take_global(w, 1);
    if (!next) {  // nothing else to run here
        if (gp->pinned) std::this_thread::yield();
        return;
    }
    gp->status.store(g_status::runnable, std::memory_order_relaxed);
    switch_to(w, gp, next, &scheduler::requeue, gp);
}

// --- finding work -------------------------------------------------------------------------

// pick_local: the next goroutine of this worker's own queues (cheap; no stealing). Every 61st
// schedule, the global queue goes first and due timers fire (runtime rule 15) - unless the
// caller is parking: it may hold a primitive's lock, and a timer's callback may take another
// (a timer channel's), against the lock order.
GOCSP_DECL g* scheduler::pick_local(worker* w, bool fire_timers) noexcept {
    if (GOCSP_UNLIKELY(w->spare) && spare_released(w)) return nullptr;  // to g0, to stand down
    if (GOCSP_UNLIKELY(w->pinned.load(std::memory_order_relaxed) != nullptr)) {  // m0: main is ready
        if (w->pinned_defer == 0 || w->runq.empty()) {
            w->pinned_defer = 0;
            ++w->schedtick;
            w->public_tick.store(w->schedtick, std::memory_order_relaxed);
            return w->pinned.exchange(nullptr, std::memory_order_acquire);
        }
        --w->pinned_defer;
    }
    if (GOCSP_UNLIKELY(exiting_.load(std::memory_order_relaxed))) return nullptr;  // g0 halts
    ++w->schedtick;
    w->public_tick.store(w->schedtick, std::memory_order_relaxed);
    if (w->schedtick % 61 == 0) {
        if (fire_timers) run_due_timers();
        if (w != m0_ && !global_.empty())
            if (g* gp = take_global(w, 1)) return gp;
    }
    if (w->next_streak < max_next_streak) {
        if (w->runq.next.load(std::memory_order_relaxed) != nullptr) {
            if (g* gp = w->runq.next.exchange(nullptr, std::memory_order_acq_rel)) {
                ++w->next_streak;
                return gp;
            }
        }
    } else if (g* gp = w->runq.next.exchange(nullptr, std::memory_order_acq_rel)) {
        // The streak is over: `next` goes behind the whole queue, as a goroutine whose time slice
        // ends in Go. Taking one from the queue and then going on with the streak would let two
        // goroutines that ready each other (a ping-pong, a producer and its relay) run 64 times
        // for every one of the others they wake (runtime rule 13). What waits in the global
        // queue (goroutines a full queue overflowed there) goes before it too, a fair share of
        // it: a worker whose own queue never empties would otherwise take it one every 61st
        // schedule. (Go puts the goroutine whose slice ended on the global queue itself.)
        g* first = w != m0_ && !global_.empty() ? take_global(w, local_runq::capacity / 2) : nullptr;
        w->runq.put(gp, global_);
        if (first) {
            w->next_streak = 0;
            return first;
        }
    }
    w->next_streak = 0;
    if (g* gp = w->runq.get()) return gp;
    return w->runq.next.exchange(nullptr, std::memory_order_acq_rel);
}

// take_global: a fair share of the global queue; returns one, queues the rest locally.
GOCSP_DECL g* scheduler::take_global(worker* w, std::uint32_t max) noexcept {
    std::uint32_t n = global_.size() / static_cast<std::uint32_t>(nworkers_) + 1;
    n = std::min({n, max, local_runq::capacity / 2});
    g* batch[local_runq::capacity / 2];
    std::uint32_t got = global_.pop_batch(batch, n);
    if (got == 0) return nullptr;
    for (std::uint32_t i = 1; i < got; ++i) w->runq.put(batch[i], global_);
    return batch[0];
}

GOCSP_DECL void scheduler::run_due_timers(timer_heap* only) noexcept {
    std::int64_t when = only ? only->next_when() : timers_.next_when();
    if (when == never) return;
    std::int64_t now = nanotime();
    if (when > now) return;
    // A callback that starts goroutines (after_func) must not preempt the caller here.
    worker* w = current_worker();
    if (w) ++w->firing_timers;
    if (only) only->run_expired(now);
    else timers_.run_expired(now);
    if (w) --w->firing_timers;
}

GOCSP_DECL g* scheduler::steal(worker* w) noexcept {
    // m0 is a victim too, and so are the spares while any is awake (a parked one has nothing).
    const int n = spares_awake_.load(std::memory_order_relaxed) > 0 ? nall_ : nworkers_ + 1;
    GOCSP_ASSERT(w->runq.ring_empty());  // steal_into fills an empty ring
    for (int round = 0; round < 4; ++round) {
        const bool last = round == 3;
        const int start = static_cast<int>(w->next_random() % static_cast<std::uint32_t>(n));
        for (int i = 0; i < n; ++i) {
            worker* v = &workers_[(start + i) % n];
            if (v == w) continue;
            if (g* gp = v->runq.steal_into(w->runq)) return gp;
            if (last && v->runq.next.load(std::memory_order_relaxed)) {
                // The owner is probably about to run it; give it a moment (runtime rule 16).
                if (v->busy.load(std::memory_order_relaxed)) ::usleep(3);
                if (g* gp = v->runq.next.exchange(nullptr, std::memory_order_acq_rel)) return gp;
            }
        }
        if (!global_.empty())
            if (g* gp = take_global(w, local_runq::capacity / 2)) return gp;
    }
    return nullptr;
}

GOCSP_DECL bool scheduler::any_queued() const noexcept {
    if (!global_.empty()) return true;
    // Rings only: a `next` slot belongs to its owner (sysmon rescues it if the owner stalls).
    const int n = spares_awake_.load(std::memory_order_seq_cst) > 0 ? nall_ : nworkers_ + 1;
    for (int i = 0; i < n; ++i)
        if (!workers_[i].runq.ring_empty()) return true;
    return false;
}

GOCSP_DECL g* scheduler::find_runnable(worker* w) noexcept {
    for (;;) {
        if (exiting_.load(std::memory_order_relaxed)) halt(w);
        // A spare stands down once the call it stands in for ends, or a P is idle: that P can
        // take what it has queued.
        if (GOCSP_UNLIKELY(w->spare) && spare_released(w)) {
            spare_idle(w, true);
            continue;
        }
        run_due_timers();
        if (g* gp = pick_local(w)) {
            if (w->spinning) stop_spinning(w);
            return gp;
        }
        if (g* gp = take_global(w, local_runq::capacity / 2)) {
            if (w->spinning) stop_spinning(w);
            return gp;
        }
        if (netpoll_waiters_.load(std::memory_order_relaxed) > 0 && !poller_active_.load(std::memory_order_relaxed)) {
            last_netpoll_.store(nanotime(), std::memory_order_relaxed);
            if (netpoll(0) > 0) continue;
        }
        if (GOCSP_UNLIKELY(w->spare)) {  // outside the spinning protocol: steal, or sleep
            // Its queue holds work only if pick_local declined it (released meanwhile): go round
            // and stand down with it. steal_into needs an empty queue.
            if (!w->runq.empty()) continue;
            if (g* gp = steal(w)) return gp;
            spare_idle(w, false);
            continue;
        }
        const int busy = nworkers_ - npidle_.load(std::memory_order_relaxed);
        if (w->spinning || 2 * nspinning_.load(std::memory_order_relaxed) < busy) {
            if (!w->spinning) {
                w->spinning = true;
                nspinning_.fetch_add(1, std::memory_order_seq_cst);
            }
            if (g* gp = steal(w)) {
                stop_spinning(w);
                return gp;
            }
        }
        // Nothing to run: before going idle, give the memory of one step's worth of surplus free
        // stacks back (one worker at a time; stack_pool::trim_step). The worker stays off the
        // idle list meanwhile, so no wake-up waits for it, and go_idle looks for work again
        // before it sleeps - for trim_pause_ns at most while surplus remains, which bounds the
        // share of a core that giving memory back takes, as Go's background scavenger does.
        trim_step(w);
        go_idle(w);
    }
}

// trim_step: one step of giving surplus free stacks back to the kernel; false if there was
// nothing to do (or another worker is at it).
// A spinning worker stops spinning first, so that work submitted meanwhile wakes an idle worker
// rather than waiting for this one.
GOCSP_DECL bool scheduler::trim_step(worker* w) noexcept {
    if (!default_pool_->needs_trim()) return false;
    if (w->spinning) {
        w->spinning = false;
        nspinning_.fetch_sub(1, std::memory_order_seq_cst);
        full_fence();
        if (any_queued()) return false;  // submitted while we spun: go_idle finds it
    }
    return default_pool_->trim_step();
}

// stop_spinning: the worker found work. If it was the last searcher, another one is woken to
// look for more (runtime rule 17).
GOCSP_DECL void scheduler::stop_spinning(worker* w) noexcept {
    w->spinning = false;
    if (nspinning_.fetch_sub(1, std::memory_order_seq_cst) == 1) wakep();
}

// --- idling and waking --------------------------------------------------------------------

// wakep: work was submitted; make sure somebody looks for it. Wakes one idle worker, and only
// if no worker is already searching.
// fence: false only for work queued on the caller's own worker, which runs it itself if nobody
// else does (and sysmon hands it over if the caller's goroutine runs on without scheduling);
// work on the global queue needs the full handshake.
GOCSP_DECL void scheduler::wakep(bool fence) noexcept {
    if (fence) full_fence();
    if (npidle_.load(std::memory_order_seq_cst) == 0) return;
    if (nspinning_.load(std::memory_order_seq_cst) != 0) return;
    int expected = 0;
    if (!nspinning_.compare_exchange_strong(expected, 1, std::memory_order_seq_cst)) return;
    wake_idle(true);
}

// wake_idle: takes one worker off the idle list (a sleeping one before the poller) and wakes
// it. as_spinning: the caller already counted it in nspinning (undone if nobody was idle).
GOCSP_DECL void scheduler::wake_idle(bool as_spinning) noexcept {
    worker* v = nullptr;
    {
        std::lock_guard<spinlock> hold(idle_lock_);
        for (auto it = idle_list_.rbegin(); it != idle_list_.rend(); ++it) {
            if (!(*it)->polling.load(std::memory_order_relaxed) || v == nullptr) {
                v = *it;
                if (!v->polling.load(std::memory_order_relaxed)) break;
            }
        }
        if (v) {
            idle_list_.erase(std::find(idle_list_.begin(), idle_list_.end(), v));
            v->idle = false;
            npidle_.fetch_sub(1, std::memory_order_seq_cst);
            v->wake_spinning.store(as_spinning, std::memory_order_relaxed);
            v->wake.store(1, std::memory_order_seq_cst);
        }
    }
    if (!v) {
        if (as_spinning) nspinning_.fetch_sub(1, std::memory_order_seq_cst);
        return;
    }
    notify(v);
}

GOCSP_DECL void scheduler::notify(worker* v) noexcept {
    if (sysmon_sleeping_.load(std::memory_order_seq_cst)) {
        sysmon_word_.store(1, std::memory_order_release);
        futex_wake(sysmon_word_);
    }
    if (v->polling.load(std::memory_order_seq_cst)) signal_poller();
    futex_wake(v->wake);
}

// unidle: w takes itself off the idle list; false if a waker already did (then a wake is owed).
GOCSP_DECL bool scheduler::unidle(worker* w) noexcept {
    std::lock_guard<spinlock> hold(idle_lock_);
    if (!w->idle) return false;
    idle_list_.erase(std::find(idle_list_.begin(), idle_list_.end(), w));
    w->idle = false;
    npidle_.fetch_sub(1, std::memory_order_seq_cst);
    if (sysmon_sleeping_.load(std::memory_order_seq_cst)) {
        sysmon_word_.store(1, std::memory_order_release);
        futex_wake(sysmon_word_);
    }
    return true;
}

GOCSP_DECL void scheduler::wait_wake(worker* w) noexcept {
    while (w->wake.load(std::memory_order_acquire) == 0) futex_wait(w->wake, 0);
    w->wake.store(0, std::memory_order_relaxed);
    if (w->wake_spinning.load(std::memory_order_relaxed)) w->spinning = true;
}

// go_idle: nothing to run was found. Publish this worker as idle, recheck, then sleep - as the
// poller (epoll, bounded by the next timer) if timers are pending and nobody polls, else on
// the futex (for trim_pause_ns at most while free stacks remain to give back). Returns when
// there may be work.
GOCSP_DECL void scheduler::go_idle(worker* w) noexcept {
    {
        std::lock_guard<spinlock> hold(idle_lock_);
        w->idle = true;
        idle_list_.push_back(w);
        npidle_.fetch_add(1, std::memory_order_seq_cst);
    }
    w->busy.store(false, std::memory_order_relaxed);
    if (w->spinning) {
        w->spinning = false;
        nspinning_.fetch_sub(1, std::memory_order_seq_cst);
    }
    full_fence();
    if (any_queued()) {
        if (unidle(w)) {
            w->busy.store(true, std::memory_order_relaxed);
            return;
        }
    } else if (!poll(w) && w->wake.load(std::memory_order_acquire) == 0) {
        futex_wait(w->wake, 0, default_pool_->needs_trim() ? trim_pause_ns : -1);
    }
    if (w->wake.load(std::memory_order_acquire) != 0 || !unidle(w)) wait_wake(w);
    w->busy.store(true, std::memory_order_relaxed);
}

// spare_idle: a spare stands down. Whatever its queue holds goes to the global queue first
// (and a P is woken for it), so a parked spare's queue is always empty. hand_over: it was
// released. It sleeps until sysmon wakes it, unless it found nothing (not released), work is
// queued and no P is idle when it looks again: then it takes itself back (see "Spare workers").
GOCSP_DECL void scheduler::spare_idle(worker* w, bool hand_over) noexcept {
    bool moved = false;
    while (g* gp = w->runq.get()) {
        global_.push(gp);
        moved = true;
    }
    if (g* gp = w->runq.next.exchange(nullptr, std::memory_order_acq_rel)) {
        global_.push(gp);
        moved = true;
    }
    if (moved) wakep();
    GOCSP_ASSERT(w->runq.empty());  // only w fills its queue: it stays empty while w is parked
    w->busy.store(false, std::memory_order_relaxed);
    w->spare_parked.store(true, std::memory_order_seq_cst);
    spares_awake_.fetch_sub(1, std::memory_order_seq_cst);  // its queue is empty now
    full_fence();
    if (!hand_over && npidle_.load(std::memory_order_seq_cst) == 0 && any_queued() &&
        w->spare_parked.exchange(false, std::memory_order_seq_cst)) {
        spares_awake_.fetch_add(1, std::memory_order_seq_cst);
        w->covering = nullptr;  // on its own account: until it finds nothing or a P is idle
        w->busy.store(true, std::memory_order_relaxed);
        return;
    }
    while (w->wake.load(std::memory_order_acquire) == 0) {
        if (exiting_.load(std::memory_order_relaxed)) halt(w);
        futex_wait(w->wake, 0);
    }
    w->wake.store(0, std::memory_order_relaxed);
    w->busy.store(true, std::memory_order_relaxed);
}

// spare_released: whether spare w should stand down: the call it stands in for has ended (its
// worker runs goroutines again, so w would make one thread too many), or a P is idle.
GOCSP_DECL bool scheduler::spare_released(worker* w) const noexcept {
    if (npidle_.load(std::memory_order_relaxed) > 0) return true;
    return w->covering && w->covering->syscall_seq.load(std::memory_order_relaxed) != w->covering_seq;
}

// wake_spare: sysmon's; wakes a parked spare (starting its thread on first use) to stand in for
// `stuck`, in its call number seq. false if every spare is at work.
GOCSP_DECL bool scheduler::wake_spare(worker* stuck, std::uint32_t seq) noexcept {
    for (int i = nworkers_ + 1; i < nall_; ++i) {
        worker* v = &workers_[i];
        if (!v->spare_parked.load(std::memory_order_relaxed)) continue;
        if (!v->spare_parked.exchange(false, std::memory_order_seq_cst)) continue;
        GOCSP_ASSERT(v->runq.empty());
        spares_awake_.fetch_add(1, std::memory_order_seq_cst);
        v->covering = stuck;  // published to v by the wake below (or its thread's start)
        v->covering_seq = seq;
        v->busy.store(true, std::memory_order_relaxed);
        if (!v->spare_started) {
            v->spare_started = true;
            std::thread([this, v] { worker_main(v); }).detach();
            return true;
        }
        v->wake.store(1, std::memory_order_seq_cst);
        futex_wake(v->wake);
        return true;
    }
    return false;
}

// add_timer: t may fire (and its owner run on and reuse t's memory) the moment it is in the
// heap, so nothing of t is read after that.
GOCSP_DECL void scheduler::add_timer(timer* t) noexcept {
    const std::int64_t when = t->when;
    worker* w = current_worker();
    timers_.add(t, w ? w->heap : nworkers_);
    full_fence();
    if (when < poll_until_.load(std::memory_order_seq_cst)) {
        if (poller_active_.load(std::memory_order_seq_cst)) signal_poller();
        else if (npidle_.load(std::memory_order_seq_cst) > 0) wake_idle(false);
    }
}

// --- threads ------------------------------------------------------------------------------

GOCSP_DECL void scheduler::worker_main(worker* w) {
    tls.w = w;
    enter_runtime_thread("gocsp-worker");
    w->tid.store(static_cast<long>(::syscall(SYS_gettid)));
    w->g0.id = 0;
    w->current = &w->g0;
    w->g0.stk = thread_stack();  // not empty: g0 never gets a goroutine stack
    context_init_thread(w->g0.ctx, w->g0.stk.bottom, w->g0.stk.size);
    install_altstack();
    for (;;) {
        g* gp = find_runnable(w);
        switch_to(w, &w->g0, gp, nullptr, nullptr);
    }
}

// --- the end -------------------------------------------------------------------------------

GOCSP_DECL void scheduler::halt(worker* w) noexcept {
    if (w) w->halted.store(true, std::memory_order_release);
    std::atomic<std::uint32_t> forever{0};
    for (;;) futex_wait(forever, 0);
}

// on_exit: main returned (or exit was called). Goroutines are abandoned, as in Go: workers stop
// taking goroutines and halt. It waits (a little) for the goroutines running at that moment to
// block or finish, so that none runs while exit destroys static objects; a goroutine that
// computes on without blocking is left running.
GOCSP_DECL void scheduler::on_exit() noexcept {
    scheduler& self = get();
    self.exiting_.store(true, std::memory_order_seq_cst);
    worker* me = current_worker();
    for (int tries = 0; tries < 200; ++tries) {
        bool quiet = true;
        for (int i = 0; i < self.nall_; ++i) {
            worker* w = &self.workers_[i];
            if (w == self.m0_) continue;
            if (w != me && !w->halted.load(std::memory_order_acquire) && w->busy.load(std::memory_order_acquire))
                quiet = false;
        }
        if (quiet) return;
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
}

#endif  // GOCSP_DEFINE_RUNTIME

// =============================================================================================
// Spawning
// =============================================================================================

template <class Closure>
void run_closure(g* gp) {
    auto* c = static_cast<Closure*>(gp->closure);
    std::apply([](auto& f, auto&... args) { std::invoke(std::move(f), std::move(args)...); }, *c);
    c->~Closure();
}

/// spawn: the body of gocsp::go. Copies (or moves) f and args into the new goroutine's stack
/// now, in the caller, like std::thread; the goroutine later invokes them as rvalues.
template <class F, class... Args>
void spawn(std::size_t stack_size, const source_location& loc, F&& f, Args&&... args) {
    using closure = std::tuple<std::decay_t<F>, std::decay_t<Args>...>;
    static_assert(std::is_invocable_v<std::decay_t<F>, std::decay_t<Args>...>,
                  "gocsp::go: f must be callable with the (decayed) arguments given");
    scheduler& s = scheduler::get();
    g* gp = s.new_g(stack_size, sizeof(closure), alignof(closure), loc);
    try {
        ::new (gp->closure) closure(std::forward<F>(f), std::forward<Args>(args)...);
    } catch (...) {
        s.free_new_g(gp);
        throw;
    }
    gp->run = &run_closure<closure>;
    s.start(gp);
}

}  // namespace gocsp::detail

// The scheduler's other concerns, one header each (they define members declared above).
#include "main_worker.hpp"
#include "poller.hpp"
#include "signals.hpp"
#include "sysmon.hpp"
#include "checkdead.hpp"
#include "traceback.hpp"
