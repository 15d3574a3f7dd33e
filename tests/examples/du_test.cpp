// Tests of du1 to du4 (gopl.io/ch8/du1-du4): their totals on a generated tree against a
// reference walk, on a tree deeper than a goroutine's stack allows a recursion and than PATH_MAX,
// errors for an unreadable directory, du2's progress lines, du4's cancellation (also in the
// middle of a huge directory) and its leak self-check. The programs run as the real binaries
// (GOCSP_EXAMPLES_DIR).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <ftw.h>
#include <regex>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "../support/process.hpp"

using gocsp_test::example_path;
using gocsp_test::process;
using namespace std::chrono_literals;

namespace {

/// usage: what du counts: files (every entry that is not a directory) and their bytes.
struct usage {
    long long files = 0, bytes = 0;
    /// line: du's output for these totals, "<n> files  <x.x> GB" (Go's printDiskUsage).
    std::string line() const {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%lld files  %.1f GB", files, static_cast<double>(bytes) / 1e9);
        return buf;
    }
};

// The reference walk: nftw without following links (FTW_PHYS), each entry lstat'ed; the subtree
// named `skip` (if any) is left out.
usage walked;
std::string skipped;
int count_entry(const char* path, const struct stat* st, int type, FTW*) {
    if (type == FTW_D || type == FTW_DNR) return !skipped.empty() && path == skipped ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
    ++walked.files;
    walked.bytes += st->st_size;
    return FTW_CONTINUE;
}
usage reference(const std::string& root, const std::string& skip = "") {
    walked = {};
    skipped = skip;
    REQUIRE(::nftw(root.c_str(), count_entry, 64, FTW_PHYS | FTW_ACTIONRETVAL) == 0);
    return walked;
}

/// A generated tree: 10 x 10 directories of 30 sparse files each (3,000 files, about 15 GB of
/// apparent size, no disk), empty directories, a symbolic link loop, a link to a directory
/// (a file of its own, not followed), a dangling link, a FIFO, and `locked`, a directory no one
/// may read (mode 000) holding 20 files. Removed when the test ends.
struct tree {
    std::string root;
    std::string locked;

    tree() {
        char dir[] = "/tmp/gocsp-du-XXXXXX";
        REQUIRE(::mkdtemp(dir));
        root = dir;
        ::chmod(root.c_str(), 0755);  // readable by the unprivileged user of the locked check
        namespace fs = std::filesystem;
        auto named = [](const char* prefix, int i) {  // snprintf: g++ 12 warns (-Wrestrict) on "d" + to_string
            char buf[32];
            std::snprintf(buf, sizeof buf, "%s%d", prefix, i);
            return std::string(buf);
        };
        long long n = 0;
        auto file = [&n](const fs::path& p) {
            const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            REQUIRE(fd >= 0);
            REQUIRE(::ftruncate(fd, (++n * 7919 * 1009) % 10'000'019) == 0);  // sparse
            ::close(fd);
        };
        for (int i = 0; i < 10; ++i)
            for (int j = 0; j < 10; ++j) {
                const fs::path d = fs::path(root) / named("d", i) / named("e", j);
                fs::create_directories(d);
                for (int k = 0; k < 30; ++k) file(d / named("f", k));
            }
        fs::create_directories(fs::path(root) / "empty" / "deeper" / "still");
        fs::create_symlink("..", fs::path(root) / "d0" / "loop");
        fs::create_directory_symlink(fs::path(root) / "d1", fs::path(root) / "d2" / "to-d1");
        fs::create_symlink("nowhere", fs::path(root) / "dangling");
        REQUIRE(::mkfifo((fs::path(root) / "fifo").c_str(), 0644) == 0);
        locked = root + "/locked";
        fs::create_directories(fs::path(locked) / "inner");
        for (int k = 0; k < 20; ++k) file(fs::path(locked) / "inner" / named("g", k));
        ::chmod(locked.c_str(), 0);
    }
    ~tree() {
        ::chmod(locked.c_str(), 0755);
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
};

/// result: what a run printed, and how it ended.
struct result {
    std::string out, err;
    std::optional<int> status;
    /// last_line: the last line of out (the final totals).
    std::string last_line() const {
        std::string s = out;
        if (!s.empty() && s.back() == '\n') s.pop_back();
        return s.substr(s.find_last_of('\n') == std::string::npos ? 0 : s.find_last_of('\n') + 1);
    }
};

/// run: runs `program args` (stdin held open until it exits) and collects its output.
result run(const std::string& program, const std::vector<std::string>& args) {
    process p(program, args);
    result r;
    r.status = p.wait(240s);
    r.out = p.take();
    r.err = p.take(process::err);
    return r;
}

/// as_nobody: the command line that runs an example as user and group 65534 (nobody), for which
/// a mode-000 directory is unreadable even when the tests run as root; empty when there is no
/// way to (not root, or no setpriv).
std::vector<std::string> as_nobody() {
    if (::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0) return {};
    return {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
}

}  // namespace

TEST_CASE("du1, du2, du3 and du4 agree with a reference walk of a generated tree") {
    tree t;
    const usage want = reference(t.root);
    REQUIRE(want.files == 3000 + 20 + 4);  // the files, the locked ones (we may read), 3 links and a FIFO
    for (const char* prog : {"du1", "du2", "du3", "du4"}) {
        INFO(prog);
        std::vector<std::string> args{t.root};
        if (std::string(prog) == "du4") args.insert(args.begin(), "-leakcheck");
        const result r = run(example_path(prog), args);
        INFO(r.err);
        CHECK(r.status == 0);
        CHECK(r.last_line() == want.line());
        if (std::string(prog) == "du4") CHECK(r.err == "du4: leak check: no goroutine or timer left behind\n");
        else CHECK(r.out == want.line() + "\n");
    }
    // Several roots, and paths that filepath.Join cleans.
    const usage d0 = reference(t.root + "/d0"), d1 = reference(t.root + "/d1");
    const usage both{d0.files + d1.files, d0.bytes + d1.bytes};
    for (const char* prog : {"du1", "du3"}) {
        INFO(prog);
        const result r = run(example_path(prog), {t.root + "/d0/", t.root + "//./d1"});
        CHECK(r.status == 0);
        CHECK(r.out == both.line() + "\n");
        CHECK(r.err.empty());
    }
}

TEST_CASE("du reports an unreadable directory as Go does and skips it") {
    tree t;
    std::vector<std::string> prefix = as_nobody();
    if (prefix.empty() && ::geteuid() == 0) {
        WARN("running as root without setpriv: a mode-000 directory is readable, the check is skipped");
        return;
    }
    const usage want = reference(t.root, t.locked);
    for (const char* prog : {"du1", "du3", "du4"}) {
        INFO(prog);
        std::vector<std::string> cmd = prefix;
        cmd.push_back(example_path(prog));
        cmd.push_back(t.root);
        const result r = run(cmd[0], std::vector<std::string>(cmd.begin() + 1, cmd.end()));
        CHECK(r.status == 0);
        CHECK(r.last_line() == want.line());
        const std::string who = std::string(prog) == "du1" ? "du1" : "du";
        CHECK(r.err == who + ": open " + t.locked + ": permission denied\n");
    }
}

TEST_CASE("du reports a missing root and a root that is a file") {
    tree t;
    const result r = run(example_path("du1"), {t.root + "/missing", t.root + "/d0/e0/f0"});
    CHECK(r.status == 0);
    CHECK(r.out == "0 files  0.0 GB\n");
    CHECK(r.err == "du1: open " + t.root + "/missing: no such file or directory\ndu1: readdirent " + t.root +
                       "/d0/e0/f0: not a directory\n");
}

namespace {
// A walk long enough to see progress lines (du2, sequential: /usr twice) and to cancel (du4,
// parallel: /usr five times).
const std::vector<std::string> du2_walk{"/usr", "/usr"};
const std::vector<std::string> du4_walk{"/usr", "/usr", "/usr", "/usr", "/usr"};
const std::regex totals_line(R"(([0-9]+) files  [0-9]+\.[0-9] GB)");
}  // namespace

TEST_CASE("du2 -v prints its progress every 500 ms, then the totals") {
    std::vector<std::string> args{"-v"};
    args.insert(args.end(), du2_walk.begin(), du2_walk.end());
    process p(example_path("du2"), args);
    const auto start = std::chrono::steady_clock::now();
    std::vector<long long> counts;
    while (auto line = p.read_line(240s)) {
        std::smatch m;
        INFO(*line);
        REQUIRE(std::regex_match(*line, m, totals_line));
        counts.push_back(std::stoll(m[1]));
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(p.wait() == 0);
    INFO(counts.size() << " lines in " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
    CHECK(counts.size() >= 2);  // a progress line at least, and the totals
    // One line every 500 ms at most, plus the totals.
    CHECK(counts.size() <= static_cast<std::size_t>(elapsed / 500ms) + 1);
    CHECK(std::is_sorted(counts.begin(), counts.end()));
}

TEST_CASE("du4 stops when a line arrives on stdin and leaves no goroutine behind") {
    const usage one = reference("/usr");
    std::vector<std::string> args{"-leakcheck"};
    args.insert(args.end(), du4_walk.begin(), du4_walk.end());
    process p(example_path("du4"), args);
    // The first progress line: the walk is under way (500 ms in).
    auto first = p.read_line(60s);
    REQUIRE(first);
    std::smatch m;
    REQUIRE(std::regex_match(*first, m, totals_line));
    REQUIRE(p.write("\n"));
    const auto cancelled = std::chrono::steady_clock::now();
    const auto status = p.wait(60s);
    const auto took = std::chrono::steady_clock::now() - cancelled;
    REQUIRE(status);
    const std::string err = p.take(process::err);
    INFO(err);
    CHECK(*status == 0);
    CHECK(err == "du4: leak check: no goroutine or timer left behind\n");
    // It stopped early: no line reports the whole walk (5 times /usr's files).
    const std::string rest = p.take();
    INFO("after cancelling: " << rest);
    CHECK(rest.find(usage{5 * one.files, 5 * one.bytes}.line()) == std::string::npos);
    // Quickly: the walkers still running finish their directory and stop (a generous bound).
    CHECK(took < 20s);
}

namespace {

/// A chain of 3,000 nested directories named "d", each holding a sparse file "f" of 1 MB: deeper
/// than a recursion on a goroutine's stack went (about 1,400 levels), and its deepest paths
/// (6,000 bytes) longer than PATH_MAX, so it is built and removed with *at calls relative to
/// open directories. Removed when the test ends.
struct deep_tree {
    static constexpr int depth = 3000;
    static constexpr long long file_size = 1'000'000;
    std::string root;

    deep_tree() {
        char dir[] = "/tmp/gocsp-du-deep-XXXXXX";
        REQUIRE(::mkdtemp(dir));
        root = dir;
        int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        for (int i = 0; i < depth; ++i) {
            REQUIRE(::mkdirat(fd, "d", 0755) == 0);
            const int sub = ::openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            ::close(fd);
            REQUIRE(sub >= 0);
            fd = sub;
            const int f = ::openat(fd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            REQUIRE(f >= 0);
            REQUIRE(::ftruncate(f, file_size) == 0);
            ::close(f);
        }
        ::close(fd);
    }
    // Removes the chain from the top, each step at depth 1: root/d loses its file, its child
    // moves up as root/up, root/d goes and root/up becomes root/d.
    ~deep_tree() {
        const int top = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top < 0) return;
        for (;;) {
            const int d = ::openat(top, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (d < 0) break;
            ::unlinkat(d, "f", 0);
            const bool more = ::renameat(d, "d", top, "up") == 0;
            ::close(d);
            if (::unlinkat(top, "d", AT_REMOVEDIR) != 0 || !more || ::renameat(top, "up", top, "d") != 0) break;
        }
        ::close(top);
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
};

}  // namespace

TEST_CASE("du1 to du4 walk a tree 3000 directories deep with paths longer than PATH_MAX", "[deep]") {
    deep_tree t;
    const usage want{deep_tree::depth, deep_tree::depth * deep_tree::file_size};
    for (const char* prog : {"du1", "du2", "du3", "du4"}) {
        INFO(prog);
        const result r = run(example_path(prog), {t.root});
        INFO(r.err.substr(0, 2000));
        CHECK(r.status == 0);
        CHECK(r.last_line() == want.line());
        CHECK(r.err.empty());
    }
}

namespace {
/// A flat directory of `count` empty files, created relative to it (openat). Removed when the
/// test ends.
struct flat_dir {
    std::string root;
    explicit flat_dir(int count) {
        char dir[] = "/tmp/gocsp-du-flat-XXXXXX";
        REQUIRE(::mkdtemp(dir));
        root = dir;
        const int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        int created = 0;
        for (; created < count; ++created) {
            char name[32];
            std::snprintf(name, sizeof name, "f%d", created);
            const int f = ::openat(fd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            if (f < 0) break;
            ::close(f);
        }
        ::close(fd);
        REQUIRE(created == count);
    }
    ~flat_dir() {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
};
}  // namespace

TEST_CASE("du4 stops soon when cancelled in the middle of a huge directory", "[cancel]") {
#ifdef GOCSP_TEST_SANITIZED
    constexpr int files = 20'000;
#else
    constexpr int files = 200'000;
#endif
    flat_dir dir(files);
    // The directory 40 times over: uncancelled, 40 x 200,000 files to count (about a minute);
    // each of the 20 walkers that hold a semaphore token is in the middle of its directory when
    // the cancellation comes.
    const std::vector<std::string> args(40, dir.root);
    process p(example_path("du4"), std::vector<std::string>(args));
    // Wait for a progress line that counts files: the walkers are inside the directory.
    for (long long counted = 0; counted == 0;) {
        auto line = p.read_line(120s);
        REQUIRE(line);
        std::smatch m;
        REQUIRE(std::regex_match(*line, m, totals_line));
        counted = std::stoll(m[1]);
    }
    REQUIRE(p.write("\n"));
    const auto cancelled = std::chrono::steady_clock::now();
    const auto status = p.wait(240s);
    const auto took = std::chrono::steady_clock::now() - cancelled;
    REQUIRE(status);
    CHECK(*status == 0);
    CHECK(p.take().find(usage{40LL * files, 0}.line()) == std::string::npos);
    // A walker stops before its next entry, and reads no further batch: du4 exits within
    // milliseconds (under 0.1 s in a Release build, under TSan too). Reading on to the end of
    // the directory, as du4 did, left 20 walkers 200,000 sizes each to send: 11-22 s in a
    // Release build. The bound is generous for a loaded machine and the sanitizers.
    INFO("exited " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                   << " ms after the cancellation");
    CHECK(took < 5s);
}

namespace {
/// du5_report: du5's lines for the given roots and totals, "<root>: <n> files  <x.x> GB".
std::string du5_report(const std::vector<std::pair<std::string, usage>>& roots) {
    std::string report;
    for (const auto& [root, u] : roots) report += root + ": " + u.line() + "\n";
    return report;
}
}  // namespace

TEST_CASE("du5 keeps a total for each root, in the order given, a root given twice counted twice") {
    tree t;
    const std::string d0 = t.root + "/d0", d1 = t.root + "/d1", missing = t.root + "/missing";
    const usage u0 = reference(d0), u1 = reference(d1);
    const result r = run(example_path("du5"), {d1, d0, missing, d1});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out == du5_report({{d1, u1}, {d0, u0}, {missing, {}}, {d1, u1}}));
    CHECK(r.err == "du: open " + missing + ": no such file or directory\n");
    // No root: ".", as du does.
    process here("/bin/sh", {"-c", "cd \"$1\" && exec \"$0\"", example_path("du5"), d0});
    REQUIRE(here.wait(240s) == 0);
    CHECK(here.take() == du5_report({{".", u0}}));
}

TEST_CASE("du5 -v prints every root's totals every 500 ms, growing to the final totals") {
    tree t;
    const usage want = reference(t.root);
    // /usr for a walk long enough to see progress reports; the generated tree for known totals.
    // Not /usr under the sanitizers: a goroutine per directory of /usr, twice, takes ThreadSanitizer
    // over 10 minutes and 7 GB; the walk of the tree alone may end before the first report.
#ifdef GOCSP_TEST_SANITIZED
    const std::vector<std::string> roots{t.root, t.root + "/d1", t.root + "/d1"};
    const std::size_t least_reports = 1;
#else
    const std::vector<std::string> roots{t.root, "/usr", "/usr"};
    const std::size_t least_reports = 2;  // a progress report at least, and the final one
#endif
    process p(example_path("du5"), {"-v", roots[0], roots[1], roots[2]});
    std::vector<std::vector<long long>> reports;  // files counted per root, report by report
    static const std::regex root_line(R"((.*): ([0-9]+) files  [0-9]+\.[0-9] GB)");
    std::string last_report;
    for (;;) {
        std::vector<long long> counts;
        std::string report;
        for (const std::string& root : roots) {
            auto line = p.read_line(240s);
            if (!line && counts.empty() && root == roots[0]) break;  // the end
            REQUIRE(line);
            std::smatch m;
            INFO(*line);
            REQUIRE(std::regex_match(*line, m, root_line));
            CHECK(m[1] == root);
            counts.push_back(std::stoll(m[2]));
            report += *line + "\n";
        }
        if (counts.empty()) break;
        reports.push_back(counts);
        last_report = report;
    }
    REQUIRE(p.wait(60s) == 0);
    CHECK(reports.size() >= least_reports);
    for (std::size_t i = 1; i < reports.size(); ++i)
        for (std::size_t k = 0; k < roots.size(); ++k) CHECK(reports[i][k] >= reports[i - 1][k]);
    CHECK(last_report.substr(0, last_report.find('\n') + 1) == du5_report({{t.root, want}}));
    CHECK(reports.back()[1] == reports.back()[2]);  // a root twice: the same totals
}
