// gocsp/detail/random.hpp - the runtime's cheap random numbers (select's shuffle, stealing's
// victim order), seeded from the operating system.
//
// Go seeds its per-P generators at start-up, so a program's select choices differ from run to
// run; a constant seed would make a one-worker program choose the same way every time, and a
// user who relied on that would be relying on an accident. Every generator here starts from
// random_seed(): getrandom(2), or the clock and the generator's address where that fails.
#pragma once

#include <chrono>
#include <cstdint>
#include <sys/random.h>

namespace gocsp::detail {

/// random_seed: 64 fresh bits from the operating system, never zero.
inline std::uint64_t random_seed(const void* salt = nullptr) noexcept {
    std::uint64_t seed = 0;
    if (::getrandom(&seed, sizeof seed, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof seed)) {
        // No entropy yet (early boot) or no getrandom: mix what differs between runs.
        seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
               static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    }
    seed ^= reinterpret_cast<std::uintptr_t>(salt) * 0x9e3779b97f4a7c15ULL;
    return seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/// xorshift64: Marsaglia's xorshift generator; state must not be zero.
struct xorshift64 {
    std::uint64_t state = random_seed(this);

    /// next: the next 32 random bits.
    std::uint32_t next() noexcept {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return static_cast<std::uint32_t>(state >> 32);
    }
};

}  // namespace gocsp::detail
