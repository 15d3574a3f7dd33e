// gocsp/detail/fd_cancel.hpp - an fd_core operation cut short when a context ends: the link
// between a context's cancellation and fd.hpp's cancel protocol (a flag the I/O loop looks at
// before each wait, and an interrupt that wakes it), for net::conn's and io::raw_fd's calls
// that take a context.
#pragma once

#include <atomic>
#include <cerrno>

#include "../context.hpp"
#include "fd.hpp"

namespace gocsp::detail {

/// op_cancel: for one I/O call given a context: raises the call's cancel flag and wakes it
/// when the context ends, for as long as it exists. Pass &raised to the fd_core operation.
struct op_cancel {
    std::atomic<bool> raised{false};
    fd_core* fd;
    io_mode mode;
    cancel_hook hook;  // last: it may fire during construction

    op_cancel(const gocsp::context& ctx, fd_core& f, io_mode m) noexcept : fd(&f), mode(m), hook(ctx, &fire, this) {}
    static void fire(void* p) noexcept {
        auto* self = static_cast<op_cancel*>(p);
        self->raised.store(true, std::memory_order_release);
        self->fd->interrupt(self->mode);
    }
    /// finish: r, a canceled one marked ETIMEDOUT when ctx ended by its deadline (net then says
    /// "i/o timeout", as Go's net does).
    static io_result finish(io_result r, const gocsp::context& ctx) noexcept {
        if (r.status == io_status::canceled && ctx.err().timeout()) r.err = ETIMEDOUT;
        return r;
    }
};

}  // namespace gocsp::detail
