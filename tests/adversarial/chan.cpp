// Adversarial tests of channels: capacities whose buffer cannot exist, element types whose copies
// throw, over-aligned, empty and very large element types. The compile-time half (element types
// the channel rejects, capacities of the wrong type) is tests/conformance/compile_fail_elements.cpp.
#include <catch2/catch.hpp>

#include <gocsp/chan.hpp>
#include <gocsp/gocsp.hpp>
#include <gocsp/select.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <vector>

namespace adversarial_chan {

using namespace std::chrono_literals;

struct empty {};

// ---------------------------------------------------------------------------------------------
// fragile: an element whose copy throws while copy_fails is set, and whose moves cannot throw.
// Its value lives on the heap, so a value lost shows up as a leak (LeakSanitizer) and one
// destroyed twice as a double free (ASan); `live` counts the objects.

std::atomic<bool> copy_fails{false};
std::atomic<long> copies{0};  // copies made
std::atomic<long> live{0};    // fragile objects alive

struct copy_error : std::runtime_error {
    copy_error() : std::runtime_error("fragile: copy failed") {}
};

struct fragile {
    std::unique_ptr<int> v;

    fragile() noexcept { ++live; }
    explicit fragile(int i) : v(std::make_unique<int>(i)) { ++live; }
    fragile(const fragile& o) : v(copy_of(o)) { ++live; }
    fragile(fragile&& o) noexcept : v(std::move(o.v)) { ++live; }
    fragile& operator=(const fragile& o) {
        v = copy_of(o);
        return *this;
    }
    fragile& operator=(fragile&& o) noexcept = default;
    ~fragile() { --live; }

    int value() const noexcept { return v ? *v : -1; }

    static std::unique_ptr<int> copy_of(const fragile& o) {
        if (copy_fails.load()) throw copy_error();
        ++copies;
        return o.v ? std::make_unique<int>(*o.v) : nullptr;
    }
};

/// failing_copies: copies of fragile throw while it lives.
struct failing_copies {
    failing_copies() { copy_fails = true; }
    ~failing_copies() { copy_fails = false; }
    failing_copies(const failing_copies&) = delete;
    failing_copies& operator=(const failing_copies&) = delete;
};

/// wait_for_copies: waits (generously) until `copies` reaches n; false if it never does.
bool wait_for_copies(long n) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (copies.load() < n) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        gocsp::sleep_for(1ms);
    }
    return true;
}

/// until_receiver_waits: tries to send v (an lvalue) on the unbuffered c while copies fail: the
/// try_send returns false while nobody waits to receive and throws copy_error once a receiver
/// does (without the copy ever reaching the channel). Returns whether it saw the throw.
bool until_receiver_waits(const gocsp::chan<fragile>& c, const fragile& v) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            if (c.try_send(v)) return false;  // a copy went through: wrong
        } catch (const copy_error&) {
            return true;
        }
        gocsp::sleep_for(1ms);
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// aligned<A>: an over-aligned element that counts every object it sees at a misaligned address
// (its buffer slot, a sender's copy, a receiver's destination). Its copy may throw, so lvalue
// sends take the copy-first paths (a copy on the sender's stack, or on the heap for select).

std::atomic<long> misaligned{0};

template <std::size_t A>
struct alignas(A) aligned {
    int v = -1;

    aligned() noexcept { check(this); }
    explicit aligned(int i) noexcept : v(i) { check(this); }
    aligned(const aligned& o) : v(o.v) {
        check(this);
        check(&o);
    }
    aligned(aligned&& o) noexcept : v(o.v) {
        check(this);
        check(&o);
    }
    aligned& operator=(const aligned& o) {
        check(this);
        check(&o);
        v = o.v;
        return *this;
    }
    aligned& operator=(aligned&& o) noexcept {
        check(this);
        check(&o);
        v = o.v;
        return *this;
    }
    ~aligned() { check(this); }

    static void check(const void* p) noexcept {
        if (reinterpret_cast<std::uintptr_t>(p) % A != 0) ++misaligned;
    }
};

/// round_trips: sends 0..n-1 on c through every kind of send (lvalue, rvalue, try_send, select
/// send case with an lvalue) from a goroutine, and receives them through every kind of receive;
/// returns whether they arrived in order.
template <class T>
bool round_trips(const gocsp::chan<T>& c, int n) {
    gocsp::go([c, n] {
        for (int i = 0; i < n; ++i) {
            T v(i);
            switch (i % 4) {
                case 0: c.send(v); break;
                case 1: c.send(T(i)); break;
                case 2:
                    if (!c.try_send(v)) c.send(v);  // (try_send and try_recv alone may never meet)
                    break;
                case 3: (void)gocsp::select(gocsp::send_case(c, v)); break;
            }
        }
        c.close();
    });
    int want = 0;
    bool in_order = true;
    for (;;) {
        T got;
        bool ok = false;
        switch (want % 4) {
            case 0: {
                auto r = c.recv_ok();
                got = std::move(r.value);
                ok = r.ok;
                break;
            }
            case 1: {
                auto r = c.try_recv();
                if (!r) r = c.recv_ok();
                got = std::move(r->value);
                ok = r->ok;
                break;
            }
            case 2: (void)gocsp::select(gocsp::recv_case(c, got, ok)); break;
            case 3:
                for (T& x : c) {  // range: takes one value, or ends
                    got = std::move(x);
                    ok = true;
                    break;
                }
                break;
        }
        if (!ok) break;
        in_order = in_order && got.v == want;
        ++want;
    }
    return in_order && want == n;
}

/// no_address: an element that hides its address behind a deleted unary &, as some handle and
/// proxy types do: a channel must take addresses with std::addressof.
struct no_address {
    int v = -1;
    no_address() noexcept = default;
    explicit no_address(int i) noexcept : v(i) {}
    void operator&() const = delete;
};

}  // namespace adversarial_chan

using namespace adversarial_chan;

// Go: runtime/chan.go makechan, checked by Go's test/chancap.go - a size that is negative, or
// whose buffer overflows or exceeds maxAlloc, panics "makechan: size out of range". Before, a
// negative int converted silently to a huge size_t, and size * sizeof(T) wrapped to a small
// allocation that the next sends overran.
TEST_CASE("a channel whose buffer cannot exist panics as Go's makechan does", "[adversarial][chan]") {
    const auto out_of_range = Catch::Message("makechan: size out of range");
    constexpr std::size_t size_max = std::numeric_limits<std::size_t>::max();
    const int computed = -1;  // a computed capacity gone negative
    REQUIRE_THROWS_MATCHES(gocsp::chan<std::uint64_t>(computed), gocsp::panic_error, out_of_range);
    REQUIRE_THROWS_MATCHES(gocsp::chan<std::uint64_t>(-(std::int64_t{1} << 40)), gocsp::panic_error, out_of_range);
    REQUIRE_THROWS_MATCHES(gocsp::chan<std::uint64_t>(size_max), gocsp::panic_error, out_of_range);
    // 8 * capacity wraps around to 8 bytes.
    REQUIRE_THROWS_MATCHES(gocsp::chan<std::uint64_t>(size_max / 8 + 2), gocsp::panic_error, out_of_range);
    // No overflow, but beyond Go's maxAlloc (2^48 bytes on 64-bit systems).
    REQUIRE_THROWS_MATCHES(gocsp::chan<char>(std::uint64_t{1} << 48), gocsp::panic_error, out_of_range);
    using page = std::array<char, 4096>;
    REQUIRE_THROWS_MATCHES(gocsp::chan<page>(std::int64_t{1} << 40), gocsp::panic_error, out_of_range);
    // An empty element needs no buffer, but the capacity must still be an int.
    REQUIRE_THROWS_MATCHES(gocsp::chan<empty>(computed), gocsp::panic_error, out_of_range);
    REQUIRE_THROWS_MATCHES(gocsp::chan<empty>(std::size_t{PTRDIFF_MAX} + 1), gocsp::panic_error, out_of_range);
    // The channel types check too: send_chan/recv_chan views of a panicking make never exist.
    REQUIRE_THROWS_MATCHES(gocsp::send_chan<long>(gocsp::chan<long>(static_cast<short>(-5))), gocsp::panic_error,
                           out_of_range);
#if !GOCSP_TEST_SANITIZED
    // Allowed by Go's rule but more than any allocator gives (the sanitizers' allocators abort
    // on such a request instead of failing it): std::bad_alloc, never a short buffer.
    REQUIRE_THROWS_AS(gocsp::chan<char>((std::uint64_t{1} << 48) - 4096), std::bad_alloc);
#endif

    // The largest capacities that are allowed work: Go's make(chan struct{}, math.MaxInt).
    gocsp::chan<empty> huge(PTRDIFF_MAX);
    REQUIRE(huge.cap() == std::size_t{PTRDIFF_MAX});
    for (int i = 0; i < 3; ++i) REQUIRE(huge.try_send(empty{}));
    REQUIRE(huge.len() == 3);
    for (int i = 0; i < 3; ++i) REQUIRE(huge.try_recv());
    REQUIRE_FALSE(huge.try_recv());

    // A valid computed capacity of any integer type: exactly that many slots.
    const int n = 64;
    for (gocsp::chan<std::uint64_t> c : {gocsp::chan<std::uint64_t>(n), gocsp::chan<std::uint64_t>(std::size_t{64}),
                                         gocsp::chan<std::uint64_t>(std::uint8_t{64})}) {
        REQUIRE(c.cap() == 64);
        for (std::uint64_t i = 0; i < 64; ++i) REQUIRE(c.try_send(i));
        REQUIRE_FALSE(c.try_send(64));
        for (std::uint64_t i = 0; i < 64; ++i) REQUIRE(c.recv() == i);
    }
}

// A copy that throws must leave the channel as it was: before, send(lvalue), try_send and a
// select send case copied under the channel's lock, inside noexcept code: std::terminate.
TEST_CASE("sending an lvalue whose copy throws leaves a buffered channel unchanged", "[adversarial][chan]") {
    const long live_before = live.load();
    {
        gocsp::chan<fragile> c(2);
        c.send(fragile(1));
        fragile v(7);
        {
            failing_copies fail;
            REQUIRE_THROWS_AS(c.send(v), copy_error);
            REQUIRE_THROWS_AS(c.try_send(v), copy_error);
            REQUIRE_THROWS_AS(gocsp::select(gocsp::send_case(c, v)), copy_error);
            REQUIRE_THROWS_AS(gocsp::select(gocsp::send_case(c, v), gocsp::default_case), copy_error);
            std::vector<gocsp::select_case> cases{gocsp::send_case(c, v)};
            REQUIRE_THROWS_AS(gocsp::select(cases), copy_error);
            REQUIRE(c.len() == 1);
            REQUIRE(v.value() == 7);
            // Moves never copy: rvalues still go through.
            REQUIRE(c.try_send(fragile(2)));
            REQUIRE_FALSE(c.try_send(v));  // full: false, and no copy attempted (no throw)
            REQUIRE(c.recv().value() == 1);
            REQUIRE(c.recv().value() == 2);
        }
        c.send(v);  // copies work again
        REQUIRE(gocsp::select(gocsp::send_case(c, v)) == 0);
        REQUIRE(c.len() == 2);
        REQUIRE(c.recv().value() == 7);
        REQUIRE(c.recv().value() == 7);
        REQUIRE(v.value() == 7);
    }
    REQUIRE(live.load() == live_before);
}

TEST_CASE("sending an lvalue whose copy throws to a waiting receiver leaves it waiting", "[adversarial][chan]") {
    const long live_before = live.load();
    {
        gocsp::chan<fragile> c(0);
        gocsp::chan<int> got(1);
        gocsp::go([c, got] {
            int value = -2;
            {
                auto r = c.recv_ok();  // gone before the result is sent, so `live` is final then
                if (r.ok) value = r.value.value();
            }
            got.send(value);
        });
        fragile v(7);
        {
            failing_copies fail;
            REQUIRE(until_receiver_waits(c, v));  // the hand-off's copy threw; the receiver waits on
            REQUIRE_THROWS_AS(c.send(v), copy_error);
            REQUIRE_THROWS_AS(gocsp::select(gocsp::send_case(c, v), gocsp::default_case), copy_error);
            std::vector<gocsp::select_case> cases{gocsp::send_case(c, v)};
            REQUIRE_THROWS_AS(gocsp::select(cases), copy_error);
            REQUIRE_FALSE(got.try_recv());
            c.send(fragile(8));  // an rvalue moves: the receiver takes exactly this one
        }
        REQUIRE(got.recv() == 8);
        REQUIRE(v.value() == 7);
    }
    REQUIRE(live.load() == live_before);
}

TEST_CASE("sending an lvalue whose copy throws on an unbuffered channel throws before it blocks",
          "[adversarial][chan]") {
    const long live_before = live.load();
    {
        gocsp::chan<fragile> c(0);
        failing_copies fail;
        std::atomic<int> threw{0};
        gocsp::wait_group wg;
        wg.add(2);
        gocsp::go([&] {
            try {
                fragile v(1);
                c.send(v);
            } catch (const copy_error&) {
                ++threw;
            }
            wg.done();
        });
        gocsp::go([&] {
            try {
                fragile v(2);
                (void)gocsp::select(gocsp::send_case(c, v));
            } catch (const copy_error&) {
                ++threw;
            }
            wg.done();
        });
        wg.wait();
        REQUIRE(threw == 2);
        REQUIRE_FALSE(c.try_recv());
    }
    REQUIRE(live.load() == live_before);
}

// An lvalue sender that blocks keeps its own copy (made before it blocked); the receiver that
// completes the send moves from it. Before, the receiver copied the sender's object under the
// lock - from a full buffer (the sender's value into the freed slot) or unbuffered (straight into
// the receiver's destination) - and a throwing copy called std::terminate.
TEST_CASE("receiving from a blocked lvalue sender never copies", "[adversarial][chan]") {
    const long live_before = live.load();
    for (const std::size_t cap : {std::size_t{0}, std::size_t{1}}) {
        for (const bool by_select : {false, true}) {
            for (int form = 0; form < 5; ++form) {
                INFO("cap " << cap << ", sender " << (by_select ? "select" : "send") << ", receive form " << form);
                gocsp::chan<fragile> c(cap);
                gocsp::chan<int> sender_kept(1);
                if (cap == 1) c.send(fragile(0));
                const long copies_before = copies.load();
                gocsp::go([c, sender_kept, by_select] {
                    int kept = -1;
                    {
                        fragile v(1);
                        if (by_select) (void)gocsp::select(gocsp::send_case(c, v));
                        else c.send(v);
                        kept = v.value();
                    }
                    c.close();
                    sender_kept.send(kept);
                });
                REQUIRE(wait_for_copies(copies_before + 1));  // the sender copied before blocking
                failing_copies fail;                          // any copy from here on throws
                std::vector<int> got;
                const std::size_t want = cap + 1;
                while (got.size() < want) {
                    switch (form) {
                        case 0: got.push_back(c.recv().value()); break;
                        case 1: {
                            auto r = c.try_recv();
                            if (r && r->ok) got.push_back(r->value.value());
                            else gocsp::yield();
                            break;
                        }
                        case 2: {
                            fragile x;
                            bool ok = false;
                            REQUIRE(gocsp::select(gocsp::recv_case(c, x, ok)) == 0);
                            got.push_back(x.value());
                            break;
                        }
                        case 3:
                            for (const fragile& x : c) got.push_back(x.value());
                            break;
                        case 4: {
                            fragile x;
                            if (c >> x) got.push_back(x.value());
                            break;
                        }
                    }
                }
                std::vector<int> expected;
                for (std::size_t i = 0; i < want; ++i) expected.push_back(static_cast<int>(i) + (cap == 0 ? 1 : 0));
                REQUIRE(got == expected);
                REQUIRE(sender_kept.recv() == 1);  // the sender's own object is untouched
            }
        }
    }
    REQUIRE(live.load() == live_before);
}

// Rvalues and every receive only move: with every copy failing, values still go through every
// path (buffer, hand-off either way, select, try_send/try_recv, range) and none is copied.
TEST_CASE("moving values through a channel never copies them", "[adversarial][chan]") {
    const long live_before = live.load();
    for (const std::size_t cap : {std::size_t{0}, std::size_t{3}}) {
        INFO("cap " << cap);
        const long copies_before = copies.load();
        failing_copies fail;
        gocsp::chan<fragile> c(cap);
        const int n = 200;
        gocsp::go([c] {
            for (int i = 0; i < n; ++i) {
                switch (i % 3) {
                    case 0: c.send(fragile(i)); break;
                    case 1: (void)gocsp::select(gocsp::send_case(c, fragile(i))); break;
                    case 2: {
                        fragile v(i);
                        if (!c.try_send(std::move(v))) c.send(std::move(v));  // refused: v is intact
                        break;
                    }
                }
            }
            c.close();
        });
        int want = 0;
        bool in_order = true;
        for (;;) {
            fragile x;
            bool ok = false;
            switch (want % 4) {
                case 0: {
                    auto r = c.recv_ok();
                    x = std::move(r.value);
                    ok = r.ok;
                    break;
                }
                case 1: {
                    auto r = c.try_recv();
                    if (!r) r = c.recv_ok();
                    x = std::move(r->value);
                    ok = r->ok;
                    break;
                }
                case 2: (void)gocsp::select(gocsp::recv_case(c, x, ok)); break;
                case 3:
                    for (fragile& y : c) {
                        x = std::move(y);
                        ok = true;
                        break;
                    }
                    break;
            }
            if (!ok) break;
            in_order = in_order && x.value() == want;
            ++want;
        }
        REQUIRE(in_order);
        REQUIRE(want == n);
        REQUIRE(copies.load() == copies_before);
    }
    REQUIRE(live.load() == live_before);
}

// The buffer, a sender's copy (on its stack, or on the heap for a select send case) and every
// destination keep the element's alignment, up to a page.
TEST_CASE("over-aligned elements stay aligned everywhere a channel puts them", "[adversarial][chan]") {
    misaligned = 0;
    for (const std::size_t cap : {std::size_t{0}, std::size_t{3}}) {
        INFO("cap " << cap);
        REQUIRE(round_trips(gocsp::chan<aligned<64>>(cap), 100));
        REQUIRE(round_trips(gocsp::chan<aligned<4096>>(cap), 40));
    }
    REQUIRE(misaligned.load() == 0);
}

// Element types at the edges: bool, an empty type (Go's chan struct{}, no storage), an empty
// type that is not trivially copyable (stored), and a large one (sent from a plain thread, whose
// stack holds it; a goroutine's stack must be large enough for the values it handles).
TEST_CASE("bool, empty and large element types go through channels intact", "[adversarial][chan]") {
    struct empty_counted {
        empty_counted() noexcept = default;
        empty_counted(const empty_counted&) noexcept {}
        empty_counted& operator=(const empty_counted&) noexcept { return *this; }
    };
    for (const std::size_t cap : {std::size_t{0}, std::size_t{2}}) {
        INFO("cap " << cap);
        gocsp::chan<bool> b(cap);
        gocsp::chan<empty> e(cap);
        gocsp::chan<empty_counted> ec(cap);
        gocsp::go([b, e, ec] {
            for (int i = 0; i < 10; ++i) {
                b.send(i % 3 == 0);
                e.send(empty{});
                empty_counted x;
                ec.send(x);
            }
            b.close();
            e.close();
            ec.close();
        });
        bool values_ok = true;
        for (int i = 0; i < 10; ++i) {
            values_ok = values_ok && b.recv() == (i % 3 == 0);
            (void)e.recv();
            (void)ec.recv();
        }
        REQUIRE(values_ok);
        REQUIRE_FALSE(b.recv_ok().ok);  // closed after exactly 10 values each
        REQUIRE_FALSE(e.recv_ok().ok);
        REQUIRE_FALSE(ec.recv_ok().ok);
    }

    using big = std::array<std::uint32_t, 64 * 1024>;  // 256 KiB
    auto make_big = [](std::uint32_t seed) {
        auto p = std::make_unique<big>();
        for (std::size_t i = 0; i < p->size(); ++i) (*p)[i] = seed + static_cast<std::uint32_t>(i);
        return p;
    };
    gocsp::chan<big> c(2);
    auto one = make_big(1), two = make_big(2);
    c.send(*one);
    REQUIRE(c.try_send(std::move(*two)));
    REQUIRE(c.recv() == *make_big(1));
    auto r = c.try_recv();
    REQUIRE(r);
    REQUIRE(r->value == *make_big(2));
    REQUIRE_THROWS_MATCHES(gocsp::chan<big>(std::size_t{1} << 31), gocsp::panic_error,
                           Catch::Message("makechan: size out of range"));
}

// A user type may overload unary &; before, the channel took &v and such a type did not compile.
TEST_CASE("an element type with a deleted unary & goes through every operation", "[adversarial][chan]") {
    for (const std::size_t cap : {std::size_t{0}, std::size_t{3}}) {
        INFO("cap " << cap);
        REQUIRE(round_trips(gocsp::chan<no_address>(cap), 40));
    }
    gocsp::chan<no_address> c(1);
    no_address v(5);
    c << v;
    no_address w;
    REQUIRE((c >> w));
    REQUIRE(w.v == 5);
}
