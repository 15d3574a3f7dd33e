// gocsp/detail/stack.hpp - goroutine stacks: pooled, carved from large lazily committed slabs.
//
// Policy (see docs/design.md, "Stacks"):
// - A stack is a slot of a slab mapped with MAP_NORESERVE: the kernel commits a page only when it
//   is first touched, so a parked goroutine costs about one page however large its stack is.
// - Slabs are large (64 MiB or 16 slots, whichever is more), so a million stacks take a few
//   thousand memory mappings, far below the kernel's vm.max_map_count (65530 by default).
// - Guard regions: every slot reserves stack_guard_size bytes (128 KiB) below its stack, so an
//   overflow faults instead of running into the neighbouring slot, even by a frame of 64 KiB
//   compiled without stack-clash probes. Where the kernel has madvise(MADV_GUARD_INSTALL)
//   (Linux 6.13+), every slot's region is made a guard that way: guard markers live in the page
//   tables and split no mapping, so a million stacks are all guarded. Elsewhere the region is
//   made PROT_NONE with mprotect while a budget of a quarter of vm.max_map_count lasts (each
//   such guard splits a mapping, costing two); past the budget, new slots stay unguarded.
// - Freed stacks return to the pool. The pool keeps `pool_trim` of them warm; the memory of the
//   older ones goes back to the kernel (madvise), a bounded step at a time (trim_step: at most
//   trim_batch stacks, adjacent slots in one call), by workers that have nothing else to do and
//   stop between steps as soon as they are woken. So a burst of a million goroutines does not
//   stay resident once they exit, and giving its memory back delays no wake-up by more than a
//   step.
//
// Thread safety: stack_pool is shared by all workers; its free lists are behind a spinlock, and
// workers keep a small private cache (stack_cache) that they refill and flush in batches.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "config.hpp"
#include "fatal.hpp"
#include "spinlock.hpp"

#if GOCSP_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif

// Linux 6.13's guard-region advice (uapi asm-generic/mman-common.h); older C library headers lack it.
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
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

/// Bytes reserved below every stack as its guard region: an access there is a stack overflow.
/// A frame no larger than the region ends inside it at any depth, whatever part of the frame is
/// written first, even without stack-clash probes (twice the 64 KiB frame the runtime promises
/// to catch). With probes (-fstack-clash-protection, which the CMake target adds) a frame of any
/// size touches its pages in order and faults in the region's first page.
inline constexpr std::size_t stack_guard_size = 128 * 1024;

/// guard_madvise_supported: whether the kernel has madvise(MADV_GUARD_INSTALL) (Linux 6.13+),
/// probed once on a scratch mapping (older kernels answer EINVAL).
inline bool guard_madvise_supported() noexcept {
    static const bool supported = [] {
        const std::size_t page = page_size();
        void* p = ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return false;
        const bool ok = ::madvise(p, page, MADV_GUARD_INSTALL) == 0;
        ::munmap(p, 2 * page);
        return ok;
    }();
    return supported;
}

/// guard_budget: how many more stacks may get an mprotect guard (shared by every pool); used only
/// where the kernel lacks MADV_GUARD_INSTALL.
GOCSP_DECL std::atomic<long>& guard_budget() noexcept;
#if GOCSP_DEFINE_RUNTIME
GOCSP_DECL std::atomic<long>& guard_budget() noexcept {
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
#endif

/// stack_pool_stats: what a stack_pool has done so far (for tests and diagnostics).
struct stack_pool_stats {
    std::size_t carved = 0;      ///< slots carved from slabs (stacks that ever existed)
    std::size_t guarded = 0;     ///< of those, slots whose guard region is installed
    std::size_t warm = 0;        ///< free stacks whose memory is kept
    std::size_t trimmed = 0;     ///< free stacks whose memory went back to the kernel
    std::size_t given_back = 0;  ///< stacks whose memory went back to the kernel, in all
    std::size_t trim_calls = 0;  ///< madvise calls made to give it back
};

/// stack_pool: all stacks of one size.
class stack_pool {
public:
    /// Free stacks whose memory is kept for reuse; trimming gives back the memory of the others.
    static constexpr std::size_t pool_trim = 4096;
    /// Most stacks one trim_step gives back (its work, and so the delay of a wake-up, is bounded).
    static constexpr std::size_t trim_batch = 256;

    explicit stack_pool(std::size_t stack_size) noexcept
        : size_(round_up(stack_size, page_size())), slot_(size_ + stack_guard_size) {}

    std::size_t stack_size() const noexcept { return size_; }

    /// take: moves n stacks into out (warm free ones first, then trimmed ones, then new ones).
    std::size_t take(stack* out, std::size_t n) noexcept {
        std::lock_guard<spinlock> hold(lock_);
        for (std::size_t i = 0; i < n; ++i) {
            if (!warm_.empty()) {
                out[i] = stack{warm_.back(), size_};
                warm_.pop_back();
                warm_count_.store(warm_.size(), std::memory_order_relaxed);
            } else if (!trimmed_.empty()) {
                out[i] = stack{trimmed_.back(), size_};
                trimmed_.pop_back();
            } else {
                out[i] = carve();
            }
        }
        return n;
    }

    /// give: returns n stacks to the pool.
    void give(const stack* in, std::size_t n) noexcept {
        std::lock_guard<spinlock> hold(lock_);
        for (std::size_t i = 0; i < n; ++i) warm_.push_back(in[i].bottom);
        warm_count_.store(warm_.size(), std::memory_order_relaxed);
    }

    /// needs_trim: whether trim_step has work and nobody is doing it (a hint, read without the lock).
    bool needs_trim() const noexcept {
        return warm_count_.load(std::memory_order_relaxed) > pool_trim && !trimming_.load(std::memory_order_relaxed);
    }

    /// trim_step: gives the memory of up to trim_batch of the oldest warm stacks beyond
    /// `pool_trim` back to the kernel (they stay pooled, and read as zero pages when reused), in
    /// as few madvise calls as their addresses allow: a run of adjacent slots is one call (the
    /// guard regions inside the run keep their protection). One caller at a time: another
    /// returns false at once. Returns whether it gave anything back. Called by workers that found
    /// nothing to run, between looks for work: each madvise may cost a TLB shootdown.
    bool trim_step() noexcept {
        if (trimming_.exchange(true, std::memory_order_acquire)) return false;
        char* batch[trim_batch];
        std::size_t n;
        {
            std::lock_guard<spinlock> hold(lock_);
            if (warm_.size() <= pool_trim) {
                trimming_.store(false, std::memory_order_release);
                return false;
            }
            n = std::min(trim_batch, warm_.size() - pool_trim);
            std::copy(warm_.begin(), warm_.begin() + static_cast<long>(n), batch);
            warm_.erase(warm_.begin(), warm_.begin() + static_cast<long>(n));
            warm_count_.store(warm_.size(), std::memory_order_relaxed);
        }
        std::sort(batch, batch + n);
        std::size_t calls = 0;
        for (std::size_t i = 0; i < n;) {
            std::size_t j = i;
            while (j + 1 < n && batch[j + 1] == batch[j] + slot_) ++j;
            ::madvise(batch[i], static_cast<std::size_t>(batch[j] - batch[i]) + size_, MADV_DONTNEED);
            ++calls;
            i = j + 1;
        }
        {
            std::lock_guard<spinlock> hold(lock_);
            trimmed_.insert(trimmed_.end(), batch, batch + n);
            given_back_ += n;
            trim_calls_ += calls;
        }
        trimming_.store(false, std::memory_order_release);
        return true;
    }

    /// stats: a snapshot of the pool's counts.
    stack_pool_stats stats() noexcept {
        std::lock_guard<spinlock> hold(lock_);
        return {carved_, guarded_, warm_.size(), trimmed_.size(), given_back_, trim_calls_};
    }

private:
    stack carve() noexcept {
        if (next_ == end_) {
            std::size_t count = std::max<std::size_t>(16, (std::size_t{64} << 20) / slot_);
            void* p = ::mmap(nullptr, count * slot_, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) fatal_oom("goroutine stacks");
            next_ = static_cast<char*>(p);
            end_ = next_ + count * slot_;
        }
        char* slot = next_;
        next_ += slot_;
        ++carved_;
        if (guard_madvise_supported() && ::madvise(slot, stack_guard_size, MADV_GUARD_INSTALL) == 0) {
            ++guarded_;
        } else if (guard_budget().fetch_sub(1, std::memory_order_relaxed) > 0 &&
                   ::mprotect(slot, stack_guard_size, PROT_NONE) == 0) {
            ++guarded_;
        }
        return stack{slot + stack_guard_size, size_};
    }

    const std::size_t size_;  // usable bytes of each stack
    const std::size_t slot_;  // size_ plus the guard region
    spinlock lock_{lock_rank::stack_pool};  // protects everything below
    std::deque<char*> warm_;       // free stacks with their memory: a LIFO at the back, oldest first
    std::vector<char*> trimmed_;   // free stacks whose memory was given back
    std::size_t carved_ = 0;
    std::size_t guarded_ = 0;
    std::size_t given_back_ = 0;
    std::size_t trim_calls_ = 0;
    std::atomic<std::size_t> warm_count_{0};  // warm_.size(), for needs_trim
    std::atomic<bool> trimming_{false};       // a trim_step is under way
    char* next_ = nullptr;  // unused part of the newest slab
    char* end_ = nullptr;
};

/// stack_in_use / stack_free: AddressSanitizer's view of a goroutine stack, taken and given
/// back. A stack taken is unpoisoned whole (what ran on it before may have left poisoned frames).
/// And LeakSanitizer scans thread stacks, not these: without a root region, what only a parked
/// goroutine's stack points to would be reported as leaked at exit. So a stack is a root region
/// while a goroutine or a scheduler context runs on it, and only then: a scan reads the whole
/// region (256 KiB by default, mostly pages nobody touched, each a page fault; 4 ms a stack here,
/// 20 s at the exit of a program whose 5,000 goroutines had all ended), and the stale pointers of
/// a free stack would hide real leaks. The region is the stack alone: a guard region installed by
/// madvise reads as mapped, and a scan of it would fault. No-ops without AddressSanitizer.
inline void stack_in_use([[maybe_unused]] const stack& s) noexcept {
#if GOCSP_ASAN
    __asan_unpoison_memory_region(s.bottom, s.size);
    __lsan_register_root_region(s.bottom, s.size);
#endif
}
inline void stack_free([[maybe_unused]] const stack& s) noexcept {
#if GOCSP_ASAN
    __lsan_unregister_root_region(s.bottom, s.size);
#endif
}

/// pool_for: the pool of stacks of stack_size bytes (rounded up to pages). One pool per size,
/// created on first use and never destroyed.
GOCSP_DECL stack_pool& pool_for(std::size_t stack_size);
#if GOCSP_DEFINE_RUNTIME
GOCSP_DECL stack_pool& pool_for(std::size_t stack_size) {
    static std::mutex lock;
    static auto* pools = new std::map<std::size_t, stack_pool*>();
    std::size_t size = round_up(stack_size, page_size());
    std::lock_guard<std::mutex> hold(lock);
    auto& slot = (*pools)[size];
    if (!slot) slot = new stack_pool(size);
    return *slot;
}
#endif

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
