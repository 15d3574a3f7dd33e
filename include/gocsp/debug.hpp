/// \file
/// gocsp/debug.hpp - seeing what goroutines do: dumps, counts, leak checks, deadlock detection.
///
/// Deadlock detection is always on (GOCSP_DEADLOCK=0 turns it off): when the main thread is
/// blocked in gocsp and nothing can ever wake anybody - every worker idle, nothing runnable, no
/// timer pending, nobody waiting on the network or a blocking call, every other thread that uses
/// gocsp blocked in it, and no thread in the process that gocsp does not know of - the program
/// prints Go's
///
///     fatal error: all goroutines are asleep - deadlock!
///
/// then a dump of every goroutine, and exits with status 2. A thread gocsp does not know (one
/// that has not used gocsp yet) might still send on a channel, so its mere existence holds the
/// verdict back: no false alarms, at the price of missing some deadlocks in programs with such
/// threads.
///
/// On SIGQUIT (Ctrl-\) the process prints the dump to stderr and exits with status 2, as Go does;
/// with GOCSP_SIGQUIT=continue it prints the dump and keeps running.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "detail/scheduler.hpp"

namespace gocsp {

/// dump_goroutines: writes one block per goroutine (and per plain thread blocked in gocsp), in
/// Go's shape: `goroutine 7 [chan receive, 2 minutes]:` - the state or wait reason, and how
/// long it has waited once that is a minute or more - then `created by <function>` and the
/// file:line of the `go` statement that started it.
void dump_goroutines(std::ostream& out);

/// goroutine_states: how many goroutines are running, runnable and waiting now (a snapshot;
/// plain threads are not counted).
struct goroutine_states {
    /// running: goroutines on a worker now.
    std::int64_t running = 0;
    /// runnable: goroutines waiting in a run queue for a worker.
    std::int64_t runnable = 0;
    /// waiting: goroutines parked (on a channel, a timer, I/O, ...).
    std::int64_t waiting = 0;
};
/// count_goroutines: how many goroutines are running, runnable and waiting now (a snapshot).
goroutine_states count_goroutines();

namespace testing {

/// leak_check: fails (report() non-empty) if goroutines started while it lived are still alive
/// at its end, or if more timers are pending than at its start (a ticker never stopped, Go's
/// time.Tick in a loop). Use in tests:
///
///     {
///         gocsp::testing::leak_check leaks;
///         code_under_test();
///         REQUIRE(leaks.report().empty());   // waits up to 2 s for stragglers to finish
///     }
class GOCSP_API leak_check {
public:
    leak_check();
    /// leaked: the goroutines started since construction that are still alive, after waiting
    /// up to `patience` for them to finish.
    std::vector<std::uint64_t> leaked(std::chrono::milliseconds patience = std::chrono::seconds(2)) const;
    /// report: "" if nothing leaked, else the leaked goroutines in dump form.
    std::string report(std::chrono::milliseconds patience = std::chrono::seconds(2)) const;

private:
    bool is_new(std::uint64_t id) const;
    std::vector<std::uint64_t> before_;  // goroutines alive at construction, sorted
    std::size_t timers_before_;          // timers pending at construction
};

}  // namespace testing

// =============================================================================================
// Implementation
// =============================================================================================

namespace detail {

/// dump_to_string: the dump of the goroutines accepted by keep (all if null).
template <class Keep>
std::string dump_to_string(Keep keep) {
    char* buf = nullptr;
    std::size_t len = 0;
    std::FILE* mem = ::open_memstream(&buf, &len);
    if (!mem) return "";
    scheduler::get().dump(mem, keep);
    std::fclose(mem);
    std::string s(buf, len);
    std::free(buf);
    return s;
}

}  // namespace detail

#if GOCSP_DEFINE_RUNTIME

GOCSP_DECL void dump_goroutines(std::ostream& out) {
    out << detail::dump_to_string([](detail::g*) { return true; });
}

GOCSP_DECL goroutine_states count_goroutines() {
    goroutine_states n;
    detail::scheduler::get().for_each_g([&](detail::g* gp) {
        if (gp->thread) return;
        switch (gp->status.load(std::memory_order_acquire)) {
            case detail::g_status::running: ++n.running; break;
            case detail::g_status::runnable: ++n.runnable; break;
            case detail::g_status::waiting: ++n.waiting; break;
            default: break;
        }
    });
    return n;
}

namespace testing {

GOCSP_DECL leak_check::leak_check() : timers_before_(detail::scheduler::get().pending_timers()) {
    detail::scheduler::get().for_each_g([&](detail::g* gp) {
        if (!gp->thread) before_.push_back(gp->id);
    });
    std::sort(before_.begin(), before_.end());
}

GOCSP_DECL bool leak_check::is_new(std::uint64_t id) const { return !std::binary_search(before_.begin(), before_.end(), id); }

GOCSP_DECL std::vector<std::uint64_t> leak_check::leaked(std::chrono::milliseconds patience) const {
    auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
        std::vector<std::uint64_t> ids;
        detail::scheduler::get().for_each_g([&](detail::g* gp) {
            if (!gp->thread && is_new(gp->id)) ids.push_back(gp->id);
        });
        if (ids.empty() || std::chrono::steady_clock::now() >= deadline) return ids;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

GOCSP_DECL std::string leak_check::report(std::chrono::milliseconds patience) const {
    std::string out;
    if (!leaked(patience).empty())
        out = "goroutines leaked:\n\n" +
              detail::dump_to_string([this](detail::g* gp) { return !gp->thread && is_new(gp->id); });
    const std::size_t timers = detail::scheduler::get().pending_timers();
    if (timers > timers_before_)
        out += "timers leaked: " + std::to_string(timers - timers_before_) + " more pending than at the start\n";
    return out;
}

}  // namespace testing

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp
