// Tests of the section 8.4 and 8.7 programs: pipeline1-3, evens, mirrored and cake, run as the
// real binaries (GOCSP_EXAMPLES_DIR) with their output read through pipes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../support/process.hpp"

using gocsp_test::example_path;
using gocsp_test::process;

namespace {

/// squares: "0\n1\n4\n...", the squares of 0 to n-1, one per line.
std::string squares(long long n) {
    std::string s;
    for (long long x = 0; x < n; ++x) s += std::to_string(x * x) + "\n";
    return s;
}

/// run: the program's whole stdout; it must exit with status 0.
std::string run(const std::string& name, const std::vector<std::string>& args = {}) {
    process p(example_path(name), args);
    std::string out = p.read_all(std::chrono::seconds(60));
    REQUIRE(p.wait(std::chrono::seconds(30)) == 0);
    return out;
}

}  // namespace

TEST_CASE("pipeline2 and pipeline3 print the squares of 0 to 99") {
    const std::string expected = squares(100);
    REQUIRE(expected.substr(expected.size() - 5) == "9801\n");
    CHECK(run("pipeline2") == expected);
    CHECK(run("pipeline3") == expected);
}

TEST_CASE("pipeline1 prints the squares without end") {
    process p(example_path("pipeline1"));
    for (long long x = 0; x < 1000; ++x) {
        auto line = p.read_line();
        REQUIRE(line);
        REQUIRE(*line == std::to_string(x * x));
    }
    CHECK_FALSE(p.wait(std::chrono::milliseconds(200)));  // still running: it never stops
    p.kill(SIGKILL);
}

TEST_CASE("evens prints 0 2 4 6 8 on every run") {
    for (int run_no = 0; run_no < 100; ++run_no) {
        INFO("run " << run_no);
        REQUIRE(run("evens") == "0\n2\n4\n6\n8\n");
    }
}

namespace {
/// mirrored_run: runs `mirrored -leaks [args]`, checks that it printed one of the mirrors and
/// exited with 0, and returns its goroutine count line and its stderr (the leaked goroutines).
std::pair<std::string, std::string> mirrored_run(std::vector<std::string> args) {
    args.insert(args.begin(), "-leaks");
    process p(example_path("mirrored"), args);
    REQUIRE(p.wait() == 0);
    std::istringstream out(p.take());
    std::string quickest, count;
    std::getline(out, quickest);
    std::getline(out, count);
    CHECK(std::set<std::string>{"asia.gopl.io", "europe.gopl.io", "americas.gopl.io"}.count(quickest) == 1);
    return {count, p.take(process::err)};
}
}  // namespace

TEST_CASE("mirrored: the buffered channel leaks nothing, the unbuffered one two goroutines") {
    SECTION("buffered") {
        const auto [count, dump] = mirrored_run({});
        CHECK(count == "goroutines: 1");  // main only
        CHECK(dump.empty());
    }
    SECTION("unbuffered") {
        const auto [count, dump] = mirrored_run({"-unbuffered"});
        CHECK(count == "goroutines: 3");  // main and the two slower senders
        INFO(dump);
        CHECK(dump.find("goroutines leaked") != std::string::npos);
        std::size_t stuck = 0;
        for (std::size_t at = dump.find("[chan send]"); at != std::string::npos; at = dump.find("[chan send]", at + 1))
            ++stuck;
        CHECK(stuck == 2);
    }
}

TEST_CASE("cake: the book's six scenarios, in the book's proportions") {
    // cake prints "<scenario> <ms per run> <book's ms>" per scenario. A loaded machine only ever
    // makes a run slower, so each scenario's figure is the quickest of three runs.
    std::map<std::string, double> ms, book_ms;
    for (int attempt = 0; attempt < 3; ++attempt) {
        process p(example_path("cake"), {"-runs", "1"});
        REQUIRE(p.wait(std::chrono::seconds(120)) == 0);
        std::istringstream out(p.take());
        std::string line;
        std::getline(out, line);
        REQUIRE(line.find("ms/run") != std::string::npos);
        while (std::getline(out, line)) {
            INFO(line);
            // The name may hold spaces: the last two fields are the numbers.
            std::istringstream fields(line);
            std::vector<std::string> words;
            for (std::string w; fields >> w;) words.push_back(w);
            REQUIRE(words.size() >= 3);
            const double measured = std::stod(words[words.size() - 2]);
            const double book = std::stod(words.back());
            std::string name = words[0];
            for (std::size_t i = 1; i + 2 < words.size(); ++i) name += " " + words[i];
            // The cooks sleep, so a run cannot be much quicker than its critical path; but the
            // "variable" scenarios draw random work times, and one run of them may come out well
            // under the book's average (230.7 ms against 259 was seen). A loaded machine makes
            // any run slower.
            CHECK(measured > 0.6 * book);
            CHECK(measured < 3.0 * book);
            ms[name] = attempt == 0 ? measured : std::min(ms[name], measured);
            book_ms[name] = book;
        }
    }
    REQUIRE(ms.size() == 6);
    INFO("baseline " << ms["baseline"] << ", buffers " << ms["buffers"] << ", slow icing " << ms["slow icing"]
                     << ", 5 icers " << ms["slow icing, 5 icers"]);
    // Load slows one scenario's three runs and not another's (under TSan, beside other tests,
    // the baseline's quickest run was 332 ms where the book says 224, and buffers' 245 ms): so a
    // ratio's denominator is the measured figure or the book's, whichever keeps load from
    // making the check fail - the smaller where the check says "not much quicker", the larger
    // where it says "not much slower".
    auto low = [&](const char* n) { return std::min(ms[n], book_ms[n]); };
    auto high = [&](const char* n) { return std::max(ms[n], book_ms[n]); };
    // Buffers do not help when every step takes the same time.
    CHECK(ms["buffers"] / low("baseline") > 0.75);
    CHECK(ms["buffers"] / high("baseline") < 1.33);
    // A slow middle stage is the critical path: about 5x (the book: 1032 / 224 = 4.6).
    CHECK(ms["slow icing"] / low("baseline") > 3.0);
    CHECK(ms["slow icing"] / high("baseline") < 6.5);
    // Five icers recover most of it (the book: 288 / 1032 = 0.28).
    CHECK(ms["slow icing, 5 icers"] / high("slow icing") < 0.5);
}

TEST_CASE("cake: -runs that is not positive is a flag error") {
    for (const std::string runs : {"0", "-3"}) {  // once "inf" and "-0.0" ms per run
        INFO("-runs " << runs);
        process p(example_path("cake"), {"-runs", runs});
        REQUIRE(p.wait(std::chrono::seconds(30)) == 2);
        CHECK(p.take() == "");
        const std::string err = p.take(process::err);
        CHECK(err.rfind("invalid value \"" + runs + "\" for flag -runs: non-positive number of runs\nUsage of ", 0) == 0);
    }
}
