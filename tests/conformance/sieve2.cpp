// Checks the behaviour of Go's test/chan/sieve2.go: the "better" concurrent sieve of
// Eratosthenes over odd candidates. A generator goroutine produces the odd numbers from 5; one
// generator goroutine per prime p produces its odd multiples from p*p; a merging goroutine keeps
// those streams in a heap ordered by their next value and merges them into one increasing stream
// of composites; the sieve goroutine drops the composites from the candidates and feeds each
// prime it finds back to the merger through a proxy goroutine with an unbounded buffer (a select
// whose send case is disabled - a nil channel - while the buffer is empty). The primes are
// checked exactly against a sequential sieve. As in sieve1.cpp, every goroutine also watches a
// quit channel so that the test can stop them all.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <queue>
#include <vector>

using namespace conformance;

namespace {

std::vector<int> expected_primes(std::size_t n) {
    std::vector<bool> composite(200000, false);
    std::vector<int> primes;
    for (std::size_t c = 2; primes.size() < n && c < composite.size(); ++c) {
        if (composite[c]) continue;
        primes.push_back(static_cast<int>(c));
        for (std::size_t m = c * c; m < composite.size(); m += c) composite[m] = true;
    }
    return primes;
}

struct net {
    gocsp::chan<bool> quit{0};
    gocsp::wait_group running;

    /// go: starts f as one of the network's goroutines.
    template <class F>
    void go(F f) {
        running.add(1);
        gocsp::go([this, f]() mutable {
            f();
            running.done();
        });
    }
    bool send(const gocsp::send_chan<int>& ch, int v) {
        return gocsp::select(gocsp::send_case(ch, v), gocsp::recv_case(quit)) == 0;
    }
    bool recv(const gocsp::recv_chan<int>& ch, int& v) {
        return gocsp::select(gocsp::recv_case(ch, v), gocsp::recv_case(quit)) == 0;
    }
};

/// Go's odds: 5, 7, 9, ...
gocsp::chan<int> odds(net& n) {
    gocsp::chan<int> out(50);
    n.go([out, &n] {
        for (int v = 5; n.send(out, v); v += 2) {
        }
    });
    return out;
}

/// Go's multiples: the odd multiples of p from p*p: p*p, p*p + 2p, ...
gocsp::chan<int> multiples(int p, net& n) {
    gocsp::chan<int> out(10);
    n.go([out, p, &n] {
        for (int v = p * p; n.send(out, v); v += 2 * p) {
        }
    });
    return out;
}

/// Go's sendproxy: a channel whose sends never block, forwarding to out in order.
gocsp::send_chan<int> sendproxy(gocsp::send_chan<int> out, net& n) {
    gocsp::chan<int> proxy(10);
    n.go([proxy, out, &n] {
        std::deque<int> buffer;
        for (;;) {
            gocsp::send_chan<int> c = out;
            int e = 0;
            if (buffer.empty()) c = gocsp::send_chan<int>();  // nil: this case is disabled
            else e = buffer.front();
            int in = 0;
            switch (gocsp::select(gocsp::recv_case(proxy, in), gocsp::send_case(c, e), gocsp::recv_case(n.quit))) {
                case 0: buffer.push_back(in); break;
                case 1: buffer.pop_front(); break;
                case 2: return;
            }
        }
    });
    return proxy;
}

/// A stream in the merger's heap: its next value and the channel of the rest.
struct peek_ch {
    int head;
    gocsp::chan<int> ch;
    bool operator>(const peek_ch& o) const { return head > o.head; }
};

/// Go's Sieve: returns the channel of primes.
gocsp::chan<int> sieve(net& n) {
    gocsp::chan<int> out(10);
    out.send(2);
    out.send(3);
    gocsp::chan<int> composites(50);  // all odd composites from 9, increasing
    gocsp::chan<int> primes(10);      // the feedback loop: odd primes, increasing
    primes.send(3);

    // The merger: after taking prime p from the feedback loop, adds p's multiples to the heap
    // and emits every composite up to p*p; those are enough to find the next prime (< p*p).
    n.go([primes, composites, &n] {
        std::priority_queue<peek_ch, std::vector<peek_ch>, std::greater<>> heap;
        int p = 0, last = 0;
        while (n.recv(primes, p)) {
            gocsp::chan<int> m = multiples(p, n);
            int head = 0;
            if (!n.recv(m, head)) return;
            heap.push({head, m});
            while (heap.top().head <= p * p) {
                peek_ch s = heap.top();
                heap.pop();
                if (s.head != last) {  // two primes' streams may share a value (15 = 3*5)
                    if (!n.send(composites, s.head)) return;
                    last = s.head;
                }
                if (!n.recv(s.ch, s.head)) return;
                heap.push(s);
            }
        }
    });

    // The sieve: drops the composites from the odd candidates.
    n.go([out, primes, composites, &n] {
        gocsp::send_chan<int> feedback = sendproxy(primes, n);
        gocsp::chan<int> candidates = odds(n);
        int p = 0;
        if (!n.recv(candidates, p)) return;
        for (;;) {
            int c = 0;
            if (!n.recv(composites, c)) return;
            while (p < c) {
                if (!n.send(feedback, p) || !n.send(out, p)) return;
                if (!n.recv(candidates, p)) return;
            }
            if (p == c && !n.recv(candidates, p)) return;
        }
    });
    return out;
}

std::vector<int> run(std::size_t count) {
    net n;
    gocsp::chan<int> primes = sieve(n);
    std::vector<int> got;
    for (std::size_t i = 0; i < count; ++i) got.push_back(primes.recv());
    n.quit.close();
    n.running.wait();
    return got;
}

}  // namespace

TEST_CASE("sieve2: the heap-merging sieve yields exactly the first primes") {
    watchdog dog("sieve2");
    REQUIRE(run(25) == expected_primes(25));  // Go's test: the primes below 100
    const auto n = static_cast<std::size_t>(stress_iterations / 5);
    REQUIRE(run(n) == expected_primes(n));
}

TEST_CASE("sieve2: the sieve read from inside a goroutine") {
    watchdog dog("sieve2 in goroutine");
    std::vector<int> got;
    in_goroutine([&] { got = run(500); });
    REQUIRE(got == expected_primes(500));
}
