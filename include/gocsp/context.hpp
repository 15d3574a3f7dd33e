/// \file
/// gocsp/context.hpp - Go's context package: cancellation, deadlines and request-scoped values
/// that flow down a tree of calls and goroutines.
///
///     auto [ctx, cancel] = gocsp::with_timeout(gocsp::background(), std::chrono::seconds(2));
///     gocsp::go([ctx = ctx, results] {           // a context is a cheap shared handle: copy it
///         for (;;) {
///             switch (gocsp::select(gocsp::recv_case(ctx.done()),
///                                   gocsp::send_case(results, next()))) {
///                 case 0: return;                // cancelled, or two seconds passed
///                 case 1: break;
///             }
///         }
///     });
///     ...
///     cancel();                                  // as Go's `defer cancel()`: always call it
///     if (ctx.err() == gocsp::context::canceled) ...
///
/// A context is a handle to an immutable node of a tree: background() (or todo()) is the root;
/// with_cancel, with_deadline, with_timeout and with_value make children. A child is done when
/// its own cancel function is called, its deadline passes, or its parent is done - whichever
/// comes first; err() then says why, once and for good. done() is a channel closed at that
/// moment: receive on it, or put it in a select (`recv_case(ctx.done())`). The root never ends:
/// its done() is the nil channel, which select never picks.
///
/// Lifetimes: a child holds its parent; a parent only knows its children weakly. Dropping every
/// handle of a child (its context copies, its cancel function, its children) frees it at once,
/// stops its timer, and removes it from its parent: unlike Go, forgetting to cancel leaks
/// nothing. Call cancel anyway as soon as the work is done: it releases the timer and wakes
/// whoever waits on done() - exactly Go's `defer cancel()`.
///
/// Threads: every operation is safe from any goroutine or plain thread, concurrently. A context
/// may be waited on from a plain thread too (where a goroutine parks, the thread blocks).
///
/// Context-aware blocking (each documented where it is declared):
///   gocsp::sleep_for(ctx, d), sleep_until(ctx, t)   here: return ctx.err() if cut short
///   gocsp::blocking(ctx, f)                         blocking.hpp: throws ctx.err()
///   net::dial(ctx, ...), conn::read(ctx, ...),      net.hpp: throw net::error of kind canceled
///   conn::write(ctx, ...), listener::accept(ctx)    ("operation was canceled") or timeout
///                                                   ("i/o timeout"), as Go's net does
///   gocsp::errgroup                                 errgroup.hpp
///
// Invariants of a cancelable node (detail::cancel_node), under its mutex `mu`:
//   - err goes from none to canceled or deadline_exceeded once; done_ch is closed after the
//     hooks below have run, before mu is released: whoever sees done_ch closed sees err set,
//     and every descendant ended. err() also reads the ancestors' err: a child whose parent
//     has ended reports the parent's error even while the parent's cancel is still reaching it.
//   - hooks holds what must run when the node is cancelled: its cancelable children and
//     internal callbacks (net's wake-ups). The cancel that sets err takes every hook out and
//     runs it, still under mu (a child's cancel then takes the child's mu: locks are only ever
//     taken parent first). A hook's owner unlinks it under mu; once that returns, the hook
//     is not running and will not run.
//   - The deadline timer (with_deadline) is armed under mu only while err is none, and
//     stopped by the cancel that sets err. It refers to its node weakly: a node whose handles
//     are all gone is destroyed, its destructor stops the timer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "chan.hpp"
#include "select.hpp"
#include "time.hpp"

namespace gocsp {

namespace detail {
/// ctx_code: why a context ended, or none while it lives.
enum class ctx_code : std::uint8_t { none, canceled, deadline_exceeded };
struct ctx_node;
struct cancel_node;
}  // namespace detail

/// context_error: Go's context error: empty (false) while the context lives, then
/// context::canceled ("context canceled") or context::deadline_exceeded ("context deadline
/// exceeded"). A value, cheap to copy and compare; also an exception, so that calls that have
/// no error to return (blocking(ctx, f)) throw it:
///
///     if (auto err = ctx.err()) std::puts(err.what());
///     if (ctx.err() == gocsp::context::deadline_exceeded) ...   // Go's errors.Is
///     try { gocsp::blocking(ctx, f); } catch (const gocsp::context_error& e) { ... }
class context_error : public std::exception {
public:
    /// context_error(): no error (false).
    context_error() noexcept = default;
    /// operator bool: whether there is an error (Go's err != nil).
    explicit operator bool() const noexcept { return code_ != detail::ctx_code::none; }
    /// what: Go's text: "context canceled", "context deadline exceeded", or "" for no error.
    const char* what() const noexcept override {
        switch (code_) {
            case detail::ctx_code::canceled: return "context canceled";
            case detail::ctx_code::deadline_exceeded: return "context deadline exceeded";
            default: return "";
        }
    }
    /// timeout: whether this is deadline_exceeded (Go's DeadlineExceeded.Timeout()).
    bool timeout() const noexcept { return code_ == detail::ctx_code::deadline_exceeded; }
    /// operator==: the same error (or both none).
    friend bool operator==(const context_error& a, const context_error& b) noexcept { return a.code_ == b.code_; }

private:
    friend struct detail::cancel_node;
    friend class context;
    explicit context_error(detail::ctx_code c) noexcept : code_(c) {}
    detail::ctx_code code_ = detail::ctx_code::none;
};

/// context_key<T>: a key for with_value and context::value, whose values are of type T. Keys
/// compare by identity (the object's address), as Go's unexported key types do, so two
/// packages cannot collide: declare one object per key, e.g.
///     inline const gocsp::context_key<std::string> user_key{"user"};
/// Not copyable (a copy would be another key).
template <class T>
class context_key {
public:
    /// context_key(name): a new key; the name is for humans only (debugging).
    explicit constexpr context_key(const char* name = "") noexcept : name_(name) {}
    context_key(const context_key&) = delete;
    context_key& operator=(const context_key&) = delete;
    /// name: the name given at construction.
    constexpr const char* name() const noexcept { return name_; }

private:
    const char* name_;
};

/// context: Go's context.Context - a cheap, copyable, thread-safe handle (see the top of this
/// file). A default-constructed context is background().
class context {
public:
    /// context(): background() - never done, no deadline, no values.
    context() noexcept = default;

    /// done: a channel closed when the context ends (Go's Done()), for select's recv_case or a
    /// plain recv. The nil channel for background() and its value-only children, which never
    /// end (a select never picks it).
    recv_chan<empty> done() const noexcept;
    /// err: false (no error) while the context lives; after, why it ended: context::canceled or
    /// context::deadline_exceeded (Go's Err()). Never changes once set.
    context_error err() const noexcept;
    /// deadline: when the context ends by itself, if it does: the earliest deadline of this
    /// context and its ancestors (Go's Deadline()); std::nullopt if none.
    std::optional<time::time_point> deadline() const noexcept { return deadline_; }
    /// value: the value the nearest with_value of this context or an ancestor gave key (Go's
    /// Value(key)), or nullptr if none did. The pointee lives as long as any handle to this
    /// context (or to a context derived from it) does. Values are shared, not copied: make T
    /// thread-safe to read, or immutable.
    template <class T>
    const T* value(const context_key<T>& key) const noexcept;

    /// canceled: the error of a context cancelled by its cancel function or its parent (Go's
    /// context.Canceled).
    static const context_error canceled;
    /// deadline_exceeded: the error of a context whose deadline passed (Go's
    /// context.DeadlineExceeded).
    static const context_error deadline_exceeded;

private:
    friend struct detail::ctx_node;
    friend class cancel_func;
    template <class T, class V>
    friend context with_value(const gocsp::context& parent, const context_key<T>& key, V&& v);
    friend class detail_access;

    std::shared_ptr<detail::ctx_node> node_;  // null: background
    detail::cancel_node* canceler_ = nullptr;  // the nearest cancelable node (in node_'s chain)
    std::optional<time::time_point> deadline_;
};

inline const context_error context::canceled{detail::ctx_code::canceled};
inline const context_error context::deadline_exceeded{detail::ctx_code::deadline_exceeded};

/// cancel_func: Go's CancelFunc: calling it cancels its context (and every context derived
/// from it) with context::canceled. Calling it again, or after the context ended otherwise,
/// does nothing. Copyable; safe from any thread. It keeps its context's node alive (so that
/// goroutines still waiting on its done() are woken): drop it when done.
class cancel_func {
public:
    /// cancel_func(): does nothing when called.
    cancel_func() noexcept = default;
    /// operator(): cancels (never blocks, never throws).
    void operator()() const noexcept;

private:
    friend class detail_access;
    explicit cancel_func(std::shared_ptr<detail::cancel_node> n) noexcept : node_(std::move(n)) {}
    std::shared_ptr<detail::cancel_node> node_;
};

/// context_with_cancel: what with_cancel, with_deadline and with_timeout return:
/// `auto [ctx, cancel] = gocsp::with_cancel(parent);` (Go's `ctx, cancel := ...`).
struct context_with_cancel {
    /// ctx: the new context.
    context ctx;
    /// cancel: cancels ctx.
    cancel_func cancel;
};

/// background: the root context (Go's context.Background()): never done, no deadline, no
/// values. Costs nothing (a null handle).
inline context background() noexcept { return context(); }

/// todo: the same as background(), for code not yet given a context (Go's context.TODO()).
inline context todo() noexcept { return context(); }

/// with_cancel: a child of parent that ends when cancel is called or parent ends (Go's
/// WithCancel). If parent has already ended, so has the child, with parent's error.
inline context_with_cancel with_cancel(const gocsp::context& parent);

/// with_deadline: a child of parent that also ends, with context::deadline_exceeded, at d (a
/// time_point of any clock; Go's WithDeadline). A parent deadline earlier than d stays in
/// force (the child is then a with_cancel). A d already passed gives a child already ended.
template <class Clock, class Duration>
context_with_cancel with_deadline(const gocsp::context& parent, std::chrono::time_point<Clock, Duration> d);

/// with_timeout: with_deadline(parent, now + timeout) (Go's WithTimeout). A timeout of zero
/// or less gives a child already ended; one too long to represent never fires.
template <class Rep, class Period>
context_with_cancel with_timeout(const gocsp::context& parent, std::chrono::duration<Rep, Period> timeout);

/// with_value: a child of parent in which value(key) is v (converted to T), and every other
/// key as in parent (Go's WithValue). It ends when parent ends. Throws what constructing T
/// throws, or std::bad_alloc.
template <class T, class V>
context with_value(const gocsp::context& parent, const context_key<T>& key, V&& v);

/// sleep_for: pauses the caller for d, or until ctx ends if that comes first. Returns false
/// (no error) after a full sleep, ctx.err() when cut short - also at once, without sleeping,
/// if ctx has already ended. Go's idiom
///     select { case <-time.After(d): case <-ctx.Done(): return ctx.Err() }
/// with its timer stopped on the way out (nothing left pending).
template <class Rep, class Period>
[[nodiscard]] context_error sleep_for(const gocsp::context& ctx, std::chrono::duration<Rep, Period> d);

/// sleep_until: as sleep_for(ctx, t - now), for a time_point t of any clock.
template <class Clock, class Duration>
[[nodiscard]] context_error sleep_until(const gocsp::context& ctx, std::chrono::time_point<Clock, Duration> t);

// =============================================================================================
// Implementation
// =============================================================================================

namespace detail {

/// ctx_hook: something to run when a cancel_node is cancelled: a child's cancel or an
/// internal callback. Linked into the node's list under its mutex; `fire` runs under it.
struct ctx_hook {
    void (*fire)(ctx_hook*, ctx_code) noexcept = nullptr;
    void* arg = nullptr;
    ctx_hook* prev = nullptr;
    ctx_hook* next = nullptr;
    bool linked = false;  // under the mutex of the node it is (or was) linked to
};

/// ctx_node: one node of a context tree. parent never changes. Value nodes set key (the
/// context_key's address) and are value_node<T>.
struct ctx_node {
    std::shared_ptr<ctx_node> parent;
    const void* key = nullptr;

    explicit ctx_node(std::shared_ptr<ctx_node> p) noexcept : parent(std::move(p)) {}
    ctx_node(const ctx_node&) = delete;
    ctx_node& operator=(const ctx_node&) = delete;
};

/// value_node: a with_value node.
template <class T>
struct value_node final : ctx_node {
    T value;
    template <class V>
    value_node(std::shared_ptr<ctx_node> p, const void* k, V&& v) : ctx_node(std::move(p)), value(std::forward<V>(v)) {
        key = k;
    }
};

/// cancel_node: a with_cancel / with_deadline node (see the invariants at the top).
struct cancel_node final : ctx_node {
    std::mutex mu;
    std::atomic<ctx_code> err{ctx_code::none};  // written under mu; read without it
    chan<empty> done_ch{0};
    ctx_hook* hooks = nullptr;              // under mu
    std::optional<time::timer> deadline_timer;  // under mu
    cancel_node* parent_canceler;           // the nearest cancelable ancestor, or null
    ctx_hook in_parent;                     // this node's hook in parent_canceler

    cancel_node(std::shared_ptr<ctx_node> p, cancel_node* pc) noexcept : ctx_node(std::move(p)), parent_canceler(pc) {
        in_parent.fire = [](ctx_hook* h, ctx_code c) noexcept { static_cast<cancel_node*>(h->arg)->cancel(c, false); };
        in_parent.arg = this;
    }
    ~cancel_node() {
        // Unlink before anything is destroyed: until this returns the parent may still cancel
        // us (it holds its mutex meanwhile, so we wait for it here).
        if (parent_canceler) parent_canceler->remove(&in_parent);
        std::lock_guard<std::mutex> hold(mu);
        deadline_timer.reset();
    }

    /// add: links h, or returns the error if this node has already ended (h not linked).
    ctx_code add(ctx_hook* h) noexcept {
        std::lock_guard<std::mutex> hold(mu);
        const ctx_code c = err.load(std::memory_order_relaxed);
        if (c != ctx_code::none) return c;
        h->prev = nullptr;
        h->next = hooks;
        if (hooks) hooks->prev = h;
        hooks = h;
        h->linked = true;
        return ctx_code::none;
    }
    /// remove: unlinks h if it is linked. When it returns, h is not running and never will.
    void remove(ctx_hook* h) noexcept {
        std::lock_guard<std::mutex> hold(mu);
        if (h->linked) unlink(h);
    }
    void unlink(ctx_hook* h) noexcept {  // mu held, h linked
        if (h->prev) h->prev->next = h->next;
        else hooks = h->next;
        if (h->next) h->next->prev = h->prev;
        h->prev = h->next = nullptr;
        h->linked = false;
    }

    /// cancel: ends this node with c (if it has not ended), then its hooks (children
    /// included). remove_from_parent: false when the parent is the one cancelling (it
    /// unlinked us already).
    void cancel(ctx_code c, bool remove_from_parent) noexcept {
        {
            std::lock_guard<std::mutex> hold(mu);
            if (err.load(std::memory_order_relaxed) != ctx_code::none) return;
            err.store(c, std::memory_order_release);
            while (ctx_hook* h = hooks) {
                unlink(h);
                h->fire(h, c);
            }
            if (deadline_timer) deadline_timer->stop();
            // Last: whoever sees done_ch closed sees every descendant ended too.
            done_ch.close();  // closed only here, once: cannot throw
        }
        if (remove_from_parent && parent_canceler) parent_canceler->remove(&in_parent);
    }
};

/// cancel_hook: runs fire(arg) once if ctx ends while the hook exists (at once, in the
/// constructor, if it has already ended). fire runs on the cancelling thread under the
/// context's mutex: it must be short, must not block, and must not touch contexts. After the
/// destructor returns, fire is not running and will not run.
class cancel_hook {
public:
    cancel_hook(const gocsp::context& ctx, void (*fire)(void*) noexcept, void* arg) noexcept;
    ~cancel_hook() {
        if (node_) node_->remove(&hook_);
    }
    cancel_hook(const cancel_hook&) = delete;
    cancel_hook& operator=(const cancel_hook&) = delete;

private:
    ctx_hook hook_;
    cancel_node* node_ = nullptr;
    void (*user_fire_)(void*) noexcept;
    void* user_arg_;
};

/// saturating_sys_deadline: system_clock::now() + ns, saturated at the time_point's limits.
inline time::time_point saturating_sys_deadline(std::int64_t ns) noexcept {
    using rep = time::time_point::duration::rep;
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(time::clock::now().time_since_epoch()).count();
    std::int64_t sum;
    if (__builtin_add_overflow(now, ns, &sum)) sum = ns > 0 ? INT64_MAX : INT64_MIN;
    return time::time_point(std::chrono::duration_cast<time::time_point::duration>(
        std::chrono::nanoseconds(static_cast<rep>(sum))));
}

}  // namespace detail

/// detail_access: how gocsp's own headers (net, blocking) reach a context's internals.
class detail_access {
public:
    /// canceler: the nearest cancelable node of ctx, or null if ctx never ends.
    static detail::cancel_node* canceler(const gocsp::context& ctx) noexcept { return ctx.canceler_; }
    /// make_cancel: makes child a new cancelable child of parent; returns its node.
    static std::shared_ptr<detail::cancel_node> make_cancel(const gocsp::context& parent, context& child,
                                                            std::optional<time::time_point> d);
    /// make_cancel_func: the cancel function of node n.
    static cancel_func make_cancel_func(std::shared_ptr<detail::cancel_node> n) noexcept { return cancel_func(std::move(n)); }
};

inline recv_chan<empty> context::done() const noexcept {
    if (!canceler_) return {};
    return canceler_->done_ch;
}

inline context_error context::err() const noexcept {
    // An ancestor that has ended is ending this context right now (its cancel holds its mutex
    // until this one's err is set): say so already.
    for (const detail::cancel_node* n = canceler_; n; n = n->parent_canceler)
        if (const detail::ctx_code c = n->err.load(std::memory_order_acquire); c != detail::ctx_code::none)
            return context_error(c);
    return {};
}

template <class T>
const T* context::value(const context_key<T>& key) const noexcept {
    for (const detail::ctx_node* n = node_.get(); n; n = n->parent.get())
        if (n->key == &key) return &static_cast<const detail::value_node<T>*>(n)->value;
    return nullptr;
}

inline void cancel_func::operator()() const noexcept {
    if (node_) node_->cancel(detail::ctx_code::canceled, true);
}

inline detail::cancel_hook::cancel_hook(const gocsp::context& ctx, void (*fire)(void*) noexcept, void* arg) noexcept
    : user_fire_(fire), user_arg_(arg) {
    cancel_node* n = detail_access::canceler(ctx);
    if (!n) return;
    hook_.arg = this;
    hook_.fire = [](ctx_hook* h, ctx_code) noexcept {
        auto* self = static_cast<cancel_hook*>(h->arg);
        self->user_fire_(self->user_arg_);
    };
    if (n->add(&hook_) != ctx_code::none) user_fire_(user_arg_);  // ended already
    else node_ = n;
}

/// make_cancel: a cancelable child of parent, with deadline d if given (the caller has
/// checked that d is earlier than parent's), linked to its cancelable ancestor.
inline std::shared_ptr<detail::cancel_node> detail_access::make_cancel(const gocsp::context& parent, context& child,
                                                                       std::optional<time::time_point> d) {
    auto n = std::make_shared<detail::cancel_node>(parent.node_, parent.canceler_);
    child.node_ = n;
    child.canceler_ = n.get();
    child.deadline_ = d ? d : parent.deadline_;
    if (parent.canceler_) {
        // Linking n makes it reachable from its parent's cancel; n is fully built by now.
        if (const detail::ctx_code pc = parent.canceler_->add(&n->in_parent); pc != detail::ctx_code::none)
            n->cancel(pc, false);
    }
    return n;
}

inline context_with_cancel with_cancel(const gocsp::context& parent) {
    gocsp::context_with_cancel r;
    r.cancel = detail_access::make_cancel_func(detail_access::make_cancel(parent, r.ctx, std::nullopt));
    return r;
}

namespace detail {
/// with_deadline_ns: with_deadline for a deadline ns from now, whose wall-clock time is `at`.
inline context_with_cancel with_deadline_ns(const gocsp::context& parent, std::int64_t ns, time::time_point at) {
    if (auto pd = parent.deadline(); pd && *pd < at) return with_cancel(parent);  // parent's comes first
    gocsp::context_with_cancel r;
    std::shared_ptr<cancel_node> n = detail_access::make_cancel(parent, r.ctx, at);
    if (ns <= 0) {
        n->cancel(ctx_code::deadline_exceeded, true);
    } else {
        std::lock_guard<std::mutex> hold(n->mu);
        if (n->err.load(std::memory_order_relaxed) == ctx_code::none) {
            // The timer refers to its node weakly: a context dropped before its deadline is
            // freed at once (its destructor stops the timer).
            n->deadline_timer.emplace(time::after_func(std::chrono::nanoseconds(ns), [weak = std::weak_ptr<cancel_node>(n)] {
                if (auto alive = weak.lock()) alive->cancel(ctx_code::deadline_exceeded, true);
            }));
        }
    }
    r.cancel = detail_access::make_cancel_func(std::move(n));
    return r;
}
}  // namespace detail

template <class Clock, class Duration>
context_with_cancel with_deadline(const gocsp::context& parent, std::chrono::time_point<Clock, Duration> d) {
    const std::int64_t ns = gocsp::detail::nanoseconds_until(d);
    return detail::with_deadline_ns(parent, ns, detail::saturating_sys_deadline(ns));
}

template <class Rep, class Period>
context_with_cancel with_timeout(const gocsp::context& parent, std::chrono::duration<Rep, Period> timeout) {
    const std::int64_t ns = gocsp::detail::to_nanoseconds(timeout);
    return detail::with_deadline_ns(parent, ns, detail::saturating_sys_deadline(ns));
}

template <class T, class V>
context with_value(const gocsp::context& parent, const context_key<T>& key, V&& v) {
    context c = parent;
    c.node_ = std::make_shared<detail::value_node<T>>(parent.node_, &key, std::forward<V>(v));
    return c;
}

template <class Rep, class Period>
context_error sleep_for(const gocsp::context& ctx, std::chrono::duration<Rep, Period> d) {
    if (context_error e = ctx.err()) return e;
    if (gocsp::detail::to_nanoseconds(d) <= 0) return {};
    time::timer t(d);  // stopped when we leave, whichever way
    if (select(recv_case(t.c), recv_case(ctx.done())) == 0) return {};
    return ctx.err();
}

template <class Clock, class Duration>
context_error sleep_until(const gocsp::context& ctx, std::chrono::time_point<Clock, Duration> t) {
    return sleep_for(ctx, std::chrono::nanoseconds(gocsp::detail::nanoseconds_until(t)));
}

}  // namespace gocsp
