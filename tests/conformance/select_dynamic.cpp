// Checks the behaviour of Go's reflect.Select (src/reflect/all_test.go, TestSelect: a select over
// a slice of cases built at run time) and of the select statement's control flow: a select over
// cases built at run time - a std::vector<gocsp::select_case> - fans in N channels exactly (every
// value once, each channel's values in order), from the main thread, from a std::thread and from
// a goroutine; a run-time select fans out sends, and takes a default case in the vector when
// nothing is ready; and code after a select's case may `return`, `break` (leave the switch) or
// `continue` (the enclosing loop), exactly as in Go.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace conformance;

namespace {

constexpr int nchan = 16;

struct fan_in_result {
    std::vector<long> count, sum;
    long out_of_order = 0, foreign = 0, selects = 0;
};

/// Receives from all inputs through one run-time select until every input is closed.
fan_in_result fan_in(std::vector<gocsp::chan<int>> inputs, int per_chan) {
    struct slot {
        int v = 0;
        bool ok = false;
    };
    const std::size_t n = inputs.size();
    std::vector<slot> slots(n);
    fan_in_result r;
    r.count.assign(n, 0);
    r.sum.assign(n, 0);
    std::vector<int> last(n, -1);
    std::size_t open = n;
    std::vector<gocsp::select_case> cases;
    while (open > 0) {
        cases.clear();
        for (std::size_t k = 0; k < n; ++k) cases.push_back(gocsp::recv_case(inputs[k], slots[k].v, slots[k].ok));
        const std::size_t k = gocsp::select(cases);
        ++r.selects;
        if (!slots[k].ok) {
            inputs[k] = gocsp::chan<int>();  // closed: a nil channel's case is never chosen again
            --open;
            continue;
        }
        const int v = slots[k].v;
        if (v / per_chan != static_cast<int>(k)) ++r.foreign;
        if (v <= last[k]) ++r.out_of_order;
        last[k] = v;
        ++r.count[k];
        r.sum[k] += v;
    }
    return r;
}

std::vector<gocsp::chan<int>> start_senders(int per_chan) {
    std::vector<gocsp::chan<int>> inputs;
    for (int k = 0; k < nchan; ++k) {
        gocsp::chan<int> c(static_cast<std::size_t>(k % 3));  // unbuffered and buffered mixed
        inputs.push_back(c);
        gocsp::go([c, k, per_chan] {
            for (int i = 0; i < per_chan; ++i) c.send(k * per_chan + i);
            c.close();
        });
    }
    return inputs;
}

void check(const fan_in_result& r, int per_chan) {
    REQUIRE(r.foreign == 0);
    REQUIRE(r.out_of_order == 0);
    for (int k = 0; k < nchan; ++k) {
        INFO("channel " << k);
        const long first = static_cast<long>(k) * per_chan;
        REQUIRE(r.count[static_cast<std::size_t>(k)] == per_chan);
        REQUIRE(r.sum[static_cast<std::size_t>(k)] == per_chan * first + static_cast<long>(per_chan) * (per_chan - 1) / 2);
    }
    REQUIRE(r.selects == static_cast<long>(nchan) * (per_chan + 1));
}

/// Go's select control flow: `continue`, `break` and `return` inside the cases.
struct flow_log {
    std::vector<int> data;
    int skips = 0, after_switch = 0, iterations = 0;
};

int drive(const gocsp::chan<int>& data, const gocsp::chan<int>& skip, const gocsp::chan<int>& quit, flow_log& log) {
    for (;;) {
        ++log.iterations;
        int v = 0;
        switch (gocsp::select(gocsp::recv_case(data, v), gocsp::recv_case(skip), gocsp::recv_case(quit, v))) {
            case 0:
                log.data.push_back(v);
                break;  // leaves the switch: the code after it runs
            case 1:
                ++log.skips;
                continue;  // the next iteration of the loop: the code after the switch is skipped
            case 2:
                return v;  // leaves the function
        }
        ++log.after_switch;
    }
}

void feed(gocsp::chan<int> data, gocsp::chan<int> skip, gocsp::chan<int> quit) {
    data.send(1);
    skip.send(0);
    data.send(2);
    skip.send(0);
    skip.send(0);
    data.send(3);
    quit.send(42);
}

void check_flow(int returned, const flow_log& log) {
    REQUIRE(returned == 42);
    REQUIRE(log.data == std::vector<int>{1, 2, 3});
    REQUIRE(log.skips == 3);
    REQUIRE(log.after_switch == 3);
    REQUIRE(log.iterations == 7);
}

}  // namespace

TEST_CASE("select_dynamic: fan-in over 16 channels with a run-time case vector, on the main thread") {
    watchdog dog("select_dynamic: main");
    const int per_chan = stress_iterations / 10;
    auto r = fan_in(start_senders(per_chan), per_chan);
    check(r, per_chan);
}

TEST_CASE("select_dynamic: fan-in over 16 channels with a run-time case vector, on a std::thread") {
    watchdog dog("select_dynamic: thread");
    const int per_chan = stress_iterations / 10;
    fan_in_result r;
    std::thread t([&] { r = fan_in(start_senders(per_chan), per_chan); });
    t.join();
    check(r, per_chan);
}

TEST_CASE("select_dynamic: fan-in over 16 channels with a run-time case vector, in a goroutine") {
    watchdog dog("select_dynamic: goroutine");
    const int per_chan = stress_iterations / 10;
    fan_in_result r;
    in_goroutine([&] { r = fan_in(start_senders(per_chan), per_chan); });
    check(r, per_chan);
}

TEST_CASE("select_dynamic: fan-out by run-time send cases, and a default case in the vector") {
    watchdog dog("select_dynamic: fan-out");
    const int total = stress_iterations;
    std::vector<gocsp::chan<int>> outs;
    std::vector<std::atomic<long>> got(nchan), sums(nchan);
    gocsp::wait_group wg;
    wg.add(nchan);
    for (int k = 0; k < nchan; ++k) {
        gocsp::chan<int> c(static_cast<std::size_t>(k % 2));
        outs.push_back(c);
        gocsp::go([c, k, &got, &sums, &wg] {
            for (int v : c) {
                ++got[static_cast<std::size_t>(k)];
                sums[static_cast<std::size_t>(k)] += v;
            }
            wg.done();
        });
    }
    long expected_sum = 0;
    std::vector<gocsp::select_case> cases;
    for (int i = 0; i < total; ++i) {
        int v = i;
        cases.clear();
        for (auto& c : outs) cases.push_back(gocsp::send_case(c, v));
        const std::size_t k = gocsp::select(cases);
        REQUIRE(k < outs.size());
        expected_sum += i;
    }
    for (auto& c : outs) c.close();
    wg.wait();
    long n = 0, s = 0;
    for (int k = 0; k < nchan; ++k) {
        n += got[static_cast<std::size_t>(k)].load();
        s += sums[static_cast<std::size_t>(k)].load();
    }
    REQUIRE(n == total);
    REQUIRE(s == expected_sum);

    // A default case in the vector runs when nothing is ready - and only then.
    gocsp::chan<int> idle(0), ready(1);
    int v = 0;
    cases = {gocsp::recv_case(idle, v), gocsp::default_case, gocsp::send_case(idle, v)};
    REQUIRE(gocsp::select(cases) == 1);
    ready.send(5);
    cases = {gocsp::recv_case(idle, v), gocsp::default_case, gocsp::recv_case(ready, v)};
    REQUIRE(gocsp::select(cases) == 2);
    REQUIRE(v == 5);
}

TEST_CASE("select_dynamic: return, break and continue inside select cases, driven on the main thread") {
    watchdog dog("select_dynamic: control flow main");
    gocsp::chan<int> data(0), skip(0), quit(0);
    gocsp::go([data, skip, quit] { feed(data, skip, quit); });
    flow_log log;
    const int returned = drive(data, skip, quit, log);
    check_flow(returned, log);
}

TEST_CASE("select_dynamic: return, break and continue inside select cases, driven in a goroutine") {
    watchdog dog("select_dynamic: control flow goroutine");
    gocsp::chan<int> data(0), skip(0), quit(0);
    std::thread t([data, skip, quit] { feed(data, skip, quit); });  // and the feeder a plain thread
    flow_log log;
    int returned = 0;
    in_goroutine([&] { returned = drive(data, skip, quit, log); });
    t.join();
    check_flow(returned, log);
}
