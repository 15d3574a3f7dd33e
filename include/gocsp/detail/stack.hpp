// gocsp/detail/stack.hpp - goroutine stacks: pooled, carved from large lazily committed slabs.
//
// Policy (see docs/design.md):
// - A stack is a slot of a slab mapped with MAP_NORESERVE: the kernel commits a page only when it
//   is first touched, so a parked goroutine costs about one page however large its stack is.
// - Slabs are large (64 MiB or 16 stacks, whichever is more), so a million stacks take a few
//   thousand memory mappings, far below the kernel's vm.max_map_count (65530 by default).
// - Guard pages: every slot reserves one page below its stack. It is made PROT_NONE (so an
//   overflow faults at once) while the number of guarded stacks is under a budget of a quarter
//   of vm.max_map_count (each guard splits a mapping, costing two); past the budget, new slots
//   stay unguarded and an overflow would run into the neighbouring stack. Debug builds therefore
//   also check a canary word at the bottom of every stack whenever its goroutine switches out.
// - Freed stacks return to the pool. When the pool holds more than `pool_trim` free stacks, a
//   worker about to sleep gives the memory of the oldest ones back to the kernel (madvise), so
//   a burst of a million goroutines does not stay resident once they exit.
//
// Thread safety: stack_pool is shared by all workers; its free list is behind a spinlock, and
// workers keep a small private cache (stack_cache) that they refill and flush in batches.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "config.hpp"
#include "spinlock.hpp"

#if GOCSP_ASAN
#include <sanitizer/lsan_interface.h>
#endif

namespace gocsp::detail {

inline std::size_t page_size() noexcept {
    static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

constexpr std::size_t round_up(std::size_t n, std::size_t to) noexcept { return (n + to - 1) / to * to; }

/// stack: one goroutine stack, usable from `bottom` (lowest address) up to bottom + size.
struct stack {
    char* bottom = nullptr;
    std::size_t size = 0;
    char* top() const noexcept { return bottom + size; }
};

/// The canary written at the bottom of each stack in debug builds.
inline constexpr std::uint64_t stack_canary = 0x60c5b57ac4ca9a27ULL;

[[noreturn]] inline void fatal_oom(const char* what) noexcept {
    std::fprintf(stderr, "fatal error: out of memory allocating %s\n", what);
    std::fflush(stderr);
    std::_Exit(2);
}

/// guard_budget: how many more stacks may get a guard page (shared by every pool).
inline std::atomic<long>& guard_budget() noexcept {
    static std::atomic<long> budget = [] {
        long max_maps = 65530;
        if (std::FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
            if (std::fscanf(f, "%ld", &max_maps) != 1) max_maps = 65530;
            std::fclose(f);
        }
        return max_maps / 4;
    }();
    return budget;
}

/// stack_pool: all stacks of one size.
class stack_pool {
public:
    static constexpr std::size_t pool_trim = 4096;

    explicit stack_pool(std::size_t stack_size) noexcept
        : size_(round_up(stack_size, page_size())), slot_(size_ + page_size()) {}

    std::size_t stack_size() const noexcept { return size_; }

    /// take: moves up to n free stacks into out (allocating new ones as needed); returns n.
    std::size_t take(stack* out, std::size_t n) noexcept {
        std::lock_guard<spinlock> hold(lock_);
        for (std::size_t i = 0; i < n; ++i) {
            if (!free_.empty()) {
                out[i] = stack{free_.back(), size_};
                free_.pop_back();
                if (trimmed_ > free_.size()) trimmed_ = free_.size();
            } else {
                out[i] = carve();
            }
        }
        return n;
    }

    /// give: returns n stacks to the pool.
    void give(const stack* in, std::size_t n) noexcept {
        std::lock_guard<spinlock> hold(lock_);
        for (std::size_t i = 0; i < n; ++i) free_.push_back(in[i].bottom);
    }

    /// trim: gives the memory of free stacks beyond `pool_trim` back to the kernel (they stay
    /// pooled, and read as zero pages when reused). Called by workers about to sleep, off any
    /// hot path: each madvise may cost a TLB shootdown.
    void trim() noexcept {
        std::vector<char*> batch;
        {
            std::lock_guard<spinlock> hold(lock_);
            if (free_.size() <= pool_trim + trimmed_) return;
            auto first = free_.begin() + static_cast<long>(trimmed_);
            auto last = free_.end() - static_cast<long>(pool_trim);
            batch.assign(first, last);
            free_.erase(first, last);
        }
        for (char* bottom : batch) ::madvise(bottom, size_, MADV_DONTNEED);
        std::lock_guard<spinlock> hold(lock_);
        std::size_t at = std::min(trimmed_, free_.size());
        free_.insert(free_.begin() + static_cast<long>(at), batch.begin(), batch.end());
        trimmed_ = at + batch.size();
    }

private:
    stack carve() noexcept {
        if (next_ == end_) {
            std::size_t count = std::max<std::size_t>(16, (std::size_t{64} << 20) / slot_);
            void* p = ::mmap(nullptr, count * slot_, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) fatal_oom("goroutine stacks");
#if GOCSP_ASAN
            // LeakSanitizer scans thread stacks, not these: without this, what only a parked
            // goroutine's stack points to would be reported as leaked at exit.
            __lsan_register_root_region(p, count * slot_);
#endif
            next_ = static_cast<char*>(p);
            end_ = next_ + count * slot_;
        }
        char* slot = next_;
        next_ += slot_;
        if (guard_budget().fetch_sub(1, std::memory_order_relaxed) > 0) {
            ::mprotect(slot, page_size(), PROT_NONE);
        }
        return stack{slot + page_size(), size_};
    }

    const std::size_t size_;  // usable bytes of each stack
    const std::size_t slot_;  // size_ plus the guard page
    spinlock lock_;           // protects everything below
    std::vector<char*> free_;  // a LIFO; the first trimmed_ entries were given back
    std::size_t trimmed_ = 0;
    char* next_ = nullptr;  // unused part of the newest slab
    char* end_ = nullptr;
};

/// stack_pools: one pool per stack size, created on first use and never destroyed.
inline stack_pool& pool_for(std::size_t stack_size) {
    static std::mutex lock;
    static auto* pools = new std::map<std::size_t, stack_pool*>();
    std::size_t size = round_up(stack_size, page_size());
    std::lock_guard<std::mutex> hold(lock);
    auto& slot = (*pools)[size];
    if (!slot) slot = new stack_pool(size);
    return *slot;
}

/// block_cache: a worker's private stock of blocks (stacks, g slots) of one pool, owner thread
/// only. Refills from and flushes to the shared pool in batches, so the pool's lock is taken
/// once per `batch` operations.
template <class Pool, class Item>
class block_cache {
public:
    static constexpr std::size_t capacity = 64;
    static constexpr std::size_t batch = 32;

    Item get(Pool& pool) noexcept {
        if (count_ == 0) count_ = pool.take(items_, batch);
        return items_[--count_];
    }
    /// peek: the block the next get() returns, if cached (for prefetching), else nullptr.
    const Item* peek() const noexcept { return count_ ? &items_[count_ - 1] : nullptr; }
    void put(Pool& pool, Item item) noexcept {
        if (count_ == capacity) {
            pool.give(items_ + (capacity - batch), batch);
            count_ -= batch;
        }
        items_[count_++] = item;
    }

private:
    Item items_[capacity];
    std::size_t count_ = 0;
};

using stack_cache = block_cache<stack_pool, stack>;

}  // namespace gocsp::detail
