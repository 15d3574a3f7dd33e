// gocsp/detail/config.hpp - compiler and sanitizer detection shared by every header.
#pragma once
#define GOCSP_CONFIG_INCLUDED 1  // <gocsp/impl/src.hpp> checks that it comes first

// gocsp is C++20 (concepts, source_location, std::span): an older standard stops here, with one
// error that says so instead of hundreds about concepts.
#if defined(__cplusplus) && __cplusplus < 202002L
#error "gocsp needs C++20: compile with -std=c++20 (or later)"
#include <gocsp needs C++20>  // a missing header ends the compilation at once
#endif

#include <atomic>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define GOCSP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOCSP_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define GOCSP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GOCSP_TSAN 1
#endif
#endif

#if GOCSP_TSAN
#define GOCSP_TSAN_ENABLED 1
#else
#define GOCSP_TSAN_ENABLED 0
#endif

// The compiled runtime (opt-in; see docs/guide.md "Building"). gocsp is header-only by default:
// every translation unit that starts goroutines compiles the runtime (the scheduler, the poller,
// net, ...) again. Define GOCSP_SEPARATE_COMPILATION in every unit of a program, and compile the
// runtime once in the one unit that includes <gocsp/impl/src.hpp> (the CMake target
// gocsp::runtime does both). The headers then only declare the runtime's functions:
//   GOCSP_DECL            marks a runtime function: `inline` header-only, an ordinary external
//                         function of the runtime's unit (with GOCSP_API) with the compiled
//                         runtime.
//   GOCSP_DEFINE_RUNTIME  1 where the runtime's definitions are compiled: every unit
//                         header-only, the runtime's unit only with the compiled runtime.
//   GOCSP_COMPILED_RUNTIME 1 with the compiled runtime, 0 header-only.
//   GOCSP_API             default visibility with the compiled runtime (on the runtime's
//                         classes, functions and variables), nothing header-only.
// Templates and the small functions of the hot paths stay inline either way.
//
// One runtime per process (docs/design.md): with the compiled runtime, every piece of runtime
// state (the scheduler, its settings, the per-thread record, the lock-rank switch, the dying
// thread, the pools, the process marker) lives in the runtime's unit, reached through GOCSP_API
// names only. A module built with -fvisibility=hidden that links one shared compiled runtime
// then binds to that library's single copy instead of keeping its own (the library made by
// cmake/gocsp_runtime.cmake exports those names and hides the rest). Header-only, the same
// state is in statics of inline functions and inline variables.
#if defined(GOCSP_SEPARATE_COMPILATION)
#define GOCSP_COMPILED_RUNTIME 1
#define GOCSP_API __attribute__((visibility("default")))
#define GOCSP_DECL GOCSP_API
#if defined(GOCSP_BUILDING_RUNTIME)
#define GOCSP_DEFINE_RUNTIME 1
#else
#define GOCSP_DEFINE_RUNTIME 0
#endif
#else
#define GOCSP_COMPILED_RUNTIME 0
#define GOCSP_API
#define GOCSP_DECL inline
#define GOCSP_DEFINE_RUNTIME 1
#endif

#define GOCSP_NOINLINE __attribute__((noinline))
#define GOCSP_LIKELY(x) __builtin_expect(!!(x), 1)
#define GOCSP_UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace gocsp::detail {

/// cpu_relax: a hint inside spin loops.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

/// Size of a cache line; hot atomics of different owners are padded to it.
inline constexpr std::size_t cache_line = 64;

#if GOCSP_TSAN && GOCSP_COMPILED_RUNTIME
/// tsan_fence_word: the word full_fence updates under ThreadSanitizer (one per process).
GOCSP_API extern std::atomic<int> tsan_fence_word;
#if GOCSP_DEFINE_RUNTIME
constinit std::atomic<int> tsan_fence_word{0};
#endif
#endif

/// full_fence: a sequentially consistent fence (the store-load barrier of the wake-up
/// handshakes). ThreadSanitizer does not model fences; there it is a read-modify-write of one
/// shared atomic instead, which it does model.
inline void full_fence() noexcept {
#if GOCSP_TSAN && GOCSP_COMPILED_RUNTIME
    tsan_fence_word.fetch_add(0, std::memory_order_seq_cst);
#elif GOCSP_TSAN
    static std::atomic<int> fence_word{0};
    fence_word.fetch_add(0, std::memory_order_seq_cst);
#else
    std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

/// True in builds with assertions (no NDEBUG): the runtime then checks its invariants.
#ifdef NDEBUG
constexpr bool debug_build = false;  // internal linkage: units may differ
#else
constexpr bool debug_build = true;  // internal linkage: units may differ
#endif

/// True where the runtime checks its invariants (GOCSP_ASSERT, the lock ranks of spinlock.hpp):
/// builds with assertions, and the sanitizer builds, whatever their build type. Define
/// GOCSP_RUNTIME_CHECKS to 0 or 1 to decide yourself.
#if defined(GOCSP_RUNTIME_CHECKS)
constexpr bool runtime_checks = GOCSP_RUNTIME_CHECKS != 0;
#elif GOCSP_ASAN || GOCSP_TSAN
constexpr bool runtime_checks = true;
#else
constexpr bool runtime_checks = debug_build;
#endif

}  // namespace gocsp::detail
