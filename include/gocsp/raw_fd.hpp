/// \file
/// gocsp/raw_fd.hpp - waiting on the runtime's poller for a file descriptor gocsp did not make:
/// a C library's socket, an epoll instance, an eventfd or timerfd (Go's syscall.RawConn).
///
///     gocsp::io::raw_fd watch(fd);           // fd is non-blocking, and stays the caller's
///     ssize_t n;
///     auto s = watch.read([&](int fd) {      // RawConn.Read: call, and wait while it would block
///         n = ::read(fd, buf, sizeof buf);
///         return !(n < 0 && errno == EAGAIN);
///     });
///     if (s == gocsp::io::wait_status::timeout) ...
///
/// A goroutine that waits parks, and its worker runs other goroutines meanwhile; a plain thread
/// blocks. A library that tells its user which fds it waits for, in which direction, and for how
/// long (libcurl's multi interface, c-ares, libpq) runs on goroutines this way: watch the fds
/// (or one epoll instance holding them all), wait, and hand the library what became ready.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <system_error>
#include <string>
#include <type_traits>
#include <utility>

#include "context.hpp"
#include "detail/clock.hpp"
#include "detail/fd.hpp"
#include "detail/fd_cancel.hpp"

namespace gocsp::io {

/// wait_status: how a raw_fd wait ended.
enum class wait_status {
    ready,    ///< the call said it was done (read / write), or the fd may be ready (wait_*)
    timeout,  ///< the direction's deadline has passed (Go's os.ErrDeadlineExceeded)
    closed,   ///< the raw_fd was closed, before or during the wait (Go's os.ErrClosed)
    canceled, ///< the call's context ended (read and write given a context): see ctx.err()
};

/// raw_fd: watches a file descriptor made outside gocsp on the runtime's poller, so goroutines
/// can wait for it to become readable or writable. It never closes the fd and never changes
/// its flags: the fd should be non-blocking (O_NONBLOCK), or every call made on it must be one
/// that cannot block.
///
/// The fd must stay open while the raw_fd watches it: close() the raw_fd (or destroy it) first,
/// then close the fd. An fd can be watched by one raw_fd at a time, and not at all if gocsp
/// already polls it (a gocsp::net::conn's socket).
///
/// Deadlines work as on a gocsp::net::conn: one per direction, set with set_deadline and the
/// like; a wait in progress when its deadline passes returns wait_status::timeout, and so does
/// every wait after, until the deadline is moved. One goroutine may wait for reading while
/// another waits for writing; two waits in one direction take turns.
class raw_fd {
public:
    /// raw_fd: starts watching fd. Throws std::system_error with epoll's errno if it cannot be
    /// polled: EPERM for a regular file, EEXIST if it is watched already, EBADF if not open.
    explicit raw_fd(int fd) : core_(fd, gocsp::detail::fd_kind::socket, open(fd), false) {}
    /// ~raw_fd: stops watching (as close()). The fd stays open.
    ~raw_fd() = default;
    raw_fd(const raw_fd&) = delete;
    raw_fd& operator=(const raw_fd&) = delete;

    /// read: calls f(fd) until it returns true, waiting until the fd may be readable each time
    /// it returns false (Go's RawConn.Read). f makes the system call and says whether it is
    /// done: false means "it would block" (EAGAIN). Returns ready once f returned true, or
    /// timeout / closed (looked at before each call of f). f's exceptions pass through.
    /// f runs on the calling goroutine and must not park (no channel operation, no sleep, no
    /// gocsp::mutex): it counts as a system call, during which a spare worker may take over the
    /// worker's other goroutines.
    template <class F>
        requires std::is_invocable_r_v<bool, F&, int>
    [[nodiscard]] wait_status read(F&& f) {
        return status(core_.call(gocsp::detail::io_mode::read, f));
    }
    /// write: as read, waiting until the fd may be writable (Go's RawConn.Write).
    template <class F>
        requires std::is_invocable_r_v<bool, F&, int>
    [[nodiscard]] wait_status write(F&& f) {
        return status(core_.call(gocsp::detail::io_mode::write, f));
    }
    /// read: as read(f), and returns canceled once ctx has ended (looked at before each call
    /// of f; a wait in progress wakes). ctx.err() says why: canceled or deadline exceeded.
    template <class F>
        requires std::is_invocable_r_v<bool, F&, int>
    [[nodiscard]] wait_status read(const gocsp::context& ctx, F&& f) {
        gocsp::detail::op_cancel cancel(ctx, core_, gocsp::detail::io_mode::read);
        return status(core_.call(gocsp::detail::io_mode::read, f, &cancel.raised));
    }
    /// write: as write(f), and returns canceled once ctx has ended (as read(ctx, f)).
    template <class F>
        requires std::is_invocable_r_v<bool, F&, int>
    [[nodiscard]] wait_status write(const gocsp::context& ctx, F&& f) {
        gocsp::detail::op_cancel cancel(ctx, core_, gocsp::detail::io_mode::write);
        return status(core_.call(gocsp::detail::io_mode::write, f, &cancel.raised));
    }
    /// wait_readable: waits until the fd may be readable, its read deadline passes or the
    /// raw_fd is closed. `ready` may be early (an event that came before the call, or a spurious
    /// wake-up): make the call, and wait again if it would block.
    [[nodiscard]] wait_status wait_readable() {
        return wait(gocsp::detail::io_mode::read);
    }
    /// wait_writable: as wait_readable, for writing.
    [[nodiscard]] wait_status wait_writable() {
        return wait(gocsp::detail::io_mode::write);
    }

    /// set_deadline: the read and write deadline, a time_point of any clock; a zero
    /// time_point (time_point{}) removes it. No effect once closed.
    template <class Clock, class Duration>
    void set_deadline(std::chrono::time_point<Clock, Duration> t) noexcept {
        core_.set_deadline(3, gocsp::detail::deadline_ns(t));
    }
    /// set_read_deadline: the deadline of reads (read, wait_readable) only.
    template <class Clock, class Duration>
    void set_read_deadline(std::chrono::time_point<Clock, Duration> t) noexcept {
        core_.set_deadline(1, gocsp::detail::deadline_ns(t));
    }
    /// set_write_deadline: the deadline of writes (write, wait_writable) only.
    template <class Clock, class Duration>
    void set_write_deadline(std::chrono::time_point<Clock, Duration> t) noexcept {
        core_.set_deadline(2, gocsp::detail::deadline_ns(t));
    }

    /// close: stops watching the fd, which stays open; waits in progress, and every one after,
    /// return closed. false if already closed.
    bool close() noexcept { return core_.close(); }
    /// native_handle: the fd.
    int native_handle() const noexcept { return core_.fd(); }

private:
    static gocsp::detail::poll_desc* open(int fd) {
        gocsp::detail::poll_desc* pd = gocsp::detail::pd_open(fd);
        if (!pd) throw std::system_error(errno, std::generic_category(), "raw_fd: cannot poll fd " + std::to_string(fd));
        return pd;
    }
    wait_status wait(gocsp::detail::io_mode m) {
        bool first = true;  // ready after one wait: f says "not yet" once, then "done"
        auto once = [&first](int) { return !std::exchange(first, false); };
        return status(core_.call(m, once));
    }
    static wait_status status(gocsp::detail::io_status s) noexcept {
        switch (s) {
            case gocsp::detail::io_status::ok: return wait_status::ready;
            case gocsp::detail::io_status::timeout: return wait_status::timeout;
            case gocsp::detail::io_status::canceled: return wait_status::canceled;
            default: return wait_status::closed;
        }
    }

    gocsp::detail::fd_core core_;
};

}  // namespace gocsp::io
