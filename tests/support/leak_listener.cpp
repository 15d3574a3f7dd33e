// The leak check around every test case of every gocsp test executable (linked into each of
// them beside the Catch2 runner of catch_main.cpp; tests/CMakeLists.txt).
//
// Each run of a test case (once per leaf section) is watched by a gocsp::testing::leak_check:
// when it ends, every goroutine it started must have finished and no more timers may be pending
// than at its start, after a grace period of a few seconds for goroutines on their way out and
// timers about to fire.
// Otherwise the test case fails with the leaked goroutines in dump form. A test case that leaks
// on purpose (a goroutine meant to block forever, a deadlock demonstrated in-process) opts out
// with the tag [leaks-ok], and says why in a comment.
//
// It is compiled once for each way a test executable can get the runtime (the compiled runtime,
// or header-only), since a program must not mix them; the runner does not touch gocsp.
#define CATCH_CONFIG_EXTERNAL_INTERFACES  // Catch2's listener base, outside its implementation unit
#include <catch2/catch.hpp>

#include <gocsp/debug.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

namespace {

class leak_listener : public Catch::TestEventListenerBase {
public:
    using TestEventListenerBase::TestEventListenerBase;

    void testCaseStarting(Catch::TestCaseInfo const& info) override {
        TestEventListenerBase::testCaseStarting(info);
        const auto& tags = info.tags;
        enabled_ = std::find(tags.begin(), tags.end(), "leaks-ok") == tags.end();
    }

    // The outermost section is the test case itself: it spans one whole run of its body.
    void sectionStarting(Catch::SectionInfo const& info) override {
        TestEventListenerBase::sectionStarting(info);
        if (depth_++ == 0 && enabled_) check_.emplace();
    }

    void sectionEnded(Catch::SectionStats const& stats) override {
        if (--depth_ == 0 && check_) {
            // Still inside the test case's run: a failure recorded here is the test case's own,
            // reported before the reporter closes the section.
            std::string report = check_->report();
            // A timer still pending may be one that is about to fire (Go's time.After in a
            // select that took another case): give timers the same few seconds.
            for (int i = 0; i < 25 && !report.empty(); ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                report = check_->report(std::chrono::milliseconds(0));
            }
            check_.reset();
            if (!report.empty()) FAIL_CHECK("leak check after the test case (tag it [leaks-ok] if intended):\n" << report);
        }
        TestEventListenerBase::sectionEnded(stats);
    }

private:
    bool enabled_ = true;
    int depth_ = 0;
    std::optional<gocsp::testing::leak_check> check_;
};

}  // namespace

CATCH_REGISTER_LISTENER(leak_listener)
