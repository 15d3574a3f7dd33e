// Checks what a channel refuses at compile time (the run-time half is tests/adversarial/chan.cpp):
// element types whose move or destruction may throw (values move and die under the channel's
// lock, where an exception could not be undone: a static_assert says so), element types without
// a zero value, lvalue sends of move-only values (which would have to copy), and capacities that
// are not integers (Go's make takes an integer size). Each #ifdef block holds one line that must
// not compile; built without any define (the control), the file compiles - including the element
// types that are accepted: copies that may throw, over-aligned, empty and move-only types.
// Declarations in a block have a scope of their own, so that all blocks can be compiled at once
// (tests/CMakeLists.txt, gocsp_add_compile_fail_test).
#include <gocsp/chan.hpp>
#include <gocsp/select.hpp>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace {

struct throwing_copy {  // accepted: copies are made before the channel's lock is taken
    std::string s;
    throwing_copy() = default;
    throwing_copy(const throwing_copy& o) : s(o.s) { throw std::runtime_error("copy"); }
    throwing_copy(throwing_copy&&) noexcept = default;
    throwing_copy& operator=(const throwing_copy&) = default;
    throwing_copy& operator=(throwing_copy&&) noexcept = default;
};

struct alignas(4096) page {  // accepted: the buffer keeps the alignment
    char bytes[4096];
};

struct nothing {};  // accepted: Go's chan struct{}

#ifdef THROWING_MOVE_CONSTRUCTOR
struct bad_move {
    bad_move() = default;
    bad_move(bad_move&&) {}  // may throw (not noexcept)
    bad_move& operator=(bad_move&&) noexcept { return *this; }
};
#endif
#ifdef THROWING_MOVE_ASSIGNMENT
struct bad_assign {
    bad_assign() = default;
    bad_assign(bad_assign&&) noexcept {}
    bad_assign& operator=(bad_assign&&) { return *this; }  // may throw
};
#endif
#ifdef THROWING_DESTRUCTOR
struct bad_destructor {
    ~bad_destructor() noexcept(false) {}
};
#endif
#ifdef NO_DEFAULT_CONSTRUCTOR
struct no_zero_value {
    explicit no_zero_value(int) {}
};
#endif

}  // namespace

int main() {
    // The control: element types and capacities that are accepted.
    gocsp::chan<throwing_copy> t(1);
    throwing_copy v;
    try {
        t.send(v);
        (void)t.try_send(v);
        (void)gocsp::select(gocsp::send_case(t, v), gocsp::default_case);
    } catch (const std::runtime_error&) {
    }
    gocsp::chan<page> p(2);
    gocsp::chan<nothing> n(3);
    gocsp::chan<std::unique_ptr<int>> u(static_cast<std::size_t>(1));
    u.send(std::make_unique<int>(1));
    gocsp::chan<int> from_long(5L), from_unsigned(5U), from_char('\5');
    (void)p.cap();
    (void)n.cap();
    (void)from_long.cap();
    (void)from_unsigned.cap();
    (void)from_char.cap();

#ifdef THROWING_MOVE_CONSTRUCTOR
    { gocsp::chan<bad_move> c(1); }
#endif
#ifdef THROWING_MOVE_ASSIGNMENT
    { gocsp::chan<bad_assign> c(1); }
#endif
#ifdef THROWING_DESTRUCTOR
    { gocsp::chan<bad_destructor> c(1); }
#endif
#ifdef NO_DEFAULT_CONSTRUCTOR
    { gocsp::chan<no_zero_value> c(1); }
#endif

    // A move-only value sent as an lvalue would have to be copied.
    auto owned = std::make_unique<int>(2);
#ifdef SEND_MOVE_ONLY_LVALUE
    u.send(owned);
#endif
#ifdef TRY_SEND_MOVE_ONLY_LVALUE
    (void)u.try_send(owned);
#endif
#ifdef SEND_CASE_MOVE_ONLY_LVALUE
    (void)gocsp::select(gocsp::send_case(u, owned), gocsp::default_case);
#endif
    (void)owned;

    // A capacity must be an integer.
#ifdef FLOATING_CAPACITY
    { gocsp::chan<int> c(1.5); }
#endif
#ifdef BOOL_CAPACITY
    { gocsp::chan<int> c(true); }
#endif
    return 0;
}
