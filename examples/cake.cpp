// cake - gopl.io/ch8/cake of "The Go Programming Language" (section 8.4.4): a cake shop with
// a baker, icers and an inscriber, connected by channels, and the book's six experiments with
// it.
//
// The lesson: what buffers and extra workers do to a pipeline. Each cook works for a time drawn
// from a normal distribution (mean and standard deviation per stage), then hands the cake to
// the next stage through a channel of a given capacity. The book's benchmarks, whose figures
// (ms per run of 20 cakes, steps of 10 ms) this program prints beside its own:
//   baseline            no buffers, each step exactly 10 ms                          224 ms
//   buffers             buffers of 10: no effect when every step takes the same time  224 ms
//   variable            each step varies (stddev 2.5 ms): stages wait on each other    259 ms
//   variable+buffers    buffers absorb the variation                                  244 ms
//   slow icing          icing takes 50 ms: it is the critical path                    1032 ms
//   slow icing, 5 icers five icers in parallel recover most of it                     288 ms
// As in the book, work() sleeps: the cooks wait, they do not compute, so the figures depend on
// timing alone, not on how many cores run the cooks.
//
//     $ cake -runs 5
//     scenario                ms/run   book
//     baseline                 221.0    224
//     ...
//
// Flags: -runs n (runs per scenario, default 5; at least 1, else a flag error, exit status 2),
// -v (Go's Shop.Verbose: every step printed).
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <random>

#include "flags.hpp"

using namespace std::chrono_literals;
using duration = std::chrono::nanoseconds;

int& runs = flag::integer("runs", 5, "runs of each scenario");
bool& verbose = flag::boolean("v", false, "print every step of every cake");

struct shop {
    bool verbose = false;
    int cakes = 0;                 // number of cakes to bake
    duration bake_time{};          // time to bake one cake
    duration bake_stddev{};        // standard deviation of baking time
    int bake_buf = 0;              // buffer slots between baking and icing
    int num_icers = 0;             // number of cooks doing icing
    duration ice_time{};           // time to ice one cake
    duration ice_stddev{};         // standard deviation of icing time
    int ice_buf = 0;               // buffer slots between icing and inscribing
    duration inscribe_time{};      // time to inscribe one cake
    duration inscribe_stddev{};    // standard deviation of inscribing time

    void work_runs(int n) const;  // Go's Shop.Work: runs the simulation n times

private:
    void baker(gocsp::send_chan<int> baked) const;
    void icer(gocsp::send_chan<int> iced, gocsp::recv_chan<int> baked) const;
    void inscriber(gocsp::recv_chan<int> iced) const;
};

// work blocks the calling goroutine for a period of time that is normally distributed around d
// with a standard deviation of stddev.
void work(duration d, duration stddev) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const double delay = static_cast<double>(d.count()) +
                         std::normal_distribution<double>()(rng) * static_cast<double>(stddev.count());
    gocsp::sleep_for(duration(static_cast<duration::rep>(delay)));
}

void shop::baker(gocsp::send_chan<int> baked) const {
    for (int c = 0; c < cakes; ++c) {
        if (verbose) std::printf("baking %d\n", c);
        work(bake_time, bake_stddev);
        baked << c;
    }
    baked.close();
}

void shop::icer(gocsp::send_chan<int> iced, gocsp::recv_chan<int> baked) const {
    for (int c : baked) {
        if (verbose) std::printf("icing %d\n", c);
        work(ice_time, ice_stddev);
        iced << c;
    }
}

void shop::inscriber(gocsp::recv_chan<int> iced) const {
    for (int i = 0; i < cakes; ++i) {
        int c = iced.recv();
        if (verbose) std::printf("inscribing %d\n", c);
        work(inscribe_time, inscribe_stddev);
        if (verbose) std::printf("finished %d\n", c);
    }
}

void shop::work_runs(int n) const {
    for (int run = 0; run < n; ++run) {
        gocsp::chan<int> baked(static_cast<std::size_t>(bake_buf));
        gocsp::chan<int> iced(static_cast<std::size_t>(ice_buf));
        gocsp::go([this, baked] { baker(baked); });
        for (int i = 0; i < num_icers; ++i) gocsp::go([this, iced, baked] { icer(iced, baked); });
        inscriber(iced);
    }
}

int main(int argc, char** argv) {
    flag::parse(argc, argv);
    if (runs < 1) flag::invalid_value("runs", "non-positive number of runs");

    shop defaults;
    defaults.verbose = verbose;
    defaults.cakes = 20;
    defaults.bake_time = 10ms;
    defaults.num_icers = 1;
    defaults.ice_time = 10ms;
    defaults.inscribe_time = 10ms;

    struct scenario {
        const char* name;
        shop s;
        int book_ms;
    } scenarios[6] = {
        {"baseline", defaults, 224},
        {"buffers", defaults, 224},
        {"variable", defaults, 259},
        {"variable+buffers", defaults, 244},
        {"slow icing", defaults, 1032},
        {"slow icing, 5 icers", defaults, 288},
    };
    // Adding buffers has no effect.
    scenarios[1].s.bake_buf = scenarios[1].s.ice_buf = 10;
    // Adding variability to the rate of each step increases the total time due to channel delays.
    for (shop* s : {&scenarios[2].s, &scenarios[3].s}) {
        s->bake_stddev = s->bake_time / 4;
        s->ice_stddev = s->ice_time / 4;
        s->inscribe_stddev = s->inscribe_time / 4;
    }
    // Adding channel buffers reduces the delays resulting from variability.
    scenarios[3].s.bake_buf = scenarios[3].s.ice_buf = 10;
    // Making the middle stage slower adds directly to the critical path.
    scenarios[4].s.ice_time = scenarios[5].s.ice_time = 50ms;
    // More icing cooks reduce the cost of icing to its sequential component (Amdahl's law).
    scenarios[5].s.num_icers = 5;

    std::printf("%-22s %8s %6s\n", "scenario", "ms/run", "book");
    for (const scenario& sc : scenarios) {
        const auto start = std::chrono::steady_clock::now();
        sc.s.work_runs(runs);
        const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
        std::printf("%-22s %8.1f %6d\n", sc.name, elapsed.count() / runs, sc.book_ms);
        std::fflush(stdout);
    }
}
