/// \file
/// gocsp/chan.hpp - Go's channels: chan<T>, and the directional views send_chan<T>, recv_chan<T>.
///
///     gocsp::chan<int> ch;               // nil channel: send and receive block forever
///     gocsp::chan<int> jobs(100);         // make(chan int, 100): buffered, exactly 100 slots
///     gocsp::chan<int> done(0);           // make(chan int): unbuffered
///
///     jobs.send(1);              jobs << 2;             // ch <- v
///     int v = jobs.recv();                              // v := <-ch
///     auto [w, ok] = jobs.recv_ok();                    // w, ok := <-ch
///     jobs.close();                                     // close(ch)
///     for (int x : jobs) use(x);                        // for x := range ch
///
/// A chan is a cheap handle: copies refer to the same channel and `==` compares identity, as in
/// Go. The channel lives while any handle (or any goroutine blocked on it) refers to it; values
/// still buffered when it goes are destroyed then.
///
/// Every operation works the same from goroutines and from plain threads (main(), std::thread):
/// where a goroutine parks, a plain thread blocks.
///
/// Blocking, in one table (Go's rules):
///
///     operation      nil channel       closed channel                          otherwise
///     send           blocks forever    throws panic_error("send on closed      blocks until a receiver takes the
///                                      channel")                               value (unbuffered) or there is room
///     recv / range   blocks forever    buffered values first, then the zero    blocks until a value arrives
///                                      value with ok == false (range ends)
///     close          throws "close of  throws "close of closed channel"        wakes every receiver (zero value,
///                    nil channel"                                              ok == false) and every blocked sender
///                                                                              (which throws)
///     try_send       false             throws "send on closed channel"          never blocks
///     try_recv       nullopt           as recv                                  never blocks
///
/// Element types: any type that is default-constructible (the zero value), move-constructible and
/// move-assignable, whose moves and destructor do not throw (static_assert: the channel moves
/// values under its lock, where an exception could not be undone). Copies may throw: a sender
/// copies an lvalue before it touches the channel, so a throwing copy leaves the channel as it
/// was. Move-only types such as std::unique_ptr work (sent as rvalues). Values are moved, never
/// duplicated: each value sent is destroyed exactly once. An empty element type (Go's
/// `chan struct{}`) uses no buffer storage; an over-aligned one stays aligned. A capacity that
/// is negative or whose buffer cannot exist throws panic_error("makechan: size out of range").
/// See docs/semantics.md, "Element types and exceptions".
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "detail/chan_core.hpp"
#include "panic.hpp"

namespace gocsp {

/// empty: Go's `struct{}`, the element of a channel that only signals: `gocsp::chan<gocsp::empty>`
/// is Go's `chan struct{}` (it takes no buffer space), and `done << gocsp::empty{};` its
/// `done <- struct{}{}`. Any empty type works the same; this one saves declaring one.
struct empty {
    /// operator==: all empties are equal, as Go's struct{} values are.
    friend constexpr bool operator==(const empty&, const empty&) noexcept = default;
};

/// channel_element: what a channel can carry. chan<T> further requires, by static_assert with
/// a message, that T's move constructor, move assignment and destructor do not throw.
template <class T>
concept channel_element = std::is_object_v<T> && !std::is_const_v<T> && std::default_initializable<T> &&
                          std::move_constructible<T> && std::is_move_assignable_v<T>;

/// recv_result: a received value and whether it came from a send (ok) or from a closed,
/// drained channel (the zero value, ok == false). Use as `auto [v, ok] = ch.recv_ok();`.
template <class T>
struct recv_result {
    /// value: the value received; T{} when !ok.
    T value;
    /// ok: true if the value was sent, false if the channel is closed and drained.
    bool ok;
};

template <channel_element T>
class chan;
template <channel_element T>
class send_chan;
template <channel_element T>
class recv_chan;

namespace detail {

/// chan_handle: the reference-counted pointer to a channel that every view holds.
template <class T>
class chan_handle {
    // Values move, and are destroyed, under the channel's lock, where an exception could not be
    // undone (a receiver already taken off its queue, a buffer slot half filled): these must not
    // throw. Copies may throw: a sender copies before it takes the lock.
    static_assert(std::is_nothrow_move_constructible_v<T>,
                  "gocsp::chan<T>: T's move constructor must not throw (declare it noexcept): values move "
                  "under the channel's lock. For a type whose move may throw (std::deque in libstdc++), send "
                  "a std::unique_ptr<T>.");
    static_assert(std::is_nothrow_move_assignable_v<T>,
                  "gocsp::chan<T>: T's move assignment must not throw (declare it noexcept): values move "
                  "under the channel's lock. For a type whose move may throw, send a std::unique_ptr<T>.");
    static_assert(std::is_nothrow_destructible_v<T>,
                  "gocsp::chan<T>: T's destructor must not throw: values are destroyed under the channel's lock.");

public:
    chan_handle() noexcept = default;
    chan_handle(const chan_handle& o) noexcept : core_(o.core_) { if (core_) core_->retain(); }
    chan_handle(chan_handle&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}
    chan_handle& operator=(const chan_handle& o) noexcept {
        if (o.core_) o.core_->retain();
        reset(o.core_);
        return *this;
    }
    chan_handle& operator=(chan_handle&& o) noexcept {
        if (this != &o) reset(std::exchange(o.core_, nullptr));
        return *this;
    }
    ~chan_handle() { if (core_) core_->release(); }

    chan_core* core() const noexcept { return core_; }

protected:
    void reset(chan_core* c) noexcept {
        if (chan_core* old = std::exchange(core_, c)) old->release();
    }
    explicit chan_handle(chan_core* c) noexcept : core_(c) {}

    void send_impl(const T& v) const;
    void send_impl(T&& v) const;
    recv_result<T> recv_impl() const;
    template <class V>
    bool try_send_impl(V&& v) const;
    std::optional<recv_result<T>> try_recv_impl() const;
    void close_impl() const;
    std::size_t len_impl() const noexcept { return core_ ? core_->len() : 0; }
    std::size_t cap_impl() const noexcept { return core_ ? core_->cap() : 0; }

    chan_core* core_ = nullptr;
};

}  // namespace detail

/// recv_iterator: the input iterator of range-for over a channel (Go's `for v := range ch`).
/// Each increment receives; it equals end() once the channel is closed and drained.
template <class T>
class recv_iterator {
public:
    /// value_type: the element type T.
    using value_type = T;
    /// difference_type: as for any input iterator.
    using difference_type = std::ptrdiff_t;
    /// iterator_category: input (each value is received once).
    using iterator_category = std::input_iterator_tag;

    recv_iterator() = default;
    /// Receives the first value; on a nil channel (c == nullptr) blocks forever, as Go's range.
    explicit recv_iterator(detail::chan_core* c) : core_(c) {
        if (!core_) detail::chan_core::block_forever(detail::wait_reason::chan_receive_nil);
        advance();
    }
    /// operator*: the value received last.
    T& operator*() noexcept { return value_; }
    /// operator++: receives the next value; reaches end() when the channel is closed and drained.
    recv_iterator& operator++() {
        advance();
        return *this;
    }
    /// operator++(int): as ++it (an input iterator has no useful old value).
    void operator++(int) { advance(); }
    /// operator== end(): whether the channel is closed and drained.
    bool operator==(std::default_sentinel_t) const noexcept { return core_ == nullptr; }

private:
    void advance();
    detail::chan_core* core_ = nullptr;  // nullptr once the channel is closed and drained
    T value_{};
};

/// chan<T>: a bidirectional channel (Go's `chan T`). Converts implicitly to send_chan<T> and
/// recv_chan<T>; nothing converts back.
template <channel_element T>
class chan : public detail::chan_handle<T> {
public:
    /// value_type: the element type T.
    using value_type = T;

    /// chan(): the nil channel. Send and receive block forever; close throws.
    chan() noexcept = default;
    /// chan(capacity): make(chan T, capacity). 0 is unbuffered; N >= 1 buffers exactly N values.
    /// capacity may have any integer type (not bool). Throws panic_error("makechan: size out of
    /// range") if it is negative, or the buffer's size in bytes would overflow or exceed what
    /// Go's makechan allows (2^48 bytes on 64-bit systems), as Go panics; std::bad_alloc if it
    /// is allowed but cannot be allocated.
    template <std::integral I>
        requires(!std::same_as<std::remove_cv_t<I>, bool>)
    explicit chan(I capacity);

    /// send: Go's `ch <- v`. Blocks until a receiver has taken v (unbuffered) or v is in the
    /// buffer. Throws panic_error("send on closed channel") if the channel is or becomes
    /// closed; v is then not consumed. If T's copy may throw, v is copied before the channel is
    /// touched (an exception from the copy leaves the channel unchanged) and the copy is sent.
    void send(const T& v) const
        requires std::copy_constructible<T>
    {
        this->send_impl(v);
    }
    /// send(v) for an rvalue: moves v into the channel (or into the receiver).
    void send(T&& v) const { this->send_impl(std::move(v)); }

    /// recv: Go's `<-ch`. Blocks until a value arrives; on a closed, drained channel returns the
    /// zero value T{} at once.
    T recv() const { return std::move(this->recv_impl().value); }

    /// recv_ok: Go's `v, ok := <-ch`; ok is false only when the channel is closed and drained.
    recv_result<T> recv_ok() const { return this->recv_impl(); }

    /// try_send: a send that never blocks (Go's select with a default case). Returns false,
    /// leaving v untouched, if the send would block. Throws panic_error("send on closed
    /// channel") if closed. A copy of v that may throw is made as by send, unless the channel
    /// is plainly full.
    bool try_send(const T& v) const
        requires std::copy_constructible<T>
    {
        return this->try_send_impl(v);
    }
    /// try_send(v) for an rvalue: moves from v only if the send happens.
    bool try_send(T&& v) const { return this->try_send_impl(std::move(v)); }

    /// try_recv: a receive that never blocks. nullopt if it would block; otherwise as recv_ok.
    std::optional<recv_result<T>> try_recv() const { return this->try_recv_impl(); }

    /// close: Go's `close(ch)`. Never blocks. Receivers drain the buffer, then get the zero value
    /// with ok == false; blocked and later senders throw. Throws panic_error("close of closed
    /// channel") or ("close of nil channel").
    void close() const { this->close_impl(); }

    /// len: values in the buffer now. cap: the buffer's size. Both 0 for a nil channel.
    std::size_t len() const noexcept { return this->len_impl(); }
    /// cap: the buffer's size (0: unbuffered or nil).
    std::size_t cap() const noexcept { return this->cap_impl(); }

    /// begin/end: range-for receives until the channel is closed and drained.
    recv_iterator<T> begin() const { return recv_iterator<T>(this->core_); }
    /// end: the sentinel that a recv_iterator equals once the channel is closed and drained.
    std::default_sentinel_t end() const noexcept { return {}; }

    /// is_nil: whether this is the nil channel.
    bool is_nil() const noexcept { return this->core_ == nullptr; }

    /// operator==: whether a and b are the same channel (identity, as in Go).
    friend bool operator==(const chan& a, const chan& b) noexcept { return a.core_ == b.core_; }
};

/// send_chan<T>: a send-only view (Go's `chan<- T`): send, try_send, close, len, cap.
template <channel_element T>
class send_chan : public detail::chan_handle<T> {
public:
    /// value_type: the element type T.
    using value_type = T;
    send_chan() noexcept = default;
    /// send_chan(c): the send-only view of c (implicit, as in Go).
    send_chan(const chan<T>& c) noexcept : detail::chan_handle<T>(c) {}  // NOLINT: implicit, as in Go

    /// send: as chan::send.
    void send(const T& v) const
        requires std::copy_constructible<T>
    {
        this->send_impl(v);
    }
    /// send(v) for an rvalue: as chan::send.
    void send(T&& v) const { this->send_impl(std::move(v)); }
    /// try_send: as chan::try_send.
    bool try_send(const T& v) const
        requires std::copy_constructible<T>
    {
        return this->try_send_impl(v);
    }
    /// try_send(v) for an rvalue: as chan::try_send.
    bool try_send(T&& v) const { return this->try_send_impl(std::move(v)); }
    /// close: as chan::close.
    void close() const { this->close_impl(); }
    /// len: as chan::len.
    std::size_t len() const noexcept { return this->len_impl(); }
    /// cap: as chan::cap.
    std::size_t cap() const noexcept { return this->cap_impl(); }
    /// is_nil: whether this is the nil channel.
    bool is_nil() const noexcept { return this->core_ == nullptr; }
    /// operator==: the same channel (identity).
    friend bool operator==(const send_chan& a, const send_chan& b) noexcept { return a.core_ == b.core_; }
};

/// recv_chan<T>: a receive-only view (Go's `<-chan T`): recv, recv_ok, try_recv, range, len,
/// cap. It cannot be closed (that is the sender's business, as in Go).
template <channel_element T>
class recv_chan : public detail::chan_handle<T> {
public:
    /// value_type: the element type T.
    using value_type = T;
    recv_chan() noexcept = default;
    /// recv_chan(c): the receive-only view of c (implicit, as in Go).
    recv_chan(const chan<T>& c) noexcept : detail::chan_handle<T>(c) {}  // NOLINT: implicit, as in Go

    /// recv: as chan::recv.
    T recv() const { return std::move(this->recv_impl().value); }
    /// recv_ok: as chan::recv_ok.
    recv_result<T> recv_ok() const { return this->recv_impl(); }
    /// try_recv: as chan::try_recv.
    std::optional<recv_result<T>> try_recv() const { return this->try_recv_impl(); }
    /// len: as chan::len.
    std::size_t len() const noexcept { return this->len_impl(); }
    /// cap: as chan::cap.
    std::size_t cap() const noexcept { return this->cap_impl(); }
    /// begin/end: range-for receives until the channel is closed and drained.
    recv_iterator<T> begin() const { return recv_iterator<T>(this->core_); }
    /// end: as chan::end.
    std::default_sentinel_t end() const noexcept { return {}; }
    /// is_nil: whether this is the nil channel.
    bool is_nil() const noexcept { return this->core_ == nullptr; }
    /// operator==: the same channel (identity).
    friend bool operator==(const recv_chan& a, const recv_chan& b) noexcept { return a.core_ == b.core_; }
};

/// ch << v: sends v (Go's `ch <- v`). Returns ch, so sends chain: `ch << 1 << 2`.
template <class T, class V>
    requires std::convertible_to<V, T>
const chan<T>& operator<<(const chan<T>& ch, V&& v) {
    ch.send(T(std::forward<V>(v)));
    return ch;
}
/// ch << v on a send-only view: as on a chan.
template <class T, class V>
    requires std::convertible_to<V, T>
const send_chan<T>& operator<<(const send_chan<T>& ch, V&& v) {
    ch.send(T(std::forward<V>(v)));
    return ch;
}

/// ch >> v: receives into v; returns ok (false: closed and drained, v = T{}).
///     while (ch >> v) use(v);
template <class T>
bool operator>>(const chan<T>& ch, T& v) {
    auto r = ch.recv_ok();
    v = std::move(r.value);
    return r.ok;
}
/// ch >> v on a receive-only view: as on a chan.
template <class T>
bool operator>>(const recv_chan<T>& ch, T& v) {
    auto r = ch.recv_ok();
    v = std::move(r.value);
    return r.ok;
}

// =============================================================================================
// Implementation
// =============================================================================================

template <channel_element T>
template <std::integral I>
    requires(!std::same_as<std::remove_cv_t<I>, bool>)
chan<T>::chan(I capacity)
    : detail::chan_handle<T>(detail::chan_core::make(detail::elem_ops_for<T>(), detail::chan_capacity(capacity))) {}

namespace detail {

/// copies_under_lock: whether a sender's lvalue of type T may be copied under the channel's
/// lock (its copy cannot throw); otherwise the sender copies it first and sends the copy.
template <class T>
inline constexpr bool copies_under_lock =
    std::is_nothrow_copy_constructible_v<T> && std::is_nothrow_copy_assignable_v<T>;

template <class T>
void chan_handle<T>::send_impl(const T& v) const {
    if (!core_) chan_core::block_forever(wait_reason::chan_send_nil);
    if constexpr (copies_under_lock<T>) {
        core_->send(const_cast<T*>(std::addressof(v)), /*move=*/false);
    } else {
        T copy(v);  // may throw: before anything happened to the channel
        core_->send(std::addressof(copy), /*move=*/true);
    }
}

template <class T>
void chan_handle<T>::send_impl(T&& v) const {
    if (!core_) chan_core::block_forever(wait_reason::chan_send_nil);
    core_->send(std::addressof(v), /*move=*/true);
}

template <class T>
recv_result<T> chan_handle<T>::recv_impl() const {
    if (!core_) chan_core::block_forever(wait_reason::chan_receive_nil);
    recv_result<T> r{T{}, false};
    r.ok = core_->recv(std::addressof(r.value));
    return r;
}

template <class T>
template <class V>
bool chan_handle<T>::try_send_impl(V&& v) const {
    if (!core_) return false;
    if constexpr (std::is_rvalue_reference_v<V&&>) {
        return core_->try_send(std::addressof(v), /*move=*/true);
    } else if constexpr (copies_under_lock<T>) {
        return core_->try_send(const_cast<T*>(std::addressof(v)), /*move=*/false);
    } else {
        if (core_->try_send_would_block()) return false;  // no copy for nothing
        T copy(v);  // may throw: before anything happened to the channel
        return core_->try_send(std::addressof(copy), /*move=*/true);
    }
}

template <class T>
std::optional<recv_result<T>> chan_handle<T>::try_recv_impl() const {
    if (!core_) return std::nullopt;
    std::optional<recv_result<T>> r(std::in_place, recv_result<T>{T{}, false});
    switch (core_->try_recv(std::addressof(r->value))) {
        case try_recv_status::would_block: return std::nullopt;
        case try_recv_status::received: r->ok = true; return r;
        case try_recv_status::closed: return r;
    }
    return r;
}

template <class T>
void chan_handle<T>::close_impl() const {
    if (!core_) throw panic_error("close of nil channel");
    core_->close();
}

}  // namespace detail

template <class T>
void recv_iterator<T>::advance() {
    if (!core_) return;
    if (!core_->recv(std::addressof(value_))) core_ = nullptr;
}

}  // namespace gocsp
