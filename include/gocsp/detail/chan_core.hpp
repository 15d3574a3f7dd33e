// gocsp/detail/chan_core.hpp - the channel algorithms and select, type-erased over the element.
//
// One chan_core serves every chan<T>: elements are handled through an elem_ops table (move,
// copy, destroy), with a memcpy path for trivially copyable types. The buffer follows the core
// in the same allocation.
//
// Invariants (under lock_), runtime rules 1-4:
// - At least one of recvq_ and sendq_ is empty, except when one goroutine selects on both a send
//   and a receive of the same channel.
// - count_ > 0 implies recvq_ holds no waiting plain receiver that could take a value; count_ <
//   cap_ implies sendq_ holds no waiting sender that could put one (buffered channels).
// - closed_ never goes back to false; once set, both queues are empty.
// - A waiter is linked in at most one queue; `linked` says whether. A select's waiters share one
//   select_state; exactly one party wins its `done` flag (compare-and-swap), and only the winner
//   touches the waiter's value or ready()s the goroutine.
// - Values move straight from a sender's object to a receiver's (direct hand-off) whenever one
//   side is waiting; the buffer is used only when nobody waits. FIFO order holds throughout.
//
// Lock contract: lock_ protects everything but refs_ and the atomic mirrors (count_, closed_,
// first pointers), which are written under lock_ and read without it by the non-blocking fast
// paths. Never call ready() while holding lock_ (runtime rule 3): collect, unlock, then wake.
// select locks several channels in address order, each once.
//
// Park contract: a blocking operation enqueues its waiter (on its own stack), then parks with
// the unlock as the after-switch step; the waker fills the waiter (value, success) under lock_,
// unlocks, then ready()s. The woken side reads only its own waiter afterwards.
#pragma once

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "../panic.hpp"
#include "scheduler.hpp"
#include "spinlock.hpp"

namespace gocsp::detail {

/// elem_ops: how a channel handles its element type.
///
/// Exception safety: everything run under the channel's lock is noexcept. chan<T> requires
/// (static_assert) that T's move constructor, move assignment and destructor cannot throw, so
/// the moves below never do; a copy runs under the lock only if it cannot throw either
/// (nothrow_copy). A copy that may throw is made by the sender before it takes any lock (the
/// send then moves from that copy), and T{} (assign_zero) runs only after unlocking.
struct elem_ops {
    std::size_t size;   // 0 for empty, trivially copyable types: no storage at all
    std::size_t align;
    bool trivial;       // trivially copyable: memcpy instead of the functions below
    bool nothrow_copy;  // copy construction and copy assignment are noexcept
    void (*move_construct)(void* dst, void* src) noexcept;
    void (*copy_construct)(void* dst, const void* src);  // nullptr if not copyable; may throw
    void (*move_assign)(void* dst, void* src) noexcept;
    void (*copy_assign)(void* dst, const void* src);     // nullptr if not copyable; may throw
    void (*destroy)(void* p) noexcept;
    void (*assign_zero)(void* p);                        // *p = T{}; may throw (T's constructor)
};

template <class T>
const elem_ops* elem_ops_for() noexcept {
    static_assert(std::is_nothrow_move_constructible_v<T> && std::is_nothrow_move_assignable_v<T> &&
                  std::is_nothrow_destructible_v<T>);
    constexpr bool empty = std::is_empty_v<T> && std::is_trivially_copyable_v<T>;
    static const elem_ops ops{
        empty ? 0 : sizeof(T),
        alignof(T),
        std::is_trivially_copyable_v<T>,
        std::is_nothrow_copy_constructible_v<T> && std::is_nothrow_copy_assignable_v<T>,
        [](void* d, void* s) noexcept { ::new (d) T(std::move(*static_cast<T*>(s))); },
        [] {
            if constexpr (std::is_copy_constructible_v<T>)
                return +[](void* d, const void* s) { ::new (d) T(*static_cast<const T*>(s)); };
            else
                return static_cast<void (*)(void*, const void*)>(nullptr);
        }(),
        [](void* d, void* s) noexcept { *static_cast<T*>(d) = std::move(*static_cast<T*>(s)); },
        [] {
            if constexpr (std::is_copy_assignable_v<T>)
                return +[](void* d, const void* s) { *static_cast<T*>(d) = *static_cast<const T*>(s); };
            else
                return static_cast<void (*)(void*, const void*)>(nullptr);
        }(),
        [](void* p) noexcept { static_cast<T*>(p)->~T(); },
        [](void* p) { *static_cast<T*>(p) = T{}; },
    };
    return &ops;
}

class chan_core;
struct select_state;
std::size_t select_impl(const struct select_case* cases, std::size_t n);
void unlock_all(void* arg) noexcept;

/// waiter: a goroutine (or thread) blocked on one channel (Go's sudog). Lives on its stack.
struct waiter {
    g* gp = nullptr;
    void* elem = nullptr;    // send: the value; receive: the destination object, or nullptr
    bool move = false;       // send: move from elem (else copy)
    bool success = false;    // set by the waker: true = done, false = woken by close
    bool linked = false;     // in a queue (under that channel's lock)
    select_state* sel = nullptr;  // shared by the waiters of one select
    std::uint32_t case_index = 0;
    waiter* prev = nullptr;
    waiter* next = nullptr;
};

/// select_state: what the waiters of one blocked select share.
struct select_state {
    std::atomic<std::uint32_t> done{0};  // won (0 -> 1) by exactly one waker
    waiter* winner = nullptr;            // written by the winner before ready()
};

/// waitq: a FIFO of waiters (under the channel's lock). `first` is mirrored atomically for the
/// lock-free emptiness checks.
class waitq {
public:
    bool empty_hint() const noexcept { return first_.load(std::memory_order_acquire) == nullptr; }

    void push(waiter* w) noexcept {
        w->next = nullptr;
        w->prev = last_;
        if (last_) last_->next = w; else first_.store(w, std::memory_order_release);
        last_ = w;
        w->linked = true;
    }

    void remove(waiter* w) noexcept {
        if (!w->linked) return;
        if (w->prev) w->prev->next = w->next; else first_.store(w->next, std::memory_order_release);
        if (w->next) w->next->prev = w->prev; else last_ = w->prev;
        w->linked = false;
        w->prev = w->next = nullptr;
    }

    /// pop: the first waiter that can still be woken (a select waiter must win its done flag;
    /// one whose select already completed elsewhere is dropped), or nullptr.
    waiter* pop() noexcept {
        for (;;) {
            waiter* w = first_.load(std::memory_order_relaxed);
            if (!w) return nullptr;
            remove(w);
            if (w->sel) {
                std::uint32_t expected = 0;
                if (!w->sel->done.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) continue;
                w->sel->winner = w;
            }
            return w;
        }
    }

private:
    std::atomic<waiter*> first_{nullptr};
    waiter* last_ = nullptr;
};

enum class try_recv_status { would_block, received, closed };

enum class case_kind : std::uint8_t { recv, send, default_case };

/// select_case: one case of a select (public as gocsp::select_case).
struct select_case {
    chan_core* ch;   // nullptr: a nil channel (never chosen) or the default case
    case_kind kind;
    void* elem;      // recv: destination or nullptr; send: the value
    bool* ok;        // recv: optional
    bool move;       // send: move the value (else copy)
};

/// max_alloc: the largest buffer a channel may have (Go's maxAlloc: 2^48 bytes on 64-bit
/// systems; PTRDIFF_MAX where that is smaller).
inline constexpr std::size_t max_alloc =
    static_cast<std::size_t>(std::min<std::uint64_t>(std::uint64_t{1} << 48, PTRDIFF_MAX));
/// max_chan_capacity: the largest capacity (Go's: the largest int).
inline constexpr std::size_t max_chan_capacity = PTRDIFF_MAX;

/// chan_capacity: the capacity make() is given for a capacity of any integer type. A negative
/// one (a computed size gone below zero) becomes SIZE_MAX, which make() rejects as Go does,
/// instead of wrapping around to a huge unsigned value that passes for a valid one.
template <std::integral I>
constexpr std::size_t chan_capacity(I n) noexcept {
    if constexpr (std::is_signed_v<I>) {
        if (n < 0) return SIZE_MAX;
    }
    const auto u = static_cast<std::uintmax_t>(n);
    return u > max_chan_capacity ? SIZE_MAX : static_cast<std::size_t>(u);
}

class GOCSP_API chan_core {
public:
    /// make: a channel of capacity slots. Throws panic_error("makechan: size out of range") if
    /// capacity > max_chan_capacity or the buffer would exceed max_alloc (Go's makechan).
    static chan_core* make(const elem_ops* ops, std::size_t capacity);
    void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
    }

    /// send: blocks until delivered; throws panic_error if closed.
    void send(void* v, bool move);
    /// recv: blocks until a value arrives (true) or the channel is closed and drained (false,
    /// dst = zero value). dst may be nullptr (discard).
    bool recv(void* dst);
    bool try_send(void* v, bool move);
    /// try_send_would_block: the lock-free first step of try_send (runtime rule 5): true if the
    /// channel is open and full (no buffer room, no receiver waiting), so try_send would return
    /// false. A hint: the answer may be stale by the time the caller acts on it.
    bool try_send_would_block() const noexcept { return !closed_.load(std::memory_order_acquire) && full_hint(); }
    try_recv_status try_recv(void* dst);
    void close();
    std::size_t len() const noexcept { return count_.load(std::memory_order_relaxed); }
    std::size_t cap() const noexcept { return cap_; }
    const elem_ops* ops() const noexcept { return ops_; }

    /// block_forever: an operation on a nil channel.
    [[noreturn]] static void block_forever(wait_reason reason);

    friend std::size_t select_impl(const select_case* cases, std::size_t n);
    friend void unlock_all(void* arg) noexcept;

private:
    chan_core(const elem_ops* ops, std::size_t capacity, void* buf) noexcept : ops_(ops), cap_(capacity), buf_(buf) {}
    void destroy() noexcept;  // out of line: the last release is cold

    // Helpers below: the channel must be locked.
    void* slot(std::size_t i) const noexcept { return static_cast<char*>(buf_) + i * ops_->size; }
    /// put: appends v (moved or copied) to the buffer, which has room.
    void put(void* v, bool move) noexcept;
    /// take: removes the oldest buffered value into dst (or destroys it if dst is nullptr).
    void take(void* dst) noexcept;
    /// transfer: assigns a sender's value to a receiver's destination (nullptr: discard).
    void transfer(void* dst, void* src, bool move) const noexcept;
    /// recv_from_sender: receives into dst with sender w waiting (unbuffered: from w directly;
    /// full buffer: the oldest value, and w's value takes the freed slot).
    void recv_from_sender(waiter* w, void* dst) noexcept;
    /// offer: sends v now if a receiver waits or the buffer has room (the channel is open).
    /// Returns whether it did; `wake` is then the receiver to ready() after unlocking, or null.
    bool offer(void* v, bool move, waiter*& wake) noexcept;
    /// poll: receives into dst now if a sender waits or the buffer holds a value. Returns
    /// whether it did; `wake` is then the sender to ready() after unlocking, or null.
    bool poll(void* dst, waiter*& wake) noexcept;
    bool full_hint() const noexcept { return cap_ == 0 ? recvq_.empty_hint() : len() == cap_; }
    bool empty_hint() const noexcept { return cap_ == 0 ? sendq_.empty_hint() : len() == 0; }

    alignas(cache_line) spinlock lock_{lock_rank::primitive};  // alone on its line: spinning waiters do not slow the holder
    alignas(cache_line) const elem_ops* ops_;
    const std::size_t cap_;
    void* const buf_;                        // cap_ slots (none if ops_->size == 0)
    std::size_t head_ = 0;                   // slot of the oldest value
    std::atomic<std::size_t> count_{0};      // values in the buffer
    std::atomic<bool> closed_{false};
    waitq recvq_;                            // blocked receivers
    waitq sendq_;                            // blocked senders
    alignas(cache_line) std::atomic<long> refs_{1};  // handles referring to this channel
};

// =============================================================================================
// Implementation
// =============================================================================================

#if GOCSP_DEFINE_RUNTIME

GOCSP_DECL chan_core* chan_core::make(const elem_ops* ops, std::size_t capacity) {
    const std::size_t align = std::max(ops->align, alignof(chan_core));
    const std::size_t header = round_up(sizeof(chan_core), ops->align);
    // Go's makechan: the buffer's size must not overflow and must stay below maxAlloc, and the
    // capacity must be an int (at most PTRDIFF_MAX, which also bounds an empty element's count).
    if (capacity > max_chan_capacity ||
        (ops->size != 0 && capacity > (max_alloc - header) / ops->size))
        throw panic_error("makechan: size out of range");
    const std::size_t bytes = header + capacity * ops->size;
    void* mem = ::operator new(bytes, std::align_val_t{align});
    return ::new (mem) chan_core(ops, capacity, static_cast<char*>(mem) + header);
}

GOCSP_NOINLINE GOCSP_DECL void chan_core::destroy() noexcept {
    std::size_t n = count_.load(std::memory_order_relaxed);
    if (!ops_->trivial) {
        for (std::size_t i = 0; i < n; ++i) ops_->destroy(slot((head_ + i) % cap_));
    }
    std::size_t align = std::max(ops_->align, alignof(chan_core));
    this->~chan_core();
    ::operator delete(static_cast<void*>(this), std::align_val_t{align});
}

GOCSP_DECL void chan_core::put(void* v, bool move) noexcept {
    std::size_t n = count_.load(std::memory_order_relaxed);
    std::size_t i = head_ + n;  // < 2 * cap_: a subtraction instead of a division
    void* dst = slot(i >= cap_ ? i - cap_ : i);
    if (ops_->trivial) std::memcpy(dst, v, ops_->size);
    else if (move) ops_->move_construct(dst, v);
    else ops_->copy_construct(dst, v);
    count_.store(n + 1, std::memory_order_release);
}

GOCSP_DECL void chan_core::take(void* dst) noexcept {
    void* src = slot(head_);
    if (ops_->trivial) {
        if (dst) std::memcpy(dst, src, ops_->size);
    } else {
        if (dst) ops_->move_assign(dst, src);
        ops_->destroy(src);
    }
    head_ = head_ + 1 == cap_ ? 0 : head_ + 1;
    count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_release);
}

GOCSP_DECL void chan_core::transfer(void* dst, void* src, bool move) const noexcept {
    if (!dst) return;
    if (ops_->trivial) std::memcpy(dst, src, ops_->size);
    else if (move) ops_->move_assign(dst, src);
    else ops_->copy_assign(dst, src);
}

GOCSP_DECL void chan_core::recv_from_sender(waiter* w, void* dst) noexcept {
    if (cap_ == 0) {
        transfer(dst, w->elem, w->move);
    } else {
        take(dst);
        put(w->elem, w->move);
    }
    w->success = true;
}

GOCSP_DECL bool chan_core::offer(void* v, bool move, waiter*& wake) noexcept {
    if (waiter* w = recvq_.pop()) {
        transfer(w->elem, v, move);
        w->success = true;
        wake = w;
        return true;
    }
    wake = nullptr;
    if (count_.load(std::memory_order_relaxed) < cap_) {
        put(v, move);
        return true;
    }
    return false;
}

GOCSP_DECL bool chan_core::poll(void* dst, waiter*& wake) noexcept {
    if (waiter* w = sendq_.pop()) {
        recv_from_sender(w, dst);
        wake = w;
        return true;
    }
    wake = nullptr;
    if (count_.load(std::memory_order_relaxed) > 0) {
        take(dst);
        return true;
    }
    return false;
}

/// wake_peer: readies the goroutine an operation completed with (if any), after unlocking.
GOCSP_DECL void wake_peer(waiter* w) noexcept {
    if (w) scheduler::get().ready(w->gp, true);
}

GOCSP_DECL void chan_core::send(void* v, bool move) {
    lock_.lock();
    if (closed_.load(std::memory_order_relaxed)) {
        lock_.unlock();
        throw panic_error("send on closed channel");
    }
    waiter* wake;
    if (offer(v, move, wake)) {
        lock_.unlock();
        wake_peer(wake);
        return;
    }
    waiter me;
    me.gp = current_g();
    me.elem = v;
    me.move = move;
    sendq_.push(&me);
    scheduler::get().park(wait_reason::chan_send, &unlock_spinlock, &lock_);
    if (!me.success) throw panic_error("send on closed channel");
}

GOCSP_DECL bool chan_core::recv(void* dst) {
    lock_.lock();
    waiter* wake;
    if (poll(dst, wake)) {
        lock_.unlock();
        wake_peer(wake);
        return true;
    }
    if (closed_.load(std::memory_order_relaxed)) {
        lock_.unlock();
        if (dst) ops_->assign_zero(dst);
        return false;
    }
    waiter me;
    me.gp = current_g();
    me.elem = dst;
    recvq_.push(&me);
    scheduler::get().park(wait_reason::chan_receive, &unlock_spinlock, &lock_);
    if (!me.success && dst) ops_->assign_zero(dst);
    return me.success;
}

GOCSP_DECL bool chan_core::try_send(void* v, bool move) {
    // Fast path (runtime rule 5): "not closed" then "full"; a channel never reopens.
    if (try_send_would_block()) return false;
    lock_.lock();
    if (closed_.load(std::memory_order_relaxed)) {
        lock_.unlock();
        throw panic_error("send on closed channel");
    }
    waiter* wake;
    const bool sent = offer(v, move, wake);
    lock_.unlock();
    wake_peer(wake);
    return sent;
}

GOCSP_DECL try_recv_status chan_core::try_recv(void* dst) {
    // Fast path (runtime rule 5): "empty", then "closed", then "empty" again.
    if (empty_hint()) {
        if (!closed_.load(std::memory_order_acquire)) return try_recv_status::would_block;
        if (empty_hint()) {
            if (dst) ops_->assign_zero(dst);
            return try_recv_status::closed;
        }
    }
    lock_.lock();
    waiter* wake;
    const bool received = poll(dst, wake);
    const bool closed = closed_.load(std::memory_order_relaxed);
    lock_.unlock();
    wake_peer(wake);
    if (received) return try_recv_status::received;
    if (!closed) return try_recv_status::would_block;
    if (dst) ops_->assign_zero(dst);
    return try_recv_status::closed;
}

GOCSP_DECL void chan_core::close() {
    lock_.lock();
    if (closed_.load(std::memory_order_relaxed)) {
        lock_.unlock();
        throw panic_error("close of closed channel");
    }
    closed_.store(true, std::memory_order_release);
    // Take every waiter off both queues (success stays false), then wake them unlocked.
    waiter* wake = nullptr;
    for (waitq* q : {&recvq_, &sendq_}) {
        while (waiter* w = q->pop()) {
            w->success = false;
            w->next = wake;
            wake = w;
        }
    }
    lock_.unlock();
    scheduler& s = scheduler::get();
    while (wake) {
        waiter* w = wake;
        wake = w->next;  // read before ready(): w lives on a stack that may run on at once
        s.ready(w->gp, false);
    }
}

GOCSP_DECL void chan_core::block_forever(wait_reason reason) {
    scheduler::get().park(reason, nullptr, nullptr);
    fatal("gocsp: internal error: a goroutine blocked forever was woken");
}

// =============================================================================================
// select
// =============================================================================================

/// fastrand: a random number for the caller's goroutine (never cached across a switch).
GOCSP_NOINLINE GOCSP_DECL std::uint32_t fastrand() noexcept {
    if (worker* w = current_worker()) return w->next_random();
    thread_local xorshift64 rng;  // a plain thread's own
    return rng.next();
}

/// small_buffer: n objects on the stack when few, on the heap otherwise.
template <class T, std::size_t Inline = 8>
class small_buffer {
public:
    explicit small_buffer(std::size_t n) : data_(n <= Inline ? local_ : (heap_ = std::make_unique<T[]>(n)).get()) {}
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    T* data() noexcept { return data_; }

private:
    T local_[Inline];
    std::unique_ptr<T[]> heap_;
    T* data_;
};

/// lock_set: the distinct channels of a select, in address order.
struct lock_set {
    chan_core** chans;
    std::size_t n;
};

/// unlock_all: the after-switch step of a parking select. The parked goroutine cannot leave
/// select before it relocks every channel, so its lock_set stays valid until the last unlock;
/// nothing is read after that (runtime rule 7).
GOCSP_DECL void unlock_all(void* arg) noexcept {
    auto* set = static_cast<lock_set*>(arg);
    chan_core** chans = set->chans;
    const std::size_t n = set->n;
    for (std::size_t i = 0; i < n; ++i) {
        spinlock& l = chans[i]->lock_;
        if (i + 1 == n) {
            l.unlock();
            return;
        }
        l.unlock();
    }
}

/// send_copy: the value of a send case copied before select takes any lock, for an element type
/// whose copy may throw (the case then moves from the copy). Heap storage for one element.
class send_copy {
public:
    send_copy() noexcept = default;
    send_copy(const send_copy&) = delete;
    send_copy& operator=(const send_copy&) = delete;
    ~send_copy() {
        if (p_) {
            ops_->destroy(p_);
            ::operator delete(p_, std::align_val_t{ops_->align});
        }
    }
    /// make: copies *src; if the copy throws, nothing is left behind.
    void* make(const elem_ops* ops, const void* src) {
        void* p = ::operator new(ops->size, std::align_val_t{ops->align});
        try {
            ops->copy_construct(p, src);
        } catch (...) {
            ::operator delete(p, std::align_val_t{ops->align});
            throw;
        }
        ops_ = ops;
        p_ = p;
        return p;
    }

private:
    const elem_ops* ops_ = nullptr;
    void* p_ = nullptr;
};

/// copies_first: whether a case sends an lvalue whose copy may throw (it must not be copied
/// under the channel's lock).
GOCSP_DECL bool copies_first(const select_case& c) noexcept {
    return c.kind == case_kind::send && c.ch && !c.move && !c.ch->ops()->trivial && !c.ch->ops()->nothrow_copy;
}

/// send_copies: a select's copies of the values its send cases would otherwise copy under a
/// channel's lock although the copy may throw (see copies_first), and its cases rewritten to
/// move from them. Empty (and free) unless make() is called.
class send_copies {
public:
    /// make: copies those values - if a copy throws, no channel has been touched - and returns
    /// the rewritten cases. (Go, too, evaluates a send case's value on entering select.)
    GOCSP_NOINLINE const select_case* make(const select_case* cases, std::size_t n) {
        cases_.assign(cases, cases + n);
        copies_ = std::make_unique<send_copy[]>(n);
        for (std::size_t i = 0; i < n; ++i) {
            select_case& c = cases_[i];
            if (!copies_first(c)) continue;
            c.elem = copies_[i].make(c.ch->ops(), c.elem);
            c.move = true;
        }
        return cases_.data();
    }

private:
    std::vector<select_case> cases_;
    std::unique_ptr<send_copy[]> copies_;
};

GOCSP_DECL std::size_t select_impl(const select_case* cases, std::size_t n) {
    send_copies copies;
    for (std::size_t i = 0; i < n; ++i) {
        if (GOCSP_UNLIKELY(copies_first(cases[i]))) {
            cases = copies.make(cases, n);
            break;
        }
    }
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    std::size_t default_index = none;
    std::size_t real = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (cases[i].kind == case_kind::default_case) {
            if (default_index != none) throw std::invalid_argument("gocsp::select: more than one default case");
            default_index = i;
        } else if (cases[i].ch) {
            ++real;
        }
    }
    if (real == 0) {
        if (default_index != none) return default_index;
        chan_core::block_forever(wait_reason::select_no_cases);
    }

    // Poll order: a uniform shuffle of the live cases (runtime rule 9).
    small_buffer<std::uint32_t, 16> order(real);
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (cases[i].kind == case_kind::default_case || !cases[i].ch) continue;
        std::size_t j = fastrand() % (k + 1);
        order[k] = order[j];
        order[j] = static_cast<std::uint32_t>(i);
        ++k;
    }
    // Lock order: distinct channels by address (runtime rule 10).
    small_buffer<chan_core*, 16> chans(real);
    for (std::size_t i = 0; i < real; ++i) chans[i] = cases[order[i]].ch;
    std::sort(chans.data(), chans.data() + real);
    std::size_t nchans = static_cast<std::size_t>(std::unique(chans.data(), chans.data() + real) - chans.data());
    lock_set locks{chans.data(), nchans};
    auto lock_all = [&] {
        for (std::size_t i = 0; i < nchans; ++i) chans[i]->lock_.lock();
    };
    auto unlock_each = [&] {
        for (std::size_t i = 0; i < nchans; ++i) chans[i]->lock_.unlock();
    };

    lock_all();

    // Pass 1: the first ready case in poll order runs.
    for (std::size_t p = 0; p < real; ++p) {
        const std::size_t i = order[p];
        const select_case& c = cases[i];
        chan_core* ch = c.ch;
        waiter* wake;
        if (c.kind == case_kind::recv) {
            if (ch->poll(c.elem, wake)) {
                unlock_each();
                wake_peer(wake);
                if (c.ok) *c.ok = true;
                return i;
            }
            if (ch->closed_.load(std::memory_order_relaxed)) {
                unlock_each();
                if (c.elem) ch->ops_->assign_zero(c.elem);
                if (c.ok) *c.ok = false;
                return i;
            }
        } else {
            if (ch->closed_.load(std::memory_order_relaxed)) {
                unlock_each();
                throw panic_error("send on closed channel");
            }
            if (ch->offer(c.elem, c.move, wake)) {
                unlock_each();
                wake_peer(wake);
                return i;
            }
        }
    }
    if (default_index != none) {
        unlock_each();
        return default_index;
    }

    // Pass 2: wait on every channel at once (runtime rule 11).
    select_state state;
    small_buffer<waiter, 8> waiters(real);
    g* self = current_g();
    for (std::size_t p = 0; p < real; ++p) {
        const std::size_t i = order[p];
        const select_case& c = cases[i];
        waiter& w = waiters[p];
        w.gp = self;
        w.elem = c.elem;
        w.move = c.move;
        w.sel = &state;
        w.case_index = static_cast<std::uint32_t>(i);
        (c.kind == case_kind::recv ? c.ch->recvq_ : c.ch->sendq_).push(&w);
    }
    scheduler::get().park(wait_reason::select, &unlock_all, &locks);

    // Pass 3: take the losing waiters off their queues.
    lock_all();
    for (std::size_t p = 0; p < real; ++p) {
        waiter& w = waiters[p];
        if (&w == state.winner) continue;
        const select_case& c = cases[w.case_index];
        (c.kind == case_kind::recv ? c.ch->recvq_ : c.ch->sendq_).remove(&w);
    }
    unlock_each();

    waiter* won = state.winner;
    const select_case& c = cases[won->case_index];
    if (c.kind == case_kind::send) {
        if (!won->success) throw panic_error("send on closed channel");
    } else {
        if (!won->success && c.elem) c.ch->ops_->assign_zero(c.elem);
        if (c.ok) *c.ok = won->success;
    }
    return won->case_index;
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
