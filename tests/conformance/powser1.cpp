// Checks the behaviour of Go's test/chan/powser1.go: McIlroy's power series on demand channels.
// A power series is a pair of unbuffered channels - a request channel and a data channel - and
// each operator (add, scalar multiply, product, derivative, integral, exponential, reciprocal,
// monomial substitution) is a goroutine that, for each coefficient requested of it, requests
// what it needs from its inputs. Products and exponentials build networks that grow as terms
// are demanded (split replicates a series to two readers through generations of goroutines
// handing over with release channels). Coefficients are exact rationals; the checks are Go's
// (ones, add, cmul, sub, diff, integ, mul, exp of ones, arctan by monomial substitution) plus
// exp(x), 1/(1-x), the reciprocal of ones, sqrt(1+x) squared, and sin/cos from their integral
// equations. Like Go's program, the test leaves the networks' goroutines parked when done.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

using namespace conformance;

namespace {

// ---------------------------------------------------------------------------------------------
// Exact rationals. den == 0 marks the end of a finite series (Go's `finis`).

std::atomic<bool> overflowed{false};

std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) overflowed = true;
    return r;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) overflowed = true;
    return r;
}

std::int64_t gcd(std::int64_t u, std::int64_t v) {
    if (u < 0) u = -u;
    if (v < 0) v = -v;
    while (u != 0) {
        std::int64_t t = v % u;
        v = u;
        u = t;
    }
    return v;
}

struct rat {
    std::int64_t num = 0, den = 1;
    bool operator==(const rat&) const = default;
};

std::ostream& operator<<(std::ostream& os, const rat& r) {
    if (r.den == 0) return os << "finis";
    if (r.den == 1) return os << r.num;
    return os << r.num << "/" << r.den;
}

rat i2tor(std::int64_t u, std::int64_t v) {
    if (v == 0) return {1, 0};
    std::int64_t g = gcd(u, v);
    if (g == 0) g = 1;
    if (v > 0) return {u / g, v / g};
    return {-u / g, -v / g};
}

rat itor(std::int64_t u) { return i2tor(u, 1); }

const rat zero = itor(0);
const rat one = itor(1);
const rat finis{1, 0};

bool end(const rat& u) { return u.den == 0; }

rat add(rat u, rat v) {
    std::int64_t g = gcd(u.den, v.den);
    return i2tor(checked_add(checked_mul(u.num, v.den / g), checked_mul(v.num, u.den / g)), checked_mul(u.den, v.den / g));
}

rat mul(rat u, rat v) {
    std::int64_t g1 = gcd(u.num, v.den), g2 = gcd(u.den, v.num);
    if (g1 == 0) g1 = 1;
    if (g2 == 0) g2 = 1;
    return i2tor(checked_mul(u.num / g1, v.num / g2), checked_mul(u.den / g2, v.den / g1));
}

rat neg(rat u) { return i2tor(-u.num, u.den); }
rat sub(rat u, rat v) { return add(u, neg(v)); }
rat inv(rat u) { return i2tor(u.den, u.num); }

// ---------------------------------------------------------------------------------------------
// Demand channels.

std::atomic<int> seqno{0};

/// dch: a demand channel - requests go on req, the coefficient comes back on dat.
struct dch {
    gocsp::chan<int> req{0};
    gocsp::chan<rat> dat{0};
};
using PS = dch;                                   // a power series
using dch2 = std::shared_ptr<std::array<dch, 2>>;  // shared by the generations of one split

dch mkdch() { return dch{}; }
dch2 mkdch2() { return std::make_shared<std::array<dch, 2>>(); }

void put(rat dat, const dch& out) {
    (void)out.req.recv();
    out.dat.send(dat);
}

rat get(const dch& in) {
    in.req.send(++seqno);
    return in.dat.recv();
}

/// Go's getn for two series: requests from both at once and collects both answers, in
/// whatever order they come - a select whose cases are switched on and off with nil channels.
std::array<rat, 2> get2(const dch& in0, const dch& in1) {
    std::array<gocsp::chan<int>, 2> req{in0.req, in1.req};
    std::array<gocsp::chan<rat>, 2> dat{};  // nil until the request went out
    std::array<rat, 2> out{};
    rat it;
    for (int n = 4; n > 0; --n) {
        int s = ++seqno;
        switch (gocsp::select(gocsp::send_case(req[0], s), gocsp::send_case(req[1], s), gocsp::recv_case(dat[0], it),
                              gocsp::recv_case(dat[1], it))) {
            case 0:
                dat[0] = in0.dat;
                req[0] = {};
                break;
            case 1:
                dat[1] = in1.dat;
                req[1] = {};
                break;
            case 2:
                out[0] = it;
                dat[0] = {};
                break;
            case 3:
                out[1] = it;
                dat[1] = {};
                break;
        }
    }
    return out;
}

[[noreturn]] void copy(dch in, dch out) {
    for (;;) {
        (void)out.req.recv();
        out.dat.send(get(in));
    }
}

[[noreturn]] void repeat(rat dat, dch out) {
    for (;;) put(dat, out);
}

/// Go's dosplit: one generation of a split. Serves one coefficient of `in` to both outputs;
/// the newest generation serves out[0], the oldest out[1]; release hands over to the next one.
void dosplit(dch in, dch2 out, gocsp::chan<int> wait) {
    bool both = false;  // do not service both channels
    switch (gocsp::select(gocsp::recv_case((*out)[0].req), gocsp::recv_case(wait))) {
        case 0: break;
        case 1:
            both = true;
            if (gocsp::select(gocsp::recv_case((*out)[0].req), gocsp::recv_case((*out)[1].req)) == 1)
                std::swap((*out)[0], (*out)[1]);
            break;
    }
    in.req.send(++seqno);
    gocsp::chan<int> release(0);
    gocsp::go([in, out, release] { dosplit(in, out, release); });
    rat dat = in.dat.recv();
    (*out)[0].dat.send(dat);
    if (!both) (void)wait.recv();
    (void)(*out)[1].req.recv();
    (*out)[1].dat.send(dat);
    release.send(0);
}

void split(dch in, dch2 out) {
    gocsp::chan<int> release(0);
    gocsp::go([in, out, release] { dosplit(in, out, release); });
    release.send(0);
}

/// Go's Split: two copies of U. (The two handles are taken before the split starts: its
/// generations rename the shared slots, which the caller must not read concurrently.)
std::array<PS, 2> Split(PS U) {
    dch2 UU = mkdch2();
    std::array<PS, 2> copies = *UU;
    gocsp::go([U, UU] { split(U, UU); });
    return copies;
}

// ---------------------------------------------------------------------------------------------
// Power series operators.

PS Add(PS U, PS V) {
    PS Z = mkdch();
    gocsp::go([U, V, Z] {
        for (;;) {
            (void)Z.req.recv();
            auto uv = get2(U, V);
            switch (int(end(uv[0])) + 2 * int(end(uv[1]))) {
                case 0: Z.dat.send(add(uv[0], uv[1])); break;
                case 1:
                    Z.dat.send(uv[1]);
                    copy(V, Z);
                case 2:
                    Z.dat.send(uv[0]);
                    copy(U, Z);
                case 3: Z.dat.send(finis); break;
            }
        }
    });
    return Z;
}

PS Cmul(rat c, PS U) {
    PS Z = mkdch();
    gocsp::go([c, U, Z] {
        for (;;) {
            (void)Z.req.recv();
            rat u = get(U);
            if (end(u)) break;
            Z.dat.send(mul(c, u));
        }
        Z.dat.send(finis);
    });
    return Z;
}

PS Sub(PS U, PS V) { return Add(U, Cmul(neg(one), V)); }

PS Monmul(PS U, int n) {
    PS Z = mkdch();
    gocsp::go([U, Z, n]() mutable {
        for (; n > 0; --n) put(zero, Z);
        copy(U, Z);
    });
    return Z;
}

PS Rep(rat c) {
    PS Z = mkdch();
    gocsp::go([c, Z] { repeat(c, Z); });
    return Z;
}

/// c * x^n, a finite series.
PS Mon(rat c, int n) {
    PS Z = mkdch();
    gocsp::go([c, n, Z]() mutable {
        if (c.num != 0) {
            for (; n > 0; --n) put(zero, Z);
            put(c, Z);
        }
        put(finis, Z);
    });
    return Z;
}

PS Shift(rat c, PS U) {
    PS Z = mkdch();
    gocsp::go([c, U, Z] {
        put(c, Z);
        copy(U, Z);
    });
    return Z;
}

// UV = u*v + x*(u*VV + v*UU) + x*x*UU*VV, where U = u + x*UU and V = v + x*VV.
PS Mul(PS U, PS V) {
    PS Z = mkdch();
    gocsp::go([U, V, Z] {
        (void)Z.req.recv();
        auto uv = get2(U, V);
        if (end(uv[0]) || end(uv[1])) {
            Z.dat.send(finis);
        } else {
            Z.dat.send(mul(uv[0], uv[1]));
            auto UU = Split(U);
            auto VV = Split(V);
            PS W = Add(Cmul(uv[0], VV[0]), Cmul(uv[1], UU[0]));
            (void)Z.req.recv();
            Z.dat.send(get(W));
            copy(Add(W, Mul(UU[1], VV[1])), Z);
        }
    });
    return Z;
}

PS Diff(PS U) {
    PS Z = mkdch();
    gocsp::go([U, Z] {
        (void)Z.req.recv();
        rat u = get(U);
        if (!end(u)) {
            for (std::int64_t i = 1;; ++i) {
                u = get(U);
                if (end(u)) break;
                Z.dat.send(mul(itor(i), u));
                (void)Z.req.recv();
            }
        }
        Z.dat.send(finis);
    });
    return Z;
}

/// The integral of U with constant of integration c.
PS Integ(rat c, PS U) {
    PS Z = mkdch();
    gocsp::go([c, U, Z] {
        put(c, Z);
        for (std::int64_t i = 1;; ++i) {
            (void)Z.req.recv();
            rat u = get(U);
            if (end(u)) break;
            Z.dat.send(mul(i2tor(1, i), u));
        }
        Z.dat.send(finis);
    });
    return Z;
}

/// (1+x)^c
PS Binom(rat c) {
    PS Z = mkdch();
    gocsp::go([c, Z]() mutable {
        std::int64_t n = 1;
        rat t = itor(1);
        while (c.num != 0) {
            put(t, Z);
            t = mul(mul(t, c), i2tor(1, n));
            c = sub(c, one);
            ++n;
        }
        put(finis, Z);
    });
    return Z;
}

// Z = 1/U: with U = u + x*UU and Z = z + x*ZZ, z = 1/u and ZZ = -UU*(z + x*ZZ)/u.
PS Recip(PS U) {
    PS Z = mkdch();
    gocsp::go([U, Z] {
        dch2 ZZ = mkdch2();
        std::array<PS, 2> zz = *ZZ;  // before split renames the slots
        (void)Z.req.recv();
        rat z = inv(get(U));
        Z.dat.send(z);
        split(Mul(Cmul(neg(z), U), Shift(z, zz[0])), ZZ);
        copy(zz[1], Z);
    });
    return Z;
}

// Z = exp(U) for U with constant term 0: DZ = Z*DU, integrated.
PS Exp(PS U) {
    dch2 ZZ = mkdch2();
    std::array<PS, 2> zz = *ZZ;
    split(Integ(one, Mul(zz[0], Diff(U))), ZZ);
    return zz[1];
}

/// U(c0 * x^n): each coefficient u_i times c0^i, followed by n-1 zeros.
PS MonSubst(PS U, rat c0, int n) {
    PS Z = mkdch();
    gocsp::go([U, Z, c0, n] {
        rat c = one;
        for (;;) {
            (void)Z.req.recv();
            rat u = get(U);
            if (end(u)) {
                Z.dat.send(finis);
                break;
            }
            Z.dat.send(mul(u, c));
            c = mul(c, c0);
            for (int i = 1; i < n; ++i) {
                (void)Z.req.recv();
                Z.dat.send(zero);
            }
        }
    });
    return Z;
}

std::vector<rat> take(const PS& U, int n) {
    std::vector<rat> got;
    for (int i = 0; i < n; ++i) got.push_back(get(U));
    return got;
}

std::vector<rat> repeated(rat r, int n) { return std::vector<rat>(static_cast<std::size_t>(n), r); }

constexpr int N = 10;  // Go's N

std::int64_t factorial(int n) { return n <= 1 ? 1 : n * factorial(n - 1); }

}  // namespace

// [leaks-ok]: as in Go's powser1, the power series are endless generator goroutines, left
// blocked once the checks have read the terms they need.
TEST_CASE("powser1: Go's checks - ones, add, diff, integ, cmul, sub, mul, exp, arctan", "[leaks-ok]") {
    watchdog dog("powser1: Go's checks");
    PS Ones = Rep(one);
    PS Twos = Rep(itor(2));
    REQUIRE(take(Ones, 5) == repeated(one, 5));
    REQUIRE(take(Add(Ones, Ones), N) == repeated(itor(2), N));
    REQUIRE(take(Add(Ones, Twos), N) == repeated(itor(3), N));

    std::vector<rat> a(N);
    for (int i = 0; i < N; ++i) a[i] = itor(i + 1);
    REQUIRE(take(Diff(Ones), N) == a);  // 1 2 3 4 5 ...

    a[0] = zero;  // integration constant
    for (int i = 1; i < N; ++i) a[i] = i2tor(1, i);
    REQUIRE(take(Integ(zero, Ones), N) == a);  // 0 1 1/2 1/3 ...

    REQUIRE(take(Cmul(neg(one), Twos), N) == repeated(itor(-2), N));
    REQUIRE(take(Sub(Ones, Twos), N) == repeated(itor(-1), N));

    for (int i = 0; i < N; ++i) a[i] = itor(i + 1);
    REQUIRE(take(Mul(Ones, Ones), N) == a);  // 1/(1-x)^2 = 1 2 3 4 ...

    // exp(x/(1-x)): Go's table.
    const std::vector<rat> e{itor(1),          itor(1),           i2tor(3, 2),        i2tor(13, 6),
                             i2tor(73, 24),    i2tor(167, 40),    i2tor(4051, 720),   i2tor(37633, 5040),
                             i2tor(43817, 4480), i2tor(4596553, 362880)};
    REQUIRE(take(Exp(Ones), N) == e);

    // arctan(x) = integral of 1/(1+x^2): 0 1 0 -1/3 0 1/5 ...
    for (int c = 1, i = 0; i < N; ++i) {
        if (i % 2 == 0) {
            a[static_cast<std::size_t>(i)] = zero;
        } else {
            a[static_cast<std::size_t>(i)] = i2tor(c, i);
            c = -c;
        }
    }
    REQUIRE(take(Integ(zero, MonSubst(Ones, neg(one), 2)), N) == a);
    REQUIRE_FALSE(overflowed.load());
}

// [leaks-ok]: as in Go's powser1, the power series are endless generator goroutines, left
// blocked once the checks have read the terms they need.
TEST_CASE("powser1: exp(x) = sum x^n/n!, by the exponential's own recursion", "[leaks-ok]") {
    watchdog dog("powser1: exp(x)");
    std::vector<rat> expect;
    for (int n = 0; n < N; ++n) expect.push_back(i2tor(1, factorial(n)));
    REQUIRE(take(Exp(Mon(one, 1)), N) == expect);
    REQUIRE_FALSE(overflowed.load());
}

// [leaks-ok]: as in Go's powser1, the power series are endless generator goroutines, left
// blocked once the checks have read the terms they need.
TEST_CASE("powser1: reciprocals - 1/(1-x) is 1+x+x^2+..., and 1/(1+x+x^2+...) is 1-x", "[leaks-ok]") {
    watchdog dog("powser1: reciprocals");
    PS one_minus_x = Sub(Mon(one, 0), Mon(one, 1));
    REQUIRE(take(Recip(one_minus_x), N) == repeated(one, N));
    std::vector<rat> expect(N, zero);
    expect[0] = one;
    expect[1] = itor(-1);
    REQUIRE(take(Recip(Rep(one)), N) == expect);
    REQUIRE_FALSE(overflowed.load());
}

// [leaks-ok]: as in Go's powser1, the power series are endless generator goroutines, left
// blocked once the checks have read the terms they need.
TEST_CASE("powser1: finite series end - monomials, shifts and sqrt(1+x) squared", "[leaks-ok]") {
    watchdog dog("powser1: finite series");
    // 3x^2 is 0, 0, 3, then the end mark, which operators propagate.
    REQUIRE(take(Mon(itor(3), 2), 4) == std::vector<rat>{zero, zero, itor(3), finis});
    REQUIRE(take(Shift(itor(5), Mon(one, 1)), 4) == std::vector<rat>{itor(5), zero, one, finis});
    REQUIRE(take(Monmul(Mon(one, 0), 2), 4) == std::vector<rat>{zero, zero, one, finis});
    REQUIRE(take(Cmul(itor(2), Mon(one, 1)), 3) == std::vector<rat>{zero, itor(2), finis});
    // sqrt(1+x) = 1 + x/2 - x^2/8 + x^3/16 - 5x^4/128 + ...
    REQUIRE(take(Binom(i2tor(1, 2)), 5) ==
            std::vector<rat>{one, i2tor(1, 2), i2tor(-1, 8), i2tor(1, 16), i2tor(-5, 128)});
    // ... and its square is 1 + x exactly.
    std::vector<rat> expect(N, zero);
    expect[0] = one;
    expect[1] = one;
    REQUIRE(take(Mul(Binom(i2tor(1, 2)), Binom(i2tor(1, 2))), N) == expect);
    REQUIRE_FALSE(overflowed.load());
}

// [leaks-ok]: as in Go's powser1, the power series are endless generator goroutines, left
// blocked once the checks have read the terms they need.
TEST_CASE("powser1: cos and sin from their integral equations (feedback through split)", "[leaks-ok]") {
    watchdog dog("powser1: sin and cos");
    // cos = 1 - integral(integral(cos)): a series defined in terms of itself.
    dch2 CC = mkdch2();
    std::array<PS, 2> cc = *CC;
    split(Integ(one, Cmul(neg(one), Integ(zero, cc[0]))), CC);
    std::vector<rat> cos_expect, sin_expect;
    for (int n = 0; n < N; ++n) {
        const std::int64_t f = factorial(n);
        if (n % 2 == 0) {
            cos_expect.push_back(i2tor(n % 4 == 0 ? 1 : -1, f));
            sin_expect.push_back(zero);
        } else {
            cos_expect.push_back(zero);
            sin_expect.push_back(i2tor(n % 4 == 1 ? 1 : -1, f));
        }
    }
    REQUIRE(take(cc[1], N) == cos_expect);
    // sin = integral(1 - integral(sin)) from 0.
    dch2 SS = mkdch2();
    std::array<PS, 2> ss = *SS;
    split(Integ(zero, Integ(one, Cmul(neg(one), ss[0]))), SS);
    REQUIRE(take(ss[1], N) == sin_expect);
    REQUIRE_FALSE(overflowed.load());
}

// [leaks-ok]: as in Go's powser1, the power series are endless generator goroutines, left
// blocked once the checks have read the terms they need.
TEST_CASE("powser1: the series evaluated from a goroutine", "[leaks-ok]") {
    watchdog dog("powser1: in goroutine");
    std::vector<rat> got;
    in_goroutine([&] { got = take(Exp(Rep(one)), N); });
    REQUIRE(got.size() == N);
    REQUIRE(got[9] == i2tor(4596553, 362880));
}
