// Shared helpers of the conformance tests (tests/conformance/*.cpp): the one iteration knob,
// "still blocked after a window" probes, a deadlock watchdog, and a thread-safe failure log for
// checks made off the main thread (Catch2's assertions may only run on the main thread).
//
// Rules every conformance test follows:
//   - no timing assertions, except "still blocked after block_window" (which can only fail if
//     the operation wrongly completes) and generous "eventually" deadlines;
//   - code running in goroutines or std::threads never uses REQUIRE/CHECK: it records into a
//     `failures` log (or atomics) that the main thread asserts on afterwards;
//   - state that a goroutine may still touch after the test case returns (a goroutine meant to
//     block forever) is held by shared_ptr, never by reference to the test's stack.
#pragma once

#include <gocsp/chan.hpp>
#include <gocsp/gocsp.hpp>
#include <gocsp/select.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace conformance {

using namespace std::chrono_literals;

/// stress_iterations: THE knob. Every stress loop of the conformance suite derives its iteration
/// count from this one constant (Go's own tests use 10^4..10^5 iterations). Sanitizer builds
/// (GOCSP_TEST_SANITIZED, set by the GOCSP_SANITIZE CMake option, any compiler) run a tenth of
/// it: every operation costs 2-15 times more there, and a race shows up in a few thousand rounds.
/// ThreadSanitizer runs half of that again: most stress loops start a goroutine a round, and each
/// is a TSan fiber whose creation costs about 6 ms here (the page faults of its ~880 KB); at 4,000
/// rounds the four nonblock race cases alone took about 100 s of a CI run.
#if GOCSP_TEST_SANITIZED && GOCSP_TSAN
inline constexpr int stress_iterations = 2000;
#elif GOCSP_TEST_SANITIZED
inline constexpr int stress_iterations = 4000;
#else
inline constexpr int stress_iterations = 40000;
#endif

/// block_window: how long an operation must stay blocked to count as "blocks" (Go's select3.go
/// uses 0.1 s). A wrong result here is always a real bug: the check fails only if the operation
/// completes, which it must never do.
inline constexpr std::chrono::milliseconds block_window{100};

/// generous: the deadline of things that must happen "eventually". Never a performance claim.
inline constexpr std::chrono::milliseconds generous{30000};

/// watchdog_limit: a test case that has not finished after this long is deadlocked.
inline constexpr std::chrono::seconds watchdog_limit{90};

// ---------------------------------------------------------------------------------------------

/// failures: a thread-safe log of failed checks made in goroutines and plain threads. The main
/// thread asserts `log.count() == 0` with `INFO(log.summary())`.
class failures {
public:
    void add(const std::string& what) {
        n_.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard<std::mutex> hold(m_);
        if (msgs_.size() < 20) msgs_.push_back(what);
    }
    int count() const { return n_.load(); }
    std::string summary() const {
        std::lock_guard<std::mutex> hold(m_);
        std::ostringstream out;
        out << n_.load() << " failed check(s)";
        for (auto& m : msgs_) out << "\n  " << m;
        return out.str();
    }

private:
    std::atomic<int> n_{0};
    mutable std::mutex m_;
    std::vector<std::string> msgs_;
};

/// EXPECT_OFF_MAIN(log, cond, description): records a failure of cond in log (usable anywhere).
#define EXPECT_OFF_MAIN(log, cond, description)                                              \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            std::ostringstream expect_off_main_os;                                          \
            expect_off_main_os << __FILE__ << ":" << __LINE__ << ": " << #cond << " -- "    \
                               << description;                                              \
            (log).add(expect_off_main_os.str());                                            \
        }                                                                                   \
    } while (0)

// ---------------------------------------------------------------------------------------------

/// watchdog: ends the process with a message if the test case it guards deadlocks, instead of
/// waiting for CTest's timeout (and instead of unwinding a stack that blocked goroutines still
/// refer to). Put one at the top of every test case that blocks on other goroutines.
class watchdog {
public:
    explicit watchdog(std::string what, std::chrono::seconds limit = watchdog_limit)
        : what_(std::move(what)), thread_([this, limit] { run(limit); }) {}
    watchdog(const watchdog&) = delete;
    watchdog& operator=(const watchdog&) = delete;
    ~watchdog() {
        {
            std::lock_guard<std::mutex> hold(m_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

private:
    void run(std::chrono::seconds limit) {
        std::unique_lock<std::mutex> hold(m_);
        if (!cv_.wait_for(hold, limit, [this] { return done_; })) {
            std::fprintf(stderr, "\nconformance watchdog: '%s' did not finish within %lld s: deadlock\n",
                         what_.c_str(), static_cast<long long>(limit.count()));
            std::fflush(stderr);
            std::_Exit(3);
        }
    }

    std::string what_;
    std::mutex m_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;  // last: started once the rest is ready
};

// ---------------------------------------------------------------------------------------------

/// eventually: polls pred until it holds or `limit` passes; returns whether it held.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = generous) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (int spins = 0;; ++spins) {
        if (pred()) return true;
        if (std::chrono::steady_clock::now() > deadline) return pred();
        if (spins < 100) std::this_thread::yield();
        else std::this_thread::sleep_for(spins < 1000 ? 50us : 1ms);
    }
}

/// probe: the state of one operation run by go_probe. Shared with the goroutine, which may
/// outlive the test case when the operation blocks forever.
struct probe {
    std::atomic<bool> started{false};
    std::atomic<bool> done{false};   // f returned
    std::atomic<bool> threw{false};  // f threw (then done stays false)
    std::string what;                // the exception's message, valid once threw is set
};

/// go_probe: runs f() in a new goroutine and reports through the returned probe.
template <class F>
std::shared_ptr<probe> go_probe(F f) {
    auto p = std::make_shared<probe>();
    gocsp::go([p, f]() mutable {
        p->started.store(true);
        try {
            f();
        } catch (const std::exception& e) {
            p->what = e.what();
            p->threw.store(true);
            return;
        } catch (...) {
            p->what = "unknown exception";
            p->threw.store(true);
            return;
        }
        p->done.store(true);
    });
    return p;
}

/// thread_probe: as go_probe, on a detached std::thread (a plain thread blocks where a
/// goroutine parks). The thread may outlive the test case.
template <class F>
std::shared_ptr<probe> thread_probe(F f) {
    auto p = std::make_shared<probe>();
    std::thread([p, f]() mutable {
        p->started.store(true);
        try {
            f();
        } catch (...) {
            p->threw.store(true);
            return;
        }
        p->done.store(true);
    }).detach();
    return p;
}

/// still_blocked: waits until the probe's operation has started, then for block_window; true if
/// the operation has neither returned nor thrown by then.
inline bool still_blocked(const std::shared_ptr<probe>& p) {
    if (!eventually([&] { return p->started.load(); })) return false;
    std::this_thread::sleep_for(block_window);
    return !p->done.load() && !p->threw.load();
}

/// blocks: Go's testBlock(always, f): f, run in a goroutine, is still blocked after the window.
template <class F>
bool blocks(F f) {
    return still_blocked(go_probe(std::move(f)));
}

/// completes: Go's testBlock(never, f): f, run in a goroutine, returns (without throwing)
/// within the generous deadline.
template <class F>
bool completes(F f) {
    auto p = go_probe(std::move(f));
    return eventually([&] { return p->done.load() || p->threw.load(); }) && p->done.load();
}

/// in_goroutine: runs f() in a goroutine and waits for it (the main thread blocks meanwhile).
/// Use it to run a scenario as goroutines do, parking rather than blocking a thread.
template <class F>
void in_goroutine(F&& f) {
    gocsp::wait_group wg;
    wg.add(1);
    gocsp::go([&wg, &f] {
        f();
        wg.done();
    });
    wg.wait();
}

/// pause: a short pause that lets other goroutines run, from a goroutine or a plain thread.
inline void pause(std::chrono::microseconds d = 1000us) { gocsp::sleep_for(d); }

}  // namespace conformance
