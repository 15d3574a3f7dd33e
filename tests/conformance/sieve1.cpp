// Checks the behaviour of Go's test/chan/sieve1.go: the concurrent prime sieve - a generator of
// 2, 3, 4, ... and a daisy chain of filter goroutines, one per prime found, linked by unbuffered
// channels. The primes it prints are checked exactly against a sequential sieve. Unlike Go's
// program, which exits with its goroutines still blocked, every goroutine here also watches a
// quit channel, and the test checks that closing it stops all of them (a close wakes every
// select waiting on the channel).
#include "common.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace conformance;

namespace {

std::vector<int> first_primes(std::size_t n) {
    std::vector<int> primes;
    for (int c = 2; primes.size() < n; ++c) {
        bool prime = true;
        for (int p : primes) {
            if (p * p > c) break;
            if (c % p == 0) {
                prime = false;
                break;
            }
        }
        if (prime) primes.push_back(c);
    }
    return primes;
}

/// A send that gives up when quit is closed. Returns whether v was sent.
bool send_or_quit(const gocsp::send_chan<int>& ch, int v, const gocsp::recv_chan<bool>& quit) {
    return gocsp::select(gocsp::send_case(ch, v), gocsp::recv_case(quit)) == 0;
}

/// A receive that gives up when quit is closed. Returns whether v was received.
bool recv_or_quit(const gocsp::recv_chan<int>& ch, int& v, const gocsp::recv_chan<bool>& quit) {
    return gocsp::select(gocsp::recv_case(ch, v), gocsp::recv_case(quit)) == 0;
}

struct sieve_net {
    gocsp::chan<bool> quit{0};
    gocsp::wait_group running;  // every goroutine of the sieve
};

/// Go's Generate: sends 2, 3, 4, ... to ch.
void generate(gocsp::send_chan<int> ch, sieve_net& net) {
    for (int i = 2;; ++i)
        if (!send_or_quit(ch, i, net.quit)) break;
    net.running.done();
}

/// Go's Filter: copies in to out, removing multiples of prime.
void filter(gocsp::recv_chan<int> in, gocsp::send_chan<int> out, int prime, sieve_net& net) {
    int i = 0;
    while (recv_or_quit(in, i, net.quit)) {
        if (i % prime != 0 && !send_or_quit(out, i, net.quit)) break;
    }
    net.running.done();
}

/// Go's Sieve: daisy-chains filters together, sending each prime found to primes.
void sieve(gocsp::send_chan<int> primes, sieve_net& net) {
    gocsp::chan<int> ch(0);
    net.running.add(1);
    gocsp::go([ch, &net] { generate(ch, net); });
    for (;;) {
        int prime = 0;
        if (!recv_or_quit(ch, prime, net.quit)) break;
        if (!send_or_quit(primes, prime, net.quit)) break;
        gocsp::chan<int> ch1(0);
        net.running.add(1);
        gocsp::go([ch, ch1, prime, &net] { filter(ch, ch1, prime, net); });
        ch = ch1;
    }
    net.running.done();
}

std::vector<int> run_sieve(std::size_t n) {
    sieve_net net;
    gocsp::chan<int> primes(0);
    net.running.add(1);
    gocsp::go([primes, &net] { sieve(primes, net); });
    std::vector<int> got;
    for (std::size_t i = 0; i < n; ++i) got.push_back(primes.recv());
    net.quit.close();
    net.running.wait();  // every generator, filter and the sieve itself stopped
    return got;
}

}  // namespace

TEST_CASE("sieve1: the daisy-chain prime sieve yields exactly the first primes") {
    watchdog dog("sieve1");
    // Go's test checks the 25 primes below 100; this checks many more.
    const auto n = static_cast<std::size_t>(stress_iterations / 20);
    REQUIRE(run_sieve(25) == first_primes(25));
    REQUIRE(run_sieve(n) == first_primes(n));
}

TEST_CASE("sieve1: the sieve read from inside a goroutine") {
    watchdog dog("sieve1 in goroutine");
    std::vector<int> got;
    in_goroutine([&] { got = run_sieve(200); });
    REQUIRE(got == first_primes(200));
}
