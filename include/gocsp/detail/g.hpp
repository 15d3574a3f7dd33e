// gocsp/detail/g.hpp - the record of one goroutine (or of a plain thread that blocks in gocsp).
//
// A goroutine's record lives in a fixed-size slot (g_slot_size bytes) together with the closure
// it runs, when that fits. Slots are recycled through per-worker caches. The stack is not taken
// at spawn but when the goroutine first runs: a goroutine still queued costs only its slot, and
// a burst of spawns reuses the stacks of goroutines that already finished instead of touching
// fresh pages (a page fault costs microseconds).
//
// A plain OS thread (a std::thread) that blocks on a gocsp primitive has a record too, in
// thread-local storage, with `thread` set: parking blocks the thread on `event` instead of
// switching stacks. main()'s thread has such a record (id 1) as well, but once the runtime runs,
// main is `pinned`: it parks by switching to the main thread's own worker m0 (scheduler.hpp),
// which runs goroutines meanwhile. Primitives see no difference.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "context.hpp"
#include "futex.hpp"
#include "spinlock.hpp"
#include "stack.hpp"
#include "../source_location.hpp"

namespace gocsp::detail {

/// g_status: the life of a g. Transitions: idle -> runnable (spawn) -> running <-> runnable
/// (yield, preempting nothing) ; running -> waiting (park) -> runnable (ready) ; running -> dead.
enum class g_status : std::uint8_t {
    idle,      // being set up
    runnable,  // in a run queue, or about to be
    running,   // on a worker (or, for a thread record, not parked)
    waiting,   // parked: only ready() makes it runnable again
    dead,      // finished; its stack is back in the pool
};

/// wait_reason: why a g is waiting, as shown in goroutine dumps (Go's words).
enum class wait_reason : std::uint8_t {
    none,
    chan_send,        // "chan send"
    chan_receive,     // "chan receive"
    select,           // "select"
    select_no_cases,  // "select (no cases)"
    sleep,            // "sleep"
    io_wait,          // "IO wait"
    wait_group,       // "sync.WaitGroup.Wait"
    blocking_call,    // "blocking call"
    chan_send_nil,    // "chan send (nil chan)"
    chan_receive_nil, // "chan receive (nil chan)"
    sync_mutex_lock,    // "sync.Mutex.Lock"
    sync_rwmutex_rlock, // "sync.RWMutex.RLock"
    sync_rwmutex_lock,  // "sync.RWMutex.Lock"
    sync_cond_wait,     // "sync.Cond.Wait"
    semacquire,         // "semacquire"
};

inline const char* to_string(g_status s) noexcept {
    switch (s) {
        case g_status::idle: return "idle";
        case g_status::runnable: return "runnable";
        case g_status::running: return "running";
        case g_status::waiting: return "waiting";
        case g_status::dead: return "dead";
    }
    return "?";
}

inline const char* to_string(wait_reason r) noexcept {
    switch (r) {
        case wait_reason::none: return "";
        case wait_reason::chan_send: return "chan send";
        case wait_reason::chan_receive: return "chan receive";
        case wait_reason::select: return "select";
        case wait_reason::select_no_cases: return "select (no cases)";
        case wait_reason::sleep: return "sleep";
        case wait_reason::io_wait: return "IO wait";
        case wait_reason::wait_group: return "sync.WaitGroup.Wait";
        case wait_reason::blocking_call: return "blocking call";
        case wait_reason::chan_send_nil: return "chan send (nil chan)";
        case wait_reason::chan_receive_nil: return "chan receive (nil chan)";
        case wait_reason::sync_mutex_lock: return "sync.Mutex.Lock";
        case wait_reason::sync_rwmutex_rlock: return "sync.RWMutex.RLock";
        case wait_reason::sync_rwmutex_lock: return "sync.RWMutex.Lock";
        case wait_reason::sync_cond_wait: return "sync.Cond.Wait";
        case wait_reason::semacquire: return "semacquire";
    }
    return "?";
}

struct g {
    context ctx;                              // where it resumes (goroutines only)
    std::uint64_t id = 0;                     // 1 is main, as in Go
    std::atomic<g_status> status{g_status::idle};
    std::atomic<wait_reason> reason{wait_reason::none};  // valid while waiting
    std::atomic<std::int64_t> wait_since{0};  // coarse nanotime of the park; read by dumps racing the owner
    bool thread = false;                      // a plain thread's record: parks on `event`
    bool pinned = false;                      // main's record once main runs on worker m0: parks by switching, runs only there
    void (*run)(g*) = nullptr;                // runs the closure, then destroys it
    void* closure = nullptr;                  // in this g's slot, or on the heap
    std::uint32_t closure_heap_align = 0;     // 0: in the slot; else heap-allocated with it
    stack stk;                                // empty until the goroutine first runs
    stack_pool* pool = nullptr;               // where stk comes from and goes back to
    source_location created_at;               // the `go` statement that started it
    thread_event event;                       // thread records only
    long tid = 0;                             // thread records only: the OS thread id
};

/// Size of the slot holding a g and, if it fits, its closure.
inline constexpr std::size_t g_slot_size = 256;
static_assert(sizeof(g) + 64 <= g_slot_size, "a g slot must leave room for small closures");

/// g_slot_pool: the shared stock of g slots, carved from 64 KiB chunks that are never freed.
class g_slot_pool {
public:
    std::size_t take(void** out, std::size_t n) noexcept {
        std::lock_guard<spinlock> hold(lock_);
        for (std::size_t i = 0; i < n; ++i) {
            if (!free_.empty()) {
                out[i] = free_.back();
                free_.pop_back();
                continue;
            }
            if (next_ == end_) {
                next_ = static_cast<char*>(::operator new(chunk_size, std::align_val_t{64}, std::nothrow));
                if (!next_) fatal_oom("goroutine records");
                // Construct every slot's g now (status idle: skipped by for_each); a slot's g
                // lives as long as the process and is only reset when reused.
                for (std::size_t off = 0; off + g_slot_size <= chunk_size; off += g_slot_size) ::new (next_ + off) g();
                end_ = next_ + chunk_size;
                chunks_.push_back(next_);
            }
            out[i] = next_;
            next_ += g_slot_size;
        }
        return n;
    }
    void give(void* const* in, std::size_t n) noexcept {
        std::lock_guard<spinlock> hold(lock_);
        for (std::size_t i = 0; i < n; ++i) free_.push_back(in[i]);
    }

    /// for_each: calls f(g*) for every goroutine that exists now (started, not yet dead). A
    /// snapshot for dumps and leak checks: goroutines may start or end meanwhile.
    template <class F>
    void for_each(F&& f) const {
        std::vector<char*> chunks;
        {
            std::lock_guard<spinlock> hold(lock_);
            chunks = chunks_;
        }
        for (char* c : chunks) {
            for (std::size_t off = 0; off + g_slot_size <= chunk_size; off += g_slot_size) {
                g* gp = reinterpret_cast<g*>(c + off);
                g_status st = gp->status.load(std::memory_order_acquire);
                if (st == g_status::runnable || st == g_status::running || st == g_status::waiting) f(gp);
            }
        }
    }

private:
    static constexpr std::size_t chunk_size = 64 * 1024;
    mutable spinlock lock_{lock_rank::gslot_pool};  // protects everything below
    std::vector<void*> free_;
    std::vector<char*> chunks_;  // every chunk ever carved
    char* next_ = nullptr;
    char* end_ = nullptr;
};

using g_slot_cache = block_cache<g_slot_pool, void*>;

}  // namespace gocsp::detail
