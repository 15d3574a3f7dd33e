// Checks the behaviour of Go's test/chan/select6.go (Go issue 2075): a select that blocks on
// several channels and is woken through one of them must leave the wait queues of the others
// sound. In Go's scenario c1 has two waiters, a plain receiver and (behind it) a select; the
// select wins on c2; later plain sends on c1 must still reach every receiver waiting on c1.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace conformance;

TEST_CASE("select6: the Go issue 2075 scenario, many times over") {
    watchdog dog("select6: issue 2075");
    const int rounds = stress_iterations / 20;
    std::atomic<int> wrong_case{0};
    for (int round = 0; round < rounds; ++round) {
        gocsp::chan<bool> c1(0), c2(0), c3(0);
        gocsp::wait_group done;
        done.add(3);
        gocsp::go([&] {
            (void)c1.recv();
            done.done();
        });
        if (round % 2 == 0) gocsp::yield();  // vary the order in which the two queue on c1
        gocsp::go([&] {
            switch (gocsp::select(gocsp::recv_case(c1), gocsp::recv_case(c2))) {
                case 0:
                    ++wrong_case;  // nobody sends on c1 before c3 is answered
                    break;
                case 1:
                    c3.send(true);
                    break;
            }
            (void)c1.recv();
            done.done();
        });
        gocsp::go([&] {
            c2.send(true);
            done.done();
        });
        (void)c3.recv();
        c1.send(true);
        c1.send(true);  // used to hang: the failed select's entry corrupted c1's queue
        done.wait();
    }
    REQUIRE(wrong_case.load() == 0);
}

TEST_CASE("select6: many waiters on a channel, a select among them wins elsewhere, all others still served") {
    // k plain receivers on c1, then a select on (c1, c2), then k more receivers on c1; the select
    // is woken by c2. Then 2k+1 sends on c1 (the select goroutine waits on c1 again afterwards)
    // must each find a receiver, and every receiver must get exactly one value.
    watchdog dog("select6: many waiters");
    constexpr int k = 5;
    const int rounds = stress_iterations / 50;
    for (int round = 0; round < rounds; ++round) {
        gocsp::chan<int> c1(0), c2(0);
        std::vector<std::atomic<int>> got(2 * k + 1);
        std::atomic<int> select_index{-1};
        gocsp::wait_group started, done;
        started.add(2 * k + 1);
        done.add(2 * k + 1);
        auto receiver = [&](int id) {
            started.done();
            got[static_cast<std::size_t>(id)] += c1.recv();
            done.done();
        };
        for (int i = 0; i < k; ++i) gocsp::go(receiver, i);
        gocsp::sleep_for(100us);
        gocsp::go([&] {
            started.done();
            int v = 0;
            select_index = static_cast<int>(gocsp::select(gocsp::recv_case(c1, v), gocsp::recv_case(c2, v)));
            got[2 * k] += c1.recv();
            done.done();
        });
        gocsp::sleep_for(100us);
        for (int i = k; i < 2 * k; ++i) gocsp::go(receiver, i);
        started.wait();
        gocsp::sleep_for(100us);
        c2.send(1000);  // wakes the select (the only receiver on c2)
        for (int i = 0; i < 2 * k + 1; ++i) c1.send(1);
        done.wait();
        REQUIRE(select_index.load() == 1);
        int total = 0;
        for (auto& g : got) {
            REQUIRE(g.load() == 1);
            total += g.load();
        }
        REQUIRE(total == 2 * k + 1);
    }
}

TEST_CASE("select6: select woken on one channel then plain operations on the other channels") {
    // Plain receivers wait on a, b and c (some queued before the select, some after); a select
    // waits on receives from a, b, c and t and on a send on d. The select is woken through t or
    // d (three ways: a send on t, a close of t, a receive from d), so its entries on a, b and c
    // are abandoned. One send on each of a, b and c must then reach each plain receiver: an
    // abandoned entry must not swallow a value or a wake-up.
    watchdog dog("select6: several channels");
    const int rounds = stress_iterations / 20;
    for (int round = 0; round < rounds; ++round) {
        gocsp::chan<int> a(0), b(0), c(0), d(0), t(0);
        std::atomic<int> sum{0};
        std::atomic<int> chosen{-1};
        gocsp::chan<bool> select_done(1);
        gocsp::wait_group plain_done;
        plain_done.add(3);
        const bool early = round % 2 == 0;  // plain receivers queue before or after the select
        auto plain = [&] {
            gocsp::go([&] { sum += a.recv(); plain_done.done(); });
            gocsp::go([&] { sum += b.recv(); plain_done.done(); });
            gocsp::go([&] { sum += c.recv(); plain_done.done(); });
        };
        if (early) plain();
        gocsp::go([&] {
            int v = 0;
            bool ok = true;
            chosen = static_cast<int>(gocsp::select(gocsp::recv_case(a, v), gocsp::recv_case(b, v),
                                                    gocsp::recv_case(c, v), gocsp::recv_case(t, v, ok),
                                                    gocsp::send_case(d, 7)));
            select_done.send(true);
        });
        if (!early) plain();
        pause(100us);  // let everyone queue (not needed for correctness)
        const int trigger = (round / 2) % 3;
        int d_value = 0;
        switch (trigger) {
            case 0: t.send(1); break;
            case 1: t.close(); break;
            case 2: d_value = d.recv(); break;
        }
        (void)select_done.recv();
        a.send(100);
        b.send(100);
        c.send(100);
        plain_done.wait();
        INFO("round " << round << ", trigger " << trigger << ", select chose " << chosen.load());
        REQUIRE(chosen.load() == (trigger == 2 ? 4 : 3));
        REQUIRE(sum.load() == 300);
        if (trigger == 2) REQUIRE(d_value == 7);
    }
}
