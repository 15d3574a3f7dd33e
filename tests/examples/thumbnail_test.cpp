// Tests of the thumbnail example (gopl.io/ch8/thumbnail): the program is run on JPEG, PNG and GIF
// files made here with the same image libraries, and its thumbnails are decoded and measured;
// the make_thumbnails functions are also called in this process, under gocsp's leak check, to
// show version 4's goroutine leak and its absence from versions 5 and 6.
#include <catch2/catch.hpp>

#include <gocsp/gocsp.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../support/process.hpp"
#include "thumbnail/thumbnails.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A temporary directory, removed with everything in it at the end of the test.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "gocsp-thumbnail-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::string read_file(const std::string& name) {
    std::ifstream in(name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& name, const std::string& data) {
    std::ofstream(name, std::ios::binary) << data;
}

// The colour of each quadrant of the test pictures, so that a thumbnail shows whether it was
// scaled the right way round: yellow top left, cyan top right, red bottom left, blue bottom right.
struct rgb {
    int r, g, b;
};
rgb quadrant(bool right, bool bottom) { return {right ? 0 : 255, bottom ? 0 : 255, right ? 255 : 0}; }

image::picture quadrants(int width, int height) {
    image::picture p(width, height);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const rgb c = quadrant(x >= width / 2, y >= height / 2);
            std::uint8_t* px = p.at(x, y);
            px[0] = static_cast<std::uint8_t>(c.r);
            px[1] = static_cast<std::uint8_t>(c.g);
            px[2] = static_cast<std::uint8_t>(c.b);
        }
    }
    return p;
}

// An input file: its name and the size of the picture in it.
struct input {
    std::string name, thumb;  // paths
    int width, height;
};

// make_inputs: JPEG, PNG and GIF files of several sizes and shapes in dir: landscape, portrait,
// square, one smaller than a thumbnail, one with an upper-case extension.
std::vector<input> make_inputs(const temp_dir& dir) {
    struct spec {
        const char* file;
        const char* thumb;
        int w, h;
        std::string (*encode)(const image::picture&);
    };
    auto jpeg = [](const image::picture& p) { return image::jpeg_encode(p); };
    const spec specs[] = {
        {"wide.jpg", "wide.thumb.jpg", 640, 480, +jpeg},
        {"tall.png", "tall.thumb.jpg", 150, 600, &image::png_encode},
        {"banner.gif", "banner.thumb.jpg", 400, 100, &image::gif_encode},
        {"square.png", "square.thumb.jpg", 256, 256, &image::png_encode},
        {"tiny.jpg", "tiny.thumb.jpg", 40, 30, +jpeg},
        {"photo.JPEG", "photo.thumb.jpg", 300, 200, +jpeg},
        {"portrait.gif", "portrait.thumb.jpg", 90, 270, &image::gif_encode},
    };
    std::vector<input> inputs;
    for (const spec& s : specs) {
        write_file(dir / s.file, s.encode(quadrants(s.w, s.h)));
        inputs.push_back({dir / s.file, dir / s.thumb, s.w, s.h});
    }
    return inputs;
}

std::vector<std::string> names_of(const std::vector<input>& inputs) {
    std::vector<std::string> names;
    for (const auto& in : inputs) names.push_back(in.name);
    return names;
}

// check_thumbnail: in.thumb is a JPEG whose longer side is 128 pixels, whose shape is the
// input's to within a pixel, and whose quadrants have the input's colours. Returns its size in
// bytes.
std::int64_t check_thumbnail(const input& in) {
    INFO("thumbnail of " << in.name << " (" << in.width << "x" << in.height << ")");
    REQUIRE(fs::exists(in.thumb));
    const std::string data = read_file(in.thumb);
    REQUIRE(data.substr(0, 2) == "\xff\xd8");  // a JPEG, whatever the input was
    const image::picture t = image::decode(data);
    INFO("thumbnail " << t.width << "x" << t.height);
    CHECK(t.width <= 128);
    CHECK(t.height <= 128);
    CHECK(std::max(t.width, t.height) == 128);
    // w/h == W/H to within the rounding of the shorter side: |w*H - h*W| < max(W, H).
    CHECK(std::abs(std::int64_t{t.width} * in.height - std::int64_t{t.height} * in.width) <
          std::max(in.width, in.height));
    for (bool right : {false, true}) {
        for (bool bottom : {false, true}) {
            const std::uint8_t* px = t.at(right ? t.width * 3 / 4 : t.width / 4, bottom ? t.height * 3 / 4 : t.height / 4);
            const rgb want = quadrant(right, bottom);
            INFO("quadrant right=" << right << " bottom=" << bottom << ": " << int(px[0]) << "," << int(px[1]) << ","
                                   << int(px[2]));
            CHECK(std::abs(px[0] - want.r) < 64);
            CHECK(std::abs(px[1] - want.g) < 64);
            CHECK(std::abs(px[2] - want.b) < 64);
        }
    }
    return static_cast<std::int64_t>(data.size());
}

std::int64_t check_thumbnails(const std::vector<input>& inputs) {
    std::int64_t total = 0;
    for (const auto& in : inputs) total += check_thumbnail(in);
    return total;
}

// What a run of the program did.
struct run_result {
    int status;
    std::string out, err;
};

run_result run_thumbnail(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    gocsp_test::process p(gocsp_test::example_path("thumbnail"), args);
    if (!stdin_text.empty()) REQUIRE(p.write(stdin_text));
    p.close_stdin();
    const auto status = p.wait(120s);
    REQUIRE(status.has_value());
    return {*status, p.take(gocsp_test::process::out), p.take(gocsp_test::process::err)};
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// A line of Go's standard logger: date, time, message.
bool is_log_line(const std::string& line, const std::string& message) {
    static const std::regex stamp(R"(^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )");
    return std::regex_search(line, stamp) && line.substr(20) == message;
}

bool logged(const std::string& err, const std::string& message) {
    const auto lines = lines_of(err);
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return is_log_line(l, message); });
}

}  // namespace

TEST_CASE("every version but 2 writes thumbnails that fit 128x128 and keep the aspect ratio") {
    for (int version : {1, 3, 4, 5, 6}) {
        DYNAMIC_SECTION("version " << version) {
            temp_dir dir;
            const auto inputs = make_inputs(dir);
            std::vector<std::string> args = {"-version", std::to_string(version)};
            for (const auto& name : names_of(inputs)) args.push_back(name);
            const run_result r = run_thumbnail(args);
            INFO("stderr: " << r.err);
            CHECK(r.err.empty());
            REQUIRE(r.status == 0);
            const std::int64_t total = check_thumbnails(inputs);
            if (version == 5) {  // the thumbnails' names, in any order
                const auto printed = lines_of(r.out);
                std::set<std::string> want;
                for (const auto& in : inputs) want.insert(in.thumb);
                CHECK(std::set<std::string>(printed.begin(), printed.end()) == want);
                CHECK(printed.size() == inputs.size());
            } else if (version == 6) {  // the total size of the thumbnails
                CHECK(r.out == std::to_string(total) + "\n");
            } else {
                CHECK(r.out.empty());
            }
        }
    }
}

TEST_CASE("version 6 takes the file names from the standard input") {
    temp_dir dir;
    const auto inputs = make_inputs(dir);
    std::string names;
    for (const auto& name : names_of(inputs)) names += name + "\n";
    const run_result r = run_thumbnail({}, names);
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    const std::int64_t total = check_thumbnails(inputs);
    CHECK(r.out == std::to_string(total) + "\n");
}

TEST_CASE("a corrupt, truncated or missing image is logged by name and the others still succeed") {
    temp_dir dir;
    const auto inputs = make_inputs(dir);
    const std::string garbage = dir / "garbage.jpg", cut = dir / "cut.jpg", missing = dir / "missing.png";
    write_file(garbage, "this is not an image\n");
    const std::string whole = image::jpeg_encode(quadrants(320, 240));
    write_file(cut, whole.substr(0, whole.size() / 2));
    std::vector<std::string> files = names_of(inputs);
    files.insert(files.begin() + 2, garbage);
    files.insert(files.begin() + 4, cut);
    files.push_back(missing);

    SECTION("version 6 logs each failure and counts the thumbnails made") {
        std::vector<std::string> args = files;
        const run_result r = run_thumbnail(args);
        INFO("stderr: " << r.err);
        CHECK(r.status == 1);
        CHECK(logged(r.err, "scaling " + garbage + " to " + dir / "garbage.thumb.jpg" + ": image: unknown format"));
        CHECK(logged(r.err, "scaling " + cut + " to " + dir / "cut.thumb.jpg" + ": jpeg: Premature end of JPEG file"));
        CHECK(logged(r.err, "open " + missing + ": no such file or directory"));
        CHECK(lines_of(r.err).size() == 3);
        CHECK_FALSE(fs::exists(dir / "garbage.thumb.jpg"));
        CHECK_FALSE(fs::exists(dir / "cut.thumb.jpg"));
        const std::int64_t total = check_thumbnails(inputs);
        CHECK(r.out == std::to_string(total) + "\n");
    }
    SECTION("version 1 logs each failure and goes on") {
        std::vector<std::string> args = {"-version=1"};
        args.insert(args.end(), files.begin(), files.end());
        const run_result r = run_thumbnail(args);
        INFO("stderr: " << r.err);
        CHECK(r.status == 1);
        CHECK(logged(r.err, "scaling " + garbage + " to " + dir / "garbage.thumb.jpg" + ": image: unknown format"));
        CHECK(logged(r.err, "open " + missing + ": no such file or directory"));
        CHECK(lines_of(r.err).size() == 3);
        check_thumbnails(inputs);
    }
    SECTION("version 5 stops at the first error and logs it") {
        std::vector<std::string> args = {"-version", "5"};
        args.insert(args.end(), files.begin(), files.end());
        const run_result r = run_thumbnail(args);
        INFO("stderr: " << r.err);
        CHECK(r.status == 1);
        const auto lines = lines_of(r.err);
        REQUIRE(lines.size() == 1);
        CHECK((lines[0].find(garbage) != std::string::npos || lines[0].find(cut) != std::string::npos ||
               lines[0].find(missing) != std::string::npos));
    }
}

TEST_CASE("bad usage is reported as Go's flag package does") {
    const run_result unknown = run_thumbnail({"-size", "64"});
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find("flag provided but not defined: -size") != std::string::npos);
    const run_result bad = run_thumbnail({"-version", "seven"});
    CHECK(bad.status == 2);
    CHECK(bad.err.find("invalid value \"seven\" for flag -version") != std::string::npos);
    const run_result out_of_range = run_thumbnail({"-version", "7"});
    CHECK(out_of_range.status == 2);
}

TEST_CASE("version 2 returns at once and the program exits, abandoning its goroutines cleanly") {
    temp_dir dir;
    const auto inputs = make_inputs(dir);
    std::vector<std::string> args = {"-version", "2"};
    for (const auto& name : names_of(inputs)) args.push_back(name);
    const run_result r = run_thumbnail(args);
    INFO("stderr: " << r.err);
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    CHECK(r.out.empty());
}

// ---------------------------------------------------------------------------------------------
// The functions themselves, in this process.

TEST_CASE("make_thumbnails2, 3 and 4, given no bad file, make every thumbnail and leave no goroutine") {
    using version = void (*)(const std::vector<std::string>&);
    const std::pair<const char*, version> versions[] = {
        {"make_thumbnails2", &make_thumbnails2}, {"make_thumbnails3", &make_thumbnails3}, {"make_thumbnails4", &make_thumbnails4}};
    for (const auto& [name, make] : versions) {
        DYNAMIC_SECTION(name) {
            temp_dir dir;
            const auto inputs = make_inputs(dir);
            gocsp::testing::leak_check leaks;
            make(names_of(inputs));
            // 3 and 4 return once every thumbnail is written. Nothing tells when 2's goroutines
            // are done: the leak check waits for them to end.
            if (make != &make_thumbnails2) check_thumbnails(inputs);
            CHECK(leaks.report(60s).empty());
            check_thumbnails(inputs);
        }
    }
}

// The leak is the point: the goroutines left blocked stay so until the process ends.
TEST_CASE("make_thumbnails4 leaks the goroutines it stops receiving from after an error", "[leaks-ok]") {
    temp_dir dir;
    const auto inputs = make_inputs(dir);
    std::vector<std::string> files = names_of(inputs);
    // Two failures: whichever is received first, the other is still to be received then, so at
    // least one goroutine is left blocked on its send.
    files.insert(files.begin() + 1, dir / "missing1.jpg");
    files.push_back(dir / "missing2.jpg");
    gocsp::testing::leak_check leaks;
    REQUIRE_THROWS_WITH(make_thumbnails4(files), Catch::Contains("missing") && Catch::Contains("no such file"));
    const auto leaked = leaks.leaked(5s);
    CHECK(!leaked.empty());
    CHECK(leaked.size() < files.size());
    // They are blocked sending on the channel (one may still be finishing its picture).
    std::string report;
    for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
        report = leaks.report(0ms);
        if (report.find("[chan send") != std::string::npos) break;
        std::this_thread::sleep_for(10ms);
    }
    INFO(report);
    CHECK(report.find("[chan send") != std::string::npos);
    CHECK(report.find("created by make_thumbnails4") != std::string::npos);
}

TEST_CASE("make_thumbnails5 and make_thumbnails6 leak nothing, even after errors") {
    temp_dir dir;
    const auto inputs = make_inputs(dir);
    std::vector<std::string> files = names_of(inputs);
    files.insert(files.begin() + 1, dir / "missing1.jpg");
    files.push_back(dir / "missing2.jpg");

    SECTION("make_thumbnails5 throws the first error; every goroutine can still send") {
        gocsp::testing::leak_check leaks;
        REQUIRE_THROWS_WITH(make_thumbnails5(files), Catch::Contains("missing") && Catch::Contains("no such file"));
        CHECK(leaks.report(60s).empty());
        check_thumbnails(inputs);  // the goroutines finished their work
    }
    SECTION("make_thumbnails5 without errors returns every thumbnail") {
        gocsp::testing::leak_check leaks;
        const auto thumbs = make_thumbnails5(names_of(inputs));
        std::set<std::string> want;
        for (const auto& in : inputs) want.insert(in.thumb);
        CHECK(std::set<std::string>(thumbs.begin(), thumbs.end()) == want);
        CHECK(leaks.report(60s).empty());
    }
    SECTION("make_thumbnails6 logs the errors and returns the bytes written") {
        gocsp::testing::leak_check leaks;
        gocsp::chan<std::string> filenames(0);
        gocsp::go([filenames, files] {
            for (const auto& f : files) filenames << f;
            filenames.close();
        });
        const int errors_before = errors_logged;
        const std::int64_t total = make_thumbnails6(filenames);
        CHECK(errors_logged - errors_before == 2);
        CHECK(leaks.report(60s).empty());
        CHECK(total == check_thumbnails(inputs));
    }
}
