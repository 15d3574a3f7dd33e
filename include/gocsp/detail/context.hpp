// gocsp/detail/context.hpp - one suspended execution context and the switch between two.
//
// Built on Boost.Context's fcontext layer (make_fcontext / jump_fcontext): the cheapest switch it
// offers, and one that leaves to us what happens around it. Every switch is announced to
// AddressSanitizer and ThreadSanitizer here, and only here, so their reports stay real.
#pragma once

#include <boost/context/detail/fcontext.hpp>
#include <cstddef>

#include "config.hpp"

#if GOCSP_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if GOCSP_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace gocsp::detail {

namespace fctx = boost::context::detail;
using fctx::transfer_t;

/// context: where a suspended goroutine, or a worker's scheduler loop, resumes.
struct context {
    fctx::fcontext_t fctx = nullptr;  // valid only while suspended
    const void* stack_bottom = nullptr;  // lowest address of the stack (for ASan)
    std::size_t stack_size = 0;
#if GOCSP_ASAN
    void* fake_stack = nullptr;
#endif
#if GOCSP_TSAN
    void* tsan_fiber = nullptr;
    bool tsan_owned = false;  // created by us, destroyed by us
#endif
};

/// context_init_fiber: prepares ctx to start `entry` on the stack [bottom, bottom + size).
inline void context_init_fiber(context& ctx, void* bottom, std::size_t size, void* top,
                               void (*entry)(transfer_t)) noexcept {
    ctx.stack_bottom = bottom;
    ctx.stack_size = size;
    auto usable = static_cast<std::size_t>(static_cast<char*>(top) - static_cast<char*>(bottom));
    ctx.fctx = fctx::make_fcontext(top, usable, entry);
#if GOCSP_TSAN
    ctx.tsan_fiber = __tsan_create_fiber(0);
    ctx.tsan_owned = true;
#endif
}

/// context_init_thread: describes the calling thread's own stack (a worker's scheduler loop).
inline void context_init_thread(context& ctx, const void* bottom, std::size_t size) noexcept {
    ctx.stack_bottom = bottom;
    ctx.stack_size = size;
#if GOCSP_TSAN
    ctx.tsan_fiber = __tsan_get_current_fiber();
    ctx.tsan_owned = false;
#endif
}

/// context_release: frees what context_init_fiber acquired; call once the fiber is off its stack.
inline void context_release(context& ctx) noexcept {
#if GOCSP_TSAN
    if (ctx.tsan_owned) __tsan_destroy_fiber(ctx.tsan_fiber);
    ctx.tsan_fiber = nullptr;
    ctx.tsan_owned = false;
#else
    (void)ctx;
#endif
}

/// context_jump: suspends `from` and resumes `to`, passing data. Returns, in `from`, when some
/// context jumps back; the result names the context that did (its fctx must be saved by the
/// caller into that context's record). If from_dies, `from` is never resumed.
inline transfer_t context_jump([[maybe_unused]] context& from, context& to, void* data,
                               [[maybe_unused]] bool from_dies = false) noexcept {
#if GOCSP_ASAN
    __sanitizer_start_switch_fiber(from_dies ? nullptr : &from.fake_stack, to.stack_bottom, to.stack_size);
#endif
#if GOCSP_TSAN
    __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
    fctx::fcontext_t target = to.fctx;
    to.fctx = nullptr;
    transfer_t t = fctx::jump_fcontext(target, data);
#if GOCSP_ASAN
    __sanitizer_finish_switch_fiber(from.fake_stack, nullptr, nullptr);
#endif
    return t;
}

/// context_enter: the first thing a fresh fiber does, before anything else runs on it.
inline void context_enter() noexcept {
#if GOCSP_ASAN
    __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
}

}  // namespace gocsp::detail
