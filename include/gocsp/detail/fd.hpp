// gocsp/detail/fd.hpp - one file descriptor shared by goroutines: when it may be used and
// closed, and the I/O loops that park on the poller instead of blocking a worker.
//
// fd_core guards its fd in three ways:
//   - state_: a closing bit and a count of references (1 for "open", plus one per operation in
//     progress). close() sets the bit, wakes blocked operations (pd_evict), and drops the open
//     reference; the fd is closed by whoever drops the count to zero. So an operation never
//     sees its fd number closed and reused under it, and nothing new starts once closing is set.
//   - rlock_ / wlock_: one reader and one writer at a time; others park in FIFO order. A read
//     never interleaves with another read, a write's bytes never with another write's, and each
//     poll_desc slot has at most one waiter (netpoll.hpp's invariant).
//   - pd_: the fd's poll descriptor, to wait for readiness, with deadlines.
//
// How an operation waits depends on the kind of fd:
//   socket    O_NONBLOCK, made by gocsp: try the call; on EAGAIN wait on the poller and retry.
//   pollable  a pipe, terminal or socket inherited without O_NONBLOCK (stdin, stdout). Setting
//             O_NONBLOCK would change it for every process sharing it, so: poll() with a zero
//             timeout says whether the call would block; if so, wait on the poller and ask
//             again. The call itself is made only when it cannot block (reads of a ready fd;
//             writes of at most PIPE_BUF bytes to a writable one).
//   file      epoll cannot watch it (a regular file, /dev/null): the call runs on the blocking
//             pool (gocsp::blocking). Deadlines do not apply.
//
// Lock order: rlock_ / wlock_ (held across a whole operation, parks included) ->
// poll_desc::lock -> ... (netpoll.hpp). An operation takes its reference before its op lock.
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "../blocking.hpp"
#include "netpoll.hpp"
#include "scheduler.hpp"
#include "spinlock.hpp"

namespace gocsp::detail {

/// io_sema: a FIFO counting semaphore for goroutines and plain threads.
class io_sema {
public:
    /// acquire: takes a token, parking (wait reason "IO wait") until one is released.
    void acquire() noexcept {
        lock_.lock();
        if (tokens_ > 0) {
            --tokens_;
            lock_.unlock();
            return;
        }
        node self{current_g(), nullptr};
        if (tail_) tail_->next = &self;
        else head_ = &self;
        tail_ = &self;
        scheduler::get().park(wait_reason::io_wait, &unlock_spinlock, &lock_);
        // The releaser unlinked us and handed its token over.
    }
    /// release: hands a token to the oldest waiter, or keeps it.
    void release() noexcept {
        g* gp = nullptr;
        {
            std::lock_guard<spinlock> hold(lock_);
            if (node* n = head_) {
                head_ = n->next;
                if (!head_) tail_ = nullptr;
                gp = n->gp;
            } else {
                ++tokens_;
            }
        }
        if (gp) scheduler::get().ready(gp, false);
    }

private:
    struct node {
        g* gp;
        node* next;
    };
    spinlock lock_{lock_rank::primitive};  // protects everything below
    int tokens_ = 0;
    node* head_ = nullptr;  // waiters, on their own stacks
    node* tail_ = nullptr;
};

/// op_lock: mutual exclusion for one direction of an fd's I/O. Uncontended, it costs one atomic
/// add to lock and one to unlock; contended, the waiters park on a semaphore.
class op_lock {
public:
    void lock() noexcept {
        if (n_.fetch_add(1, std::memory_order_acq_rel) != 0) sema_.acquire();
    }
    void unlock() noexcept {
        if (n_.fetch_sub(1, std::memory_order_acq_rel) != 1) sema_.release();
    }

private:
    std::atomic<int> n_{0};  // the holder plus its waiters
    io_sema sema_;
};

enum class fd_kind : std::uint8_t { socket, pollable, file };

/// io_status: how an operation ended.
enum class io_status : std::uint8_t {
    ok,
    closed,   // the fd was closed (before or during the operation)
    timeout,  // the deadline passed
    error,    // a system call failed: see io_result::err
    canceled, // the operation's cancel flag was raised (a context ended: net.hpp)
};

struct io_result {
    std::size_t n = 0;  // bytes transferred (also on failure, for writes)
    io_status status = io_status::ok;
    int err = 0;  // errno, for io_status::error
};

class GOCSP_API fd_core {
public:
    /// fd_core: manages fd. kind socket needs pd (from pd_open); pollable has one too; file has
    /// none. `owned`: close fd at the end (false for the standard streams).
    fd_core(int fd, fd_kind kind, poll_desc* pd, bool owned) noexcept : fd_(fd), kind_(kind), owned_(owned), pd_(pd) {}
    fd_core(const fd_core&) = delete;
    fd_core& operator=(const fd_core&) = delete;
    ~fd_core() { close(); }

    /// classify: the kind of an fd gocsp did not make, registering it with the poller if it can
    /// be polled (pd then receives its poll_desc).
    static fd_kind classify(int fd, poll_desc*& pd);

    int fd() const noexcept { return fd_; }
    fd_kind kind() const noexcept { return kind_; }
    bool closing() const noexcept { return (state_.load(std::memory_order_acquire) & closing_bit) != 0; }

    // cancel (read, write, accept, connect_wait), for kinds socket and pollable: when not null,
    // the operation returns `canceled` once *cancel is true. Whoever raises it then calls
    // interrupt(m) to wake the operation if it is parked.

    /// read: up to n bytes (0: end of file, or n == 0). Parks while nothing can be read.
    io_result read(char* p, std::size_t n, const std::atomic<bool>* cancel = nullptr);
    /// write: all n bytes, or fails (io_result::n tells how many went out). Parks as needed.
    io_result write(const char* p, std::size_t n, const std::atomic<bool>* cancel = nullptr);
    /// accept: a new connection (non-blocking, close-on-exec), or a failure.
    io_result accept(int& out, sockaddr* sa, socklen_t* len, const std::atomic<bool>* cancel = nullptr) noexcept;
    /// connect_wait: waits for a non-blocking connect() that said EINPROGRESS to finish.
    io_result connect_wait(const std::atomic<bool>* cancel = nullptr) noexcept;
    /// call: for callers that make the system calls themselves (io::raw_fd): calls f(fd) inside
    /// a syscall_scope until it returns true, waiting in direction m whenever it returns false.
    /// `ok` once f returned true; else closed, timeout or canceled (checked before each call of
    /// f). f's exceptions pass through. One caller per direction at a time, as for read and write.
    template <class F>
    io_status call(io_mode m, F& f, const std::atomic<bool>* cancel = nullptr) {
        if (!incref()) return io_status::closed;
        op_lock& lk = m == io_mode::read ? rlock_ : wlock_;
        lk.lock();
        op_ref hold(this, &lk);
        for (;;) {
            if (closing()) return io_status::closed;
            if (pd_->expired(m)) return io_status::timeout;
            if (raised(cancel)) return io_status::canceled;
            bool done;
            {
                syscall_scope in_call;
                done = f(fd_);
            }
            if (done) return io_status::ok;
            if (io_status s = wait(m); s != io_status::ok) return s;
        }
    }
    /// interrupt: wakes the operation parked in direction m, if any, as an event would (a
    /// spurious wake for whoever waits there: it retries). Safe at any time, even after close:
    /// poll_desc memory is never freed (netpoll.hpp).
    void interrupt(io_mode m) noexcept {
        if (pd_) netpoll_ready(pd_, m == io_mode::read ? EPOLLIN : EPOLLOUT);
    }
    /// shutdown: ::shutdown(fd, how); 0 or an errno (EBADF once closed).
    int shutdown(int how) noexcept;
    /// set_deadline: see pd_set_deadline. false once closed.
    bool set_deadline(unsigned modes, std::int64_t when) noexcept;
    /// close: starts closing; false if already closed. Blocked operations return `closed`.
    bool close() noexcept;

private:
    static constexpr std::uint32_t closing_bit = 1;
    static constexpr std::uint32_t ref_unit = 2;

    bool incref() noexcept {
        std::uint32_t s = state_.load(std::memory_order_relaxed);
        do {
            if (s & closing_bit) return false;
        } while (!state_.compare_exchange_weak(s, s + ref_unit, std::memory_order_acq_rel, std::memory_order_relaxed));
        return true;
    }
    void decref() noexcept {
        if (state_.fetch_sub(ref_unit, std::memory_order_acq_rel) == (ref_unit | closing_bit)) destroy();
    }
    void destroy() noexcept {
        if (pd_) pd_close(pd_, fd_);
        if (owned_) {
            syscall_scope in_call;  // a socket's close sends its FIN (and the peer's work, on loopback)
            ::close(fd_);
        }
    }
    /// wait: waits until a call in direction m might not block (pd's rules), for kinds socket
    /// (after EAGAIN) and pollable.
    io_status wait(io_mode m) noexcept {
        switch (pd_wait(pd_, m)) {
            case wait_result::ready: return io_status::ok;
            case wait_result::closed: return io_status::closed;
            case wait_result::timeout: return io_status::timeout;
        }
        return io_status::ok;
    }
    /// poll_ready: for kind pollable, whether a call in direction m would not block now.
    bool poll_ready(io_mode m) noexcept {
        pollfd p{fd_, static_cast<short>(m == io_mode::read ? POLLIN : POLLOUT), 0};
        int r;
        while ((r = ::poll(&p, 1, 0)) < 0 && errno == EINTR) {
        }
        return r != 0;  // ready, or an error (POLLNVAL, ...) that the call itself will report
    }

    struct op_ref {  // a reference plus the op lock of one direction, for one operation
        fd_core* self;
        op_lock* lk;
        op_ref(fd_core* s, op_lock* l) noexcept : self(s), lk(l) {}
        ~op_ref() {
            if (lk) lk->unlock();
            if (self) self->decref();
        }
    };

    static bool raised(const std::atomic<bool>* cancel) noexcept {
        return cancel && cancel->load(std::memory_order_acquire);
    }

    const int fd_;
    const fd_kind kind_;
    const bool owned_;
    poll_desc* const pd_;
    std::atomic<std::uint32_t> state_{ref_unit};  // closing_bit | refs * ref_unit
    op_lock rlock_;  // readers (and accept)
    op_lock wlock_;  // writers (and connect)
};

#if GOCSP_DEFINE_RUNTIME

GOCSP_DECL fd_kind fd_core::classify(int fd, poll_desc*& pd) {
    pd = nullptr;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) return fd_kind::file;
    pd = pd_open(fd);
    return pd ? fd_kind::pollable : fd_kind::file;
}

GOCSP_DECL io_result fd_core::read(char* p, std::size_t n, const std::atomic<bool>* cancel) {
    if (n == 0) return {};
    if (!incref()) return {0, io_status::closed, 0};
    rlock_.lock();
    op_ref hold(this, &rlock_);
    n = std::min<std::size_t>(n, SSIZE_MAX);
    if (kind_ == fd_kind::file) {
        auto [r, err] = blocking([&] {
            ssize_t got = ::read(fd_, p, n);
            return std::pair<ssize_t, int>(got, got < 0 ? errno : 0);
        });
        if (r < 0) return {0, io_status::error, err};
        return {static_cast<std::size_t>(r), io_status::ok, 0};
    }
    for (;;) {
        if (closing()) return {0, io_status::closed, 0};
        if (pd_->expired(io_mode::read)) return {0, io_status::timeout, 0};
        if (raised(cancel)) return {0, io_status::canceled, 0};
        if (kind_ == fd_kind::pollable && !poll_ready(io_mode::read)) {
            if (io_status s = wait(io_mode::read); s != io_status::ok) return {0, s, 0};
            continue;
        }
        ssize_t r;
        {
            syscall_scope in_call;
            r = ::read(fd_, p, n);
        }
        if (r >= 0) return {static_cast<std::size_t>(r), io_status::ok, 0};
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return {0, io_status::error, errno};
        if (io_status s = wait(io_mode::read); s != io_status::ok) return {0, s, 0};
    }
}

GOCSP_DECL io_result fd_core::write(const char* p, std::size_t n, const std::atomic<bool>* cancel) {
    if (!incref()) return {0, io_status::closed, 0};
    wlock_.lock();
    op_ref hold(this, &wlock_);
    std::size_t done = 0;
    if (kind_ == fd_kind::file) {
        while (done < n) {
            auto [r, err] = blocking([&] {
                ssize_t put = ::write(fd_, p + done, std::min<std::size_t>(n - done, SSIZE_MAX));
                return std::pair<ssize_t, int>(put, put < 0 ? errno : 0);
            });
            if (r < 0) {
                if (err == EINTR) continue;
                return {done, io_status::error, err};
            }
            done += static_cast<std::size_t>(r);
        }
        return {done, io_status::ok, 0};
    }
    while (done < n) {
        if (closing()) return {done, io_status::closed, 0};
        if (pd_->expired(io_mode::write)) return {done, io_status::timeout, 0};
        if (raised(cancel)) return {done, io_status::canceled, 0};
        std::size_t chunk = std::min<std::size_t>(n - done, SSIZE_MAX);
        ssize_t r;
        if (kind_ == fd_kind::socket) {
            syscall_scope in_call;
            r = ::send(fd_, p + done, chunk, MSG_NOSIGNAL);
        } else {
            if (!poll_ready(io_mode::write)) {
                if (io_status s = wait(io_mode::write); s != io_status::ok) return {done, s, 0};
                continue;
            }
            r = ::write(fd_, p + done, std::min<std::size_t>(chunk, PIPE_BUF));  // fits a writable pipe
        }
        if (r >= 0) {
            done += static_cast<std::size_t>(r);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return {done, io_status::error, errno};
        if (io_status s = wait(io_mode::write); s != io_status::ok) return {done, s, 0};
    }
    return {done, io_status::ok, 0};
}

GOCSP_DECL io_result fd_core::accept(int& out, sockaddr* sa, socklen_t* len, const std::atomic<bool>* cancel) noexcept {
    if (!incref()) return {0, io_status::closed, 0};
    rlock_.lock();
    op_ref hold(this, &rlock_);
    const socklen_t cap = *len;
    for (;;) {
        if (closing()) return {0, io_status::closed, 0};
        if (pd_->expired(io_mode::read)) return {0, io_status::timeout, 0};
        if (raised(cancel)) return {0, io_status::canceled, 0};
        *len = cap;
        {
            syscall_scope in_call;
            out = ::accept4(fd_, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        }
        if (out >= 0) return {};
        // A connection reset before we took it is not the listener's failure.
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return {0, io_status::error, errno};
        if (io_status s = wait(io_mode::read); s != io_status::ok) return {0, s, 0};
    }
}

GOCSP_DECL io_result fd_core::connect_wait(const std::atomic<bool>* cancel) noexcept {
    if (!incref()) return {0, io_status::closed, 0};
    wlock_.lock();
    op_ref hold(this, &wlock_);
    for (;;) {
        if (raised(cancel)) return {0, io_status::canceled, 0};
        if (io_status s = wait(io_mode::write); s != io_status::ok) return {0, s, 0};
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return {0, io_status::error, errno};
        if (err == EINPROGRESS || err == EALREADY || err == EINTR) continue;
        if (err != 0) return {0, io_status::error, err};
        // A wake may be spurious (netpoll.hpp): connected only if the peer is known.
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &plen) == 0) return {};
        if (errno != ENOTCONN) return {0, io_status::error, errno};
    }
}

GOCSP_DECL int fd_core::shutdown(int how) noexcept {
    if (!incref()) return EBADF;
    op_ref hold(this, nullptr);
    return ::shutdown(fd_, how) == 0 ? 0 : errno;
}

GOCSP_DECL bool fd_core::set_deadline(unsigned modes, std::int64_t when) noexcept {
    if (!incref()) return false;
    op_ref hold(this, nullptr);
    if (pd_) pd_set_deadline(pd_, modes, when);
    return true;
}

GOCSP_DECL bool fd_core::close() noexcept {
    if (state_.fetch_or(closing_bit, std::memory_order_acq_rel) & closing_bit) return false;
    if (pd_) pd_evict(pd_);
    decref();
    return true;
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
