// gocsp/detail/netpoll.hpp - the network poller: poll descriptors, I/O waits and deadlines.
//
// The model
//   Every fd the runtime polls is registered once, for its whole life, with the scheduler's epoll
//   instance (scheduler::epoll_fd()), edge-triggered, for input and output at once
//   (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET), with data.ptr pointing to its poll_desc. An edge
//   means "the fd's state changed"; the I/O loops (fd.hpp) always try the system call first and
//   wait only after EAGAIN, so a missed level never matters and a spurious wake costs one retry.
//
//   A poll_desc has one slot per direction, read and write. A slot holds
//     nullptr        nothing since the last wait took the readiness,
//     ready_token()  an event came while nobody waited: the next wait returns at once,
//     a g*           that goroutine (or plain thread) is parked on it, in pd_wait.
//   The dispatcher (netpoll_ready, installed as scheduler::netpoll_dispatch) runs on the worker
//   that polls (or on sysmon) with each event: it empties the slots it finds occupied by a g,
//   marks the others ready, unlocks, then readies the goroutines (as_next = false).
//
// Invariants (under poll_desc::lock)
//   - A slot holds at most one waiter: the fd layer lets one reader and one writer at a time
//     reach pd_wait (fd.hpp's op locks). A second waiter is a fatal internal error.
//   - A parked waiter leaves its slot exactly once, taken out by one of: the dispatcher (I/O),
//     its deadline timer, pd_set_deadline (a deadline moved into the past), pd_evict (close).
//     Whoever takes it out readies it, after unlocking (runtime rule 3). The woken waiter reads
//     only `closing` and its deadline to learn why it woke.
//   - closing goes from false to true once per use of a poll_desc; it is reset only when the
//     poll_desc is handed to a new fd.
//   - rd / wd are the read / write deadlines as nanotime() values; 0 means none; at most
//     max_when (clock.hpp saturates one too far ahead). A deadline has expired when it is not 0
//     and nanotime() >= it. rt / wt are pending in the timer heap only while their deadline is
//     set and still in the future.
//   - poll_desc memory is never given back (pd_pool keeps it): an epoll event or a deadline
//     timer may still reach a poll_desc after its fd was closed and the poll_desc was reused.
//     Such a late event can only make a slot ready (a spurious wake: the I/O loop retries and
//     waits again); a late timer finds the new owner's deadline and acts on it correctly, since
//     it decides from the deadline itself, not from the timer.
//
// netpoll_waiting: pd_wait counts itself in scheduler::netpoll_waiting(+1) before it may park,
// and (-1) once it will not park or has woken, so an idle worker polls while anybody waits.
//
// Lock order: fd op locks (fd.hpp) -> poll_desc::lock -> timer heap lock -> scheduler locks.
// The timer heap runs deadline callbacks outside its lock; they take poll_desc::lock. Nothing
// is ever readied under poll_desc::lock, except through park's after-switch unlock.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <sys/epoll.h>

#include "config.hpp"
#include "g.hpp"
#include "scheduler.hpp"
#include "spinlock.hpp"
#include "timer.hpp"

#if GOCSP_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace gocsp::detail {

/// tsan_publish / tsan_received: the kernel hands a poll_desc from epoll_ctl to epoll_wait on
/// another thread; ThreadSanitizer cannot see that, so it is told (no-ops in other builds).
inline void tsan_publish([[maybe_unused]] void* p) noexcept {
#if GOCSP_TSAN
    __tsan_release(p);
#endif
}
inline void tsan_received([[maybe_unused]] void* p) noexcept {
#if GOCSP_TSAN
    __tsan_acquire(p);
#endif
}

/// io_mode: the direction of an I/O wait.
enum class io_mode : std::uint8_t { read, write };

/// wait_result: why pd_wait returned.
enum class wait_result : std::uint8_t {
    ready,    // the fd may be ready: retry the system call
    closed,   // the fd is being closed (pd_evict)
    timeout,  // the direction's deadline has passed
};

/// ready_token: the value of a slot that holds readiness and no waiter.
inline g* ready_token() noexcept { return reinterpret_cast<g*>(std::uintptr_t{1}); }

/// poll_desc: the poller's state of one fd (Go's pollDesc). See the invariants above.
struct GOCSP_API poll_desc {
    spinlock lock{lock_rank::primitive};  // protects everything below but `next_free`
    g* rg = nullptr;                    // read slot: nullptr, ready_token() or a waiter
    g* wg = nullptr;                    // write slot
    std::atomic<bool> closing{false};   // written under lock; read without it by the I/O loops
    std::atomic<std::int64_t> rd{0};    // read deadline (nanotime), 0 = none; written under lock
    std::atomic<std::int64_t> wd{0};    // write deadline
    timer rt;                           // fires at rd
    timer wt;                           // fires at wd
    poll_desc* next_free = nullptr;     // pd_pool's list (under the pool's lock)

    poll_desc() noexcept {
        rt.arg = this;
        wt.arg = this;
        rt.fire = &on_deadline;
        wt.fire = &on_deadline;
    }
    poll_desc(const poll_desc&) = delete;
    poll_desc& operator=(const poll_desc&) = delete;

    g*& slot(io_mode m) noexcept { return m == io_mode::read ? rg : wg; }
    std::atomic<std::int64_t>& deadline(io_mode m) noexcept { return m == io_mode::read ? rd : wd; }
    timer& deadline_timer(io_mode m) noexcept { return m == io_mode::read ? rt : wt; }

    /// expired: whether m's deadline has passed. Safe without the lock.
    bool expired(io_mode m) const noexcept {
        const std::int64_t d = (m == io_mode::read ? rd : wd).load(std::memory_order_acquire);
        return d != 0 && nanotime() >= d;
    }

    /// take_waiter: empties m's slot if a goroutine waits there and returns it (lock held).
    g* take_waiter(io_mode m) noexcept {
        g*& s = slot(m);
        if (s == nullptr || s == ready_token()) return nullptr;
        return std::exchange(s, nullptr);
    }

    static void on_deadline(timer* t, std::int64_t now) noexcept;
};

/// pd_pool: where poll descriptors come from. Memory is carved in chunks and never freed, so a
/// late event or timer always finds a valid poll_desc (see the invariants above).
class GOCSP_API pd_pool {
public:
    /// get: the process's pd_pool (the runtime's own, with the compiled runtime).
    static pd_pool& get();
    poll_desc* take() {
        std::lock_guard<spinlock> hold(lock_);
        if (!free_) {
            constexpr int chunk = 64;
            auto* block = new poll_desc[chunk];  // never deleted
            for (int i = 0; i < chunk; ++i) {
                block[i].next_free = free_;
                free_ = &block[i];
            }
        }
        poll_desc* pd = free_;
        free_ = pd->next_free;
        pd->next_free = nullptr;
        return pd;
    }
    void give(poll_desc* pd) noexcept {
        std::lock_guard<spinlock> hold(lock_);
        pd->next_free = free_;
        free_ = pd;
    }

private:
    spinlock lock_;  // protects free_ and every free poll_desc's next_free
    poll_desc* free_ = nullptr;
};

#if GOCSP_DEFINE_RUNTIME
GOCSP_DECL pd_pool& pd_pool::get() {
    static pd_pool* p = new pd_pool();
    return *p;
}
#endif

GOCSP_DECL void netpoll_ready(void* ptr, std::uint32_t events) noexcept;

// The poll_desc operations (defined below, where each is described).
GOCSP_DECL poll_desc* pd_open(int fd);
GOCSP_DECL void pd_close(poll_desc* pd, int fd) noexcept;
GOCSP_DECL wait_result pd_wait(poll_desc* pd, io_mode m) noexcept;
GOCSP_DECL void pd_evict(poll_desc* pd) noexcept;
GOCSP_DECL void pd_set_deadline(poll_desc* pd, unsigned modes, std::int64_t when) noexcept;

#if GOCSP_DEFINE_RUNTIME

/// pd_open: registers fd with the poller. Returns its poll_desc, or nullptr with errno set if
/// epoll refuses the fd (EPERM: a regular file or another fd that cannot be polled).
GOCSP_DECL poll_desc* pd_open(int fd) {
    scheduler& sched = scheduler::get();
    if (scheduler::netpoll_dispatch.load(std::memory_order_acquire) == nullptr)
        scheduler::netpoll_dispatch.store(&netpoll_ready, std::memory_order_release);
    poll_desc* pd = pd_pool::get().take();
    {
        std::lock_guard<spinlock> hold(pd->lock);
        pd->rg = nullptr;
        pd->wg = nullptr;
        pd->closing.store(false, std::memory_order_relaxed);
        pd->rd.store(0, std::memory_order_relaxed);
        pd->wd.store(0, std::memory_order_relaxed);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = pd;
    tsan_publish(pd);
    if (::epoll_ctl(sched.epoll_fd(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        const int err = errno;
        pd_pool::get().give(pd);
        errno = err;
        return nullptr;
    }
    return pd;
}

/// pd_close: unregisters fd (still open) and gives pd back. No waiter may remain.
GOCSP_DECL void pd_close(poll_desc* pd, int fd) noexcept {
    epoll_event ev{};
    ::epoll_ctl(scheduler::get().epoll_fd(), EPOLL_CTL_DEL, fd, &ev);
    scheduler& sched = scheduler::get();
    {
        std::lock_guard<spinlock> hold(pd->lock);
        sched.stop_timer(&pd->rt);
        sched.stop_timer(&pd->wt);
        pd->rd.store(0, std::memory_order_relaxed);
        pd->wd.store(0, std::memory_order_relaxed);
        if (pd->take_waiter(io_mode::read) || pd->take_waiter(io_mode::write))
            fatal("gocsp: internal error: poll descriptor closed with a waiter");
    }
    pd_pool::get().give(pd);
}

/// netpoll_ready: the dispatcher. pd's fd reported `events`: wake the waiters they concern, or
/// leave readiness for the next wait.
GOCSP_DECL void netpoll_ready(void* ptr, std::uint32_t events) noexcept {
    auto* pd = static_cast<poll_desc*>(ptr);
    tsan_received(pd);
    const bool r = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    const bool w = (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
    g* gr = nullptr;
    g* gw = nullptr;
    {
        std::lock_guard<spinlock> hold(pd->lock);
        if (r && !(gr = pd->take_waiter(io_mode::read))) pd->rg = ready_token();
        if (w && !(gw = pd->take_waiter(io_mode::write))) pd->wg = ready_token();
    }
    scheduler& sched = scheduler::get();
    if (gr) sched.ready(gr, false);
    if (gw) sched.ready(gw, false);
}

// on_deadline: a deadline timer fired at `now`. Decides from the deadline itself (it may have
// been moved or cleared since the timer was armed, or the poll_desc reused).
GOCSP_DECL void poll_desc::on_deadline(timer* t, std::int64_t now) noexcept {
    auto* pd = static_cast<poll_desc*>(t->arg);
    const io_mode m = t == &pd->rt ? io_mode::read : io_mode::write;
    g* gp = nullptr;
    {
        std::lock_guard<spinlock> hold(pd->lock);
        const std::int64_t d = pd->deadline(m).load(std::memory_order_relaxed);
        if (d != 0 && d <= now) gp = pd->take_waiter(m);
    }
    if (gp) scheduler::get().ready(gp, false);
}

/// pd_wait: parks the caller until pd's fd may be ready in direction m, the deadline passes, or
/// the fd is closed. Returns at once if readiness is pending, the deadline has passed or the fd
/// is closing. Spurious `ready` returns are allowed: callers retry their system call.
GOCSP_DECL wait_result pd_wait(poll_desc* pd, io_mode m) noexcept {
    scheduler& sched = scheduler::get();
    sched.netpoll_waiting(+1);
    pd->lock.lock();
    wait_result early = wait_result::ready;
    g*& s = pd->slot(m);
    if (pd->closing.load(std::memory_order_relaxed)) early = wait_result::closed;
    else if (pd->expired(m)) early = wait_result::timeout;
    if (early != wait_result::ready || s == ready_token()) {
        if (early == wait_result::ready) s = nullptr;  // take the pending readiness
        pd->lock.unlock();
        sched.netpoll_waiting(-1);
        return early;
    }
    if (GOCSP_UNLIKELY(s != nullptr)) fatal("gocsp: internal error: two goroutines wait on one fd direction");
    s = current_g();
    sched.park(wait_reason::io_wait, &unlock_spinlock, &pd->lock);
    sched.netpoll_waiting(-1);
    // Whoever woke us emptied the slot. Learn why (closing wins over a deadline).
    if (pd->closing.load(std::memory_order_acquire)) return wait_result::closed;
    if (pd->expired(m)) return wait_result::timeout;
    return wait_result::ready;
}

/// pd_evict: the fd is being closed. Marks pd closing, stops its deadlines and wakes both
/// waiters (they return `closed`).
GOCSP_DECL void pd_evict(poll_desc* pd) noexcept {
    scheduler& sched = scheduler::get();
    g* gr;
    g* gw;
    {
        std::lock_guard<spinlock> hold(pd->lock);
        pd->closing.store(true, std::memory_order_release);
        sched.stop_timer(&pd->rt);
        sched.stop_timer(&pd->wt);
        gr = pd->take_waiter(io_mode::read);
        gw = pd->take_waiter(io_mode::write);
    }
    if (gr) sched.ready(gr, false);
    if (gw) sched.ready(gw, false);
}

/// pd_set_deadline: sets the deadline of each direction in `modes` (bit 0 read, bit 1 write)
/// to `when` (a nanotime value; 0 clears it). A waiter whose deadline is now in the past wakes
/// and returns `timeout`; otherwise a timer wakes it when the deadline comes.
GOCSP_DECL void pd_set_deadline(poll_desc* pd, unsigned modes, std::int64_t when) noexcept {
    scheduler& sched = scheduler::get();
    g* wake[2] = {nullptr, nullptr};
    {
        std::lock_guard<spinlock> hold(pd->lock);
        if (pd->closing.load(std::memory_order_relaxed)) return;
        const std::int64_t now = nanotime();
        for (int i = 0; i < 2; ++i) {
            if (!(modes & (1u << i))) continue;
            const io_mode m = i == 0 ? io_mode::read : io_mode::write;
            timer& t = pd->deadline_timer(m);
            // Not pending any more: either never armed, or its callback has been taken out of
            // the heap (it decides from the deadline, so re-arming meanwhile is safe).
            sched.stop_timer(&t);
            pd->deadline(m).store(when, std::memory_order_release);
            if (when == 0) continue;
            if (when <= now) {
                wake[i] = pd->take_waiter(m);
            } else {
                t.when = when;
                t.period = 0;
                sched.add_timer(&t);
            }
        }
    }
    for (g* gp : wake)
        if (gp) sched.ready(gp, false);
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
