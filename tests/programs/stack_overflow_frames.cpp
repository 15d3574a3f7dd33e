// A goroutine overflows its stack by a 64 KiB frame, at a chosen depth, beside parked goroutines
// that check their own locals afterwards. The runtime must stop the program with "fatal error:
// stack overflow" (exit 2), never let the frame land in a neighbouring stack and carry on.
//
//   stack_overflow_frames MODE REMAINING [PARKED]
//     MODE       once: descend until REMAINING bytes of stack are left, then call one function
//                with a 64 KiB frame that writes the low end of its array and returns;
//                recurse: from there, recurse with 64 KiB frames forever
//     REMAINING  bytes of stack left below the frame that makes the 64 KiB call
//     PARKED     goroutines parked (each holding a pattern in its locals) before the overflow;
//                default 64. Beyond the mprotect guard budget, the overflowing stack is one of
//                those only a guard madvise can protect.
// Prints "stacks carved=C guarded=G" (stderr) before the overflow; "survived corrupted=K" (stdout)
// if the program gets past it, K being the parked goroutines whose locals changed.
#include <gocsp/gocsp.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr std::size_t frame_bytes = 64 * 1024;
volatile int sink;
volatile bool keep_going = true;
volatile std::size_t low = 0;  // an index the compiler cannot see, so the whole array stays
std::atomic<long> corrupted{0};

// One 64 KiB frame that writes the low end of its array (what a frame past the guard reaches
// first) and returns.
GOCSP_NOINLINE void big_frame(int seed) {
    volatile char a[frame_bytes];
    a[low] = static_cast<char>(seed);
    a[low + 64] = static_cast<char>(seed);
    sink = a[low] + a[frame_bytes - 1 - low];
}

GOCSP_NOINLINE int big_recursion(int n) {
    volatile char a[frame_bytes];
    a[low] = static_cast<char>(n);
    if (!keep_going) return 0;
    return big_recursion(n + 1) + a[low];
}

// descend: small frames until at most `remaining` bytes are left above `bottom`, then the mode's
// 64 KiB call.
GOCSP_NOINLINE int descend(const char* bottom, std::size_t remaining, bool recurse, int n) {
    volatile char pad[192];
    pad[0] = static_cast<char>(n);
    const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    if (here > reinterpret_cast<std::uintptr_t>(bottom) + remaining + sizeof pad + 256)
        return descend(bottom, remaining, recurse, n + 1) + pad[0];
    if (recurse) return big_recursion(0);
    big_frame(n);
    return pad[0];
}

void print_stats() {
    auto s = gocsp::detail::pool_for(gocsp::detail::default_stack_size).stats();
    std::fprintf(stderr, "stacks carved=%zu guarded=%zu\n", s.carved, s.guarded);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: stack_overflow_frames once|recurse REMAINING [PARKED]\n");
        return 2;
    }
    const bool recurse = std::strcmp(argv[1], "recurse") == 0;
    const std::size_t remaining = std::strtoul(argv[2], nullptr, 10);
    const long parked = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 64;

    gocsp::chan<int> release(0);
    gocsp::wait_group started, checked;
    started.add(parked);
    checked.add(parked);
    for (long i = 0; i < parked; ++i)
        gocsp::go([&, i] {
            volatile unsigned char mine[512];
            for (std::size_t k = 0; k < sizeof mine; ++k) mine[k] = static_cast<unsigned char>(i + k);
            started.done();
            release.recv();
            for (std::size_t k = 0; k < sizeof mine; ++k)
                if (mine[k] != static_cast<unsigned char>(i + k)) {
                    corrupted.fetch_add(1);
                    break;
                }
            checked.done();
        });
    started.wait();

    gocsp::wait_group done;
    done.add(1);
    gocsp::go([&] {
        // The stack's top is the end of the page holding this goroutine's first frame.
        const auto top = (reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)) | 4095) + 1;
        const char* bottom = reinterpret_cast<const char*>(top - gocsp::detail::default_stack_size);
        print_stats();
        sink = descend(bottom, remaining, recurse, 0);
        done.done();
    });
    done.wait();
    release.close();
    checked.wait();
    std::printf("survived corrupted=%ld\n", corrupted.load());
    return 0;
}
