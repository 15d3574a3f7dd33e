/// \file
/// gocsp/select.hpp - Go's select statement.
///
///     switch (gocsp::select(gocsp::recv_case(abort),        // case <-abort:
///                           gocsp::recv_case(results, r),   // case r = <-results:
///                           gocsp::send_case(out, v),       // case out <- v:
///                           gocsp::default_case)) {         // default:
///         case 0: return;                                   // `return` leaves the function,
///         case 1: use(r); break;                            // `break` leaves the select,
///         case 2: continue;                                 // `continue` the enclosing loop -
///         case 3: idle(); break;                            // exactly as in Go.
///     }
///
/// select returns the index of the case that ran. Rules (Go's):
/// - Among the cases ready now, one is chosen uniformly at random.
/// - With none ready: a default case runs at once; without one, the caller blocks (a goroutine
///   parks on every channel at once; nothing polls) until one case can run, and that one runs.
/// - Cases on a nil channel are never chosen. A select with no cases, or only nil-channel cases
///   and no default, blocks forever.
/// - The same channel may appear in several cases.
/// - A chosen send case on a closed channel throws panic_error("send on closed channel"), as a
///   send does; a chosen receive case on a closed channel receives the zero value with ok false.
///
/// Case lifetimes: a case refers to its channel, its value (send) and its destinations (receive)
/// by address. Build cases inside the select call, or keep what they refer to alive until
/// select returns.
///
/// Cases built at run time (Go's reflect.Select), e.g. fan-in over N channels:
///
///     std::vector<gocsp::select_case> cases;
///     for (auto& c : inputs) cases.push_back(gocsp::recv_case(c, slot));
///     std::size_t i = gocsp::select(cases);
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>

#include "chan.hpp"
#include "detail/chan_core.hpp"

namespace gocsp {

/// select_case: one case of a select, type-erased (see recv_case, send_case, default_case).
using select_case = detail::select_case;

/// default_case: the `default:` of a select.
inline constexpr select_case default_case{nullptr, detail::case_kind::default_case, nullptr, nullptr, false};

template <class C>
concept receivable_channel = requires { typename C::value_type; } &&
                             (std::same_as<C, chan<typename C::value_type>> ||
                              std::same_as<C, recv_chan<typename C::value_type>>);

template <class C>
concept sendable_channel = requires { typename C::value_type; } &&
                           (std::same_as<C, chan<typename C::value_type>> ||
                            std::same_as<C, send_chan<typename C::value_type>>);

/// recv_case(ch): `case <-ch:` - receives and discards the value.
template <receivable_channel C>
select_case recv_case(const C& ch) noexcept {
    return {ch.core(), detail::case_kind::recv, nullptr, nullptr, false};
}

/// recv_case(ch, v): `case v = <-ch:` - on this case, v is assigned the value received (the
/// zero value if ch is closed).
template <receivable_channel C>
select_case recv_case(const C& ch, typename C::value_type& v) noexcept {
    return {ch.core(), detail::case_kind::recv, std::addressof(v), nullptr, false};
}

/// recv_case(ch, v, ok): `case v, ok = <-ch:` - also sets ok (false: closed and drained).
template <receivable_channel C>
select_case recv_case(const C& ch, typename C::value_type& v, bool& ok) noexcept {
    return {ch.core(), detail::case_kind::recv, std::addressof(v), &ok, false};
}

namespace detail {
/// A send case whose value had to be converted to the element type: it owns the converted
/// value, and lives as a temporary of the select call.
template <class T>
struct owned_send_case {
    chan_core* ch;
    T value;
};
}  // namespace detail

/// send_case(ch, v): `case ch <- v:`. If this case runs, v is sent: moved from if it is an
/// rvalue, copied otherwise; if another case runs, v is untouched. A value of another type is
/// converted to the element type first (the case then owns the converted value). If the
/// element's copy may throw, select copies an lvalue v when it starts, before it touches any
/// channel (as Go evaluates the value on entering select), and this case sends the copy.
template <sendable_channel C, class V>
    requires std::convertible_to<V, typename C::value_type>
auto send_case(const C& ch, V&& v) {
    using T = typename C::value_type;
    if constexpr (std::same_as<std::remove_cvref_t<V>, T>) {
        return select_case{ch.core(), detail::case_kind::send, const_cast<T*>(std::addressof(v)), nullptr,
                           std::is_rvalue_reference_v<V&&>};
    } else {
        return detail::owned_send_case<T>{ch.core(), T(std::forward<V>(v))};
    }
}

/// select: runs one case of cases (a span, e.g. a std::vector<select_case>); returns its index.
/// At most one default case. Blocking and throwing as described at the top of this file.
inline std::size_t select(std::span<const select_case> cases) { return detail::select_impl(cases.data(), cases.size()); }

namespace detail {
inline select_case as_case(const select_case& c) noexcept { return c; }
template <class T>
select_case as_case(owned_send_case<T>& c) noexcept {
    return {c.ch, case_kind::send, std::addressof(c.value), nullptr, true};
}
}  // namespace detail

namespace detail {
template <class C>
struct is_owned_send_case : std::false_type {};
template <class T>
struct is_owned_send_case<owned_send_case<T>> : std::true_type {};
template <class C>
concept case_argument = std::same_as<std::remove_cvref_t<C>, select_case> ||
                        is_owned_send_case<std::remove_cvref_t<C>>::value;
}  // namespace detail

/// select(case...): runs one of the cases given; returns its index (0 for the first).
template <class... Cases>
    requires(detail::case_argument<Cases> && ...)
std::size_t select(Cases&&... cases) {
    std::array<select_case, sizeof...(Cases)> all{detail::as_case(cases)...};
    return detail::select_impl(all.data(), all.size());
}

namespace detail {
// The case types live here, so argument-dependent lookup of an unqualified
// `select(recv_case(a, v), ...)` searches this namespace, not gocsp: without this, it found only
// POSIX ::select ("cannot convert gocsp::select_case to int").
using gocsp::select;
}  // namespace detail

}  // namespace gocsp
