// gocsp/detail/blocking_pool.hpp - helper threads that run blocking calls for goroutines
// (runtime rule 19: a call that blocks must not stall a worker).
//
// A goroutine that calls gocsp::blocking(f) describes the call in a blocking_call on its own
// stack and parks (wait reason "blocking call"); the after-switch step of the park submits the
// call, so no helper can finish it and ready() the goroutine before it is off its stack. A
// helper thread runs the call, then readies the goroutine; it does not touch the call after that.
//
// Threads: one per call in flight, started on demand up to max_threads; beyond that calls
// queue (FIFO) for the next free helper. A helper idle for idle_timeout_ns exits.
//
// Invariants (under lock_):
//   - A helper is on the idle list iff it waits for work with h->task == nullptr; taking it
//     off the list and setting h->task happen together, then its event is notified.
//   - queue_ is non-empty only while no helper is idle.
//   - threads_ counts helpers alive (running a call, idle, or being started).
// Lock order: lock_ is a leaf; nothing is readied or started under it (an idle helper's event
// is notified under it, so the helper cannot exit in between).
#pragma once

#include <cstdint>
#include <mutex>
#include <pthread.h>
#include <thread>

#include "futex.hpp"
#include "g.hpp"
#include "scheduler.hpp"
#include "spinlock.hpp"

namespace gocsp::detail {

/// blocking_call: one call to run on a helper thread. Lives on the caller's stack.
struct blocking_call {
    void (*run)(blocking_call*) noexcept = nullptr;  // runs the function, keeps result/exception
    g* gp = nullptr;                                 // the parked caller
    blocking_call* next = nullptr;                   // queue link (under the pool's lock)
};

class GOCSP_API blocking_pool {
public:
    static constexpr int max_threads = 1024;
    static constexpr std::int64_t idle_timeout_ns = 10'000'000'000;  // 10 s

    /// get: the process's blocking_pool (the runtime's own, with the compiled runtime).
    static blocking_pool& get();

    /// submit: hands c to an idle helper, a new one, or the queue. Runs in a park's after-switch
    /// step, so it must not throw; a failure to start the very first helper is fatal.
    void submit(blocking_call* c) noexcept {
        {
            std::lock_guard<spinlock> hold(lock_);
            in_flight_.fetch_add(1, std::memory_order_relaxed);
            if (helper* h = idle_) {
                unlink_idle(h);
                h->task = c;
                h->ev.notify();  // under lock_: the helper cannot time out and exit meanwhile
                return;
            }
            if (threads_ >= max_threads) {
                enqueue(c);
                return;
            }
            ++threads_;
        }
        try {
            std::thread([this, c] { helper_main(c); }).detach();
        } catch (...) {
            std::lock_guard<spinlock> hold(lock_);
            --threads_;
            if (threads_ == 0) fatal("gocsp: cannot start a thread for a blocking call");
            enqueue(c);  // a running helper takes it when it is done
        }
    }

    /// in_flight: calls submitted and not finished (for tests and diagnostics).
    int in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }
    /// threads: helper threads alive (for tests and diagnostics).
    int threads() const noexcept {
        std::lock_guard<spinlock> hold(lock_);
        return threads_;
    }

private:
    struct helper {
        thread_event ev;             // notified when task is set
        blocking_call* task = nullptr;
        helper* prev = nullptr;      // idle list links
        helper* next = nullptr;
    };

    blocking_pool() = default;

    void enqueue(blocking_call* c) noexcept {
        c->next = nullptr;
        if (tail_) tail_->next = c;
        else head_ = c;
        tail_ = c;
    }
    blocking_call* dequeue() noexcept {
        blocking_call* c = head_;
        if (c) {
            head_ = c->next;
            if (!head_) tail_ = nullptr;
        }
        return c;
    }
    void unlink_idle(helper* h) noexcept {
        if (h->prev) h->prev->next = h->next;
        else idle_ = h->next;
        if (h->next) h->next->prev = h->prev;
        h->prev = h->next = nullptr;
    }

    void helper_main(blocking_call* c) noexcept {
        // The runtime's own: the deadlock check knows an idle helper cannot wake anybody (a
        // busy one always has a goroutine waiting on it, which holds the verdict back).
        scheduler::get().enter_runtime_thread("gocsp-blocking");
        helper self;
        for (;;) {
            g* gp = c->gp;
            c->run(c);
            in_flight_.fetch_sub(1, std::memory_order_relaxed);
            scheduler::get().ready(gp, false);  // c is gone from here on
            {
                std::lock_guard<spinlock> hold(lock_);
                c = dequeue();
                if (!c) {
                    self.next = idle_;
                    self.prev = nullptr;
                    if (idle_) idle_->prev = &self;
                    idle_ = &self;
                }
            }
            while (!c) {
                const bool notified = self.ev.wait_for(idle_timeout_ns);
                std::lock_guard<spinlock> hold(lock_);
                if (self.task) {
                    c = std::exchange(self.task, nullptr);
                } else if (!notified) {
                    unlink_idle(&self);
                    --threads_;
                    scheduler::get().leave_runtime_thread();
                    return;
                }
            }
        }
    }

    mutable spinlock lock_{lock_rank::blocking_pool};  // protects everything below but in_flight_
    helper* idle_ = nullptr;
    blocking_call* head_ = nullptr;
    blocking_call* tail_ = nullptr;
    int threads_ = 0;
    std::atomic<int> in_flight_{0};
};

#if GOCSP_DEFINE_RUNTIME
GOCSP_DECL blocking_pool& blocking_pool::get() {
    static blocking_pool* p = new blocking_pool();  // never destroyed: helpers outlive exit
    return *p;
}
#endif

}  // namespace gocsp::detail
