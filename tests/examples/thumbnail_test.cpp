// Tests of the thumbnail example (gopl.io/ch8/thumbnail): the program is run on JPEG, PNG and GIF
// files made here with the same image libraries, and its thumbnails are decoded and measured;
// the make_thumbnails functions are also called in this process, under gocsp's leak check, to
// show version 4's goroutine leak and its absence from versions 5 and 6.
#include <catch2/catch.hpp>

#include <gocsp/gocsp.hpp>

#include <algorithm>
#include <csetjmp>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <regex>
#include <set>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>
#include <zlib.h>

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
    auto gif = [](const image::picture& p) { return image::gif_encode(p); };
    const spec specs[] = {
        {"wide.jpg", "wide.thumb.jpg", 640, 480, +jpeg},
        {"tall.png", "tall.thumb.jpg", 150, 600, &image::png_encode},
        {"banner.gif", "banner.thumb.jpg", 400, 100, +gif},
        {"square.png", "square.thumb.jpg", 256, 256, &image::png_encode},
        {"tiny.jpg", "tiny.thumb.jpg", 40, 30, +jpeg},
        {"photo.JPEG", "photo.thumb.jpg", 300, 200, +jpeg},
        {"portrait.gif", "portrait.thumb.jpg", 90, 270, +gif},
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

// ---------------------------------------------------------------------------------------------
// Hostile inputs: decompression bombs, files that are no image or never end, CMYK JPEGs, empty
// GIF frames. Each bomb is a few bytes written here; the program is measured with wait4.

namespace {

constexpr long mib = 1024 * 1024;
#ifdef GOCSP_TEST_SANITIZED
constexpr long single_bound = 512 * mib;  // the sanitizers' own memory on top
constexpr int hostile_count = 100;
#else
constexpr long single_bound = 256 * mib;
constexpr int hostile_count = 1000;
#endif
constexpr long many_bound = 1024 * mib;

// run_measured: runs the thumbnail program with args, measuring its peak resident memory (a
// child passing twice the bound for many files is killed: a bomb that works must fail the test,
// not take the machine's memory).
gocsp_test::measured_run run_measured(const std::vector<std::string>& args, long kill_above = 2 * many_bound) {
    return gocsp_test::run_measured(gocsp_test::example_path("thumbnail"), args, 120s, kill_above);
}

// A GIF of the given logical screen holding one frame, with a 2-colour table and the LZW data
// given (minimum code size 2: clear is 4, end 5, codes of 3 bits).
std::string gif_file(int screen_w, int screen_h, int frame_w, int frame_h, const std::string& lzw_blocks) {
    auto word = [](int v) { return std::string{static_cast<char>(v & 0xff), static_cast<char>(v >> 8 & 0xff)}; };
    return "GIF89a" + word(screen_w) + word(screen_h) + std::string("\0\0\0", 3) + "," + word(0) + word(0) + word(frame_w) +
           word(frame_h) + "\x80" + std::string("\0\0\0\xff\xff\xff", 6) + "\x02" + lzw_blocks + std::string("\0;", 2);
}
const std::string lzw_one_pixel("\x02\x44\x01", 3);  // one block: clear, pixel 0, end
const std::string lzw_no_pixel("\x01\x2c", 2);       // one block: clear, end

// jpeg_declaring: a small JPEG whose frame header (SOF0, or SOF2 for a progressive one) claims
// w x h pixels: its data ends long before.
std::string jpeg_declaring(std::string jpg, int w, int h) {
    auto sof = jpg.find("\xff\xc0");
    if (sof == std::string::npos) sof = jpg.find("\xff\xc2");
    REQUIRE(sof != std::string::npos);
    jpg[sof + 5] = static_cast<char>(h >> 8);
    jpg[sof + 6] = static_cast<char>(h & 0xff);
    jpg[sof + 7] = static_cast<char>(w >> 8);
    jpg[sof + 8] = static_cast<char>(w & 0xff);
    return jpg;
}

// png_declaring: a small PNG whose header (IHDR, its CRC recomputed) claims w x h pixels.
std::string png_declaring(int w, int h) {
    std::string png = image::png_encode(quadrants(16, 16));
    for (int i = 0; i < 4; ++i) {
        png[16 + static_cast<std::size_t>(i)] = static_cast<char>(static_cast<unsigned>(w) >> (24 - 8 * i) & 0xff);
        png[20 + static_cast<std::size_t>(i)] = static_cast<char>(static_cast<unsigned>(h) >> (24 - 8 * i) & 0xff);
    }
    const uLong crc = ::crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17);
    for (int i = 0; i < 4; ++i) png[29 + static_cast<std::size_t>(i)] = static_cast<char>(crc >> (24 - 8 * i) & 0xff);
    return png;
}

// make_jpeg: a width x height JPEG made row by row with libjpeg (never a whole picture in
// memory): row_of(y, row) fills row y with 3 (RGB) or 4 (CMYK) bytes a pixel, as `in` says;
// stored in colour space `stored`; progressive or not; with Adobe's marker or not.
std::string make_jpeg(int width, int height, J_COLOR_SPACE in, J_COLOR_SPACE stored, bool progressive, bool adobe,
                      const std::function<void(int, std::uint8_t*)>& row_of) {
    jpeg_compress_struct c;
    jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);  // exits on error: these inputs are all valid
    jpeg_create_compress(&c);
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = static_cast<JDIMENSION>(width);
    c.image_height = static_cast<JDIMENSION>(height);
    c.input_components = in == JCS_CMYK ? 4 : 3;
    c.in_color_space = in;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, stored);
    c.write_Adobe_marker = adobe ? TRUE : FALSE;
    jpeg_set_quality(&c, 90, TRUE);
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    std::vector<std::uint8_t> row(static_cast<std::size_t>(width) * static_cast<std::size_t>(c.input_components));
    while (c.next_scanline < c.image_height) {
        row_of(static_cast<int>(c.next_scanline), row.data());
        JSAMPROW r = row.data();
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    std::string out(reinterpret_cast<const char*>(buf), size);
    std::free(buf);
    return out;
}

// The quadrants picture in inverted CMYK, as Adobe's applications store it (255: no ink):
// cyan, magenta and yellow the complements of red, green and blue, no black.
std::function<void(int, std::uint8_t*)> inverted_cmyk_quadrants(int width, int height) {
    return [=](int y, std::uint8_t* row) {
        for (int x = 0; x < width; ++x, row += 4) {
            const rgb c = quadrant(x >= width / 2, y >= height / 2);
            row[0] = static_cast<std::uint8_t>(c.r);
            row[1] = static_cast<std::uint8_t>(c.g);
            row[2] = static_cast<std::uint8_t>(c.b);
            row[3] = 255;
        }
    };
}

// A hostile input: its name, its bytes, and what the program logs for it ("" when it makes a
// thumbnail of it).
struct hostile {
    std::string name, data, error;
};

std::vector<hostile> bombs() {
    const std::string small_jpeg = image::jpeg_encode(quadrants(16, 16));
    const std::string small_progressive = make_jpeg(16, 16, JCS_RGB, JCS_YCbCr, true, false, [](int, std::uint8_t* row) {
        std::fill(row, row + 16 * 3, 128);
    });
    return {
        // A 1x1 frame on a 65535x65535 screen: only the frame is decoded.
        {"screen.gif", gif_file(65535, 65535, 1, 1, lzw_one_pixel), ""},
        {"frame.gif", gif_file(65535, 65535, 65535, 65535, lzw_one_pixel), "gif: image too large: 65535x65535 pixels"},
        {"rows.gif", gif_file(30000, 30000, 30000, 30000, lzw_one_pixel), "gif: not enough image data"},
        {"huge.jpg", jpeg_declaring(small_jpeg, 65500, 65500), "jpeg: image too large: 65500x65500 pixels"},
        {"large.jpg", jpeg_declaring(small_jpeg, 30000, 30000), "jpeg: Corrupt JPEG data: premature end of data segment"},
        {"progressive.jpg", jpeg_declaring(small_progressive, 30000, 30000),
         "jpeg: image too large: 30000x30000 pixels, progressive (2574 MiB of coefficients)"},
        {"huge.png", png_declaring(32000, 32000), "png: Not enough image data"},
    };
}

// thumb_of: the thumbnail's name for file: its extension, if any, replaced by ".thumb.jpg".
std::string thumb_of(const std::string& file) {
    const auto dot = file.rfind('.'), slash = file.rfind('/');
    return (dot != std::string::npos && (slash == std::string::npos || dot > slash) ? file.substr(0, dot) : file) + ".thumb.jpg";
}

}  // namespace

TEST_CASE("a decompression bomb is refused or decoded in bounded memory, its file named in the error") {
    temp_dir dir;
    for (const hostile& h : bombs()) {
        DYNAMIC_SECTION(h.name << " (" << h.data.size() << " bytes)") {
            const std::string file = dir / h.name;
            write_file(file, h.data);
            const gocsp_test::measured_run r = run_measured({file});
            INFO("stderr: " << r.err << "peak RSS: " << r.peak_rss / mib << " MiB");
            CHECK_FALSE(r.over_limit);
            CHECK_FALSE(r.timed_out);
            CHECK(r.peak_rss < single_bound);
            if (h.error.empty()) {
                CHECK(r.status == 0);
                CHECK(r.err.empty());
                const image::picture t = image::decode(read_file(thumb_of(file)));
                CHECK(t.width == 128);
                CHECK(t.height == 128);
            } else {
                CHECK(r.status == 1);
                CHECK(logged(r.err, "scaling " + file + " to " + thumb_of(file) + ": " + h.error));
                CHECK(lines_of(r.err).size() == 1);
            }
        }
    }
}

TEST_CASE("a thousand decompression bombs in one run stay bounded in memory") {
    temp_dir dir;
    const auto kinds = bombs();
    std::vector<std::string> files;
    int failures = 0;
    for (int i = 0; i < hostile_count; ++i) {
        const hostile& h = kinds[static_cast<std::size_t>(i) % kinds.size()];
        files.push_back(dir / (std::to_string(i) + "-" + h.name));
        write_file(files.back(), h.data);
        if (!h.error.empty()) ++failures;
    }
    const gocsp_test::measured_run r = run_measured(files);
    INFO("peak RSS: " << r.peak_rss / mib << " MiB");
    CHECK_FALSE(r.over_limit);
    CHECK_FALSE(r.timed_out);
    CHECK(r.peak_rss < many_bound);
    CHECK(r.status == 1);
    CHECK(lines_of(r.err).size() == static_cast<std::size_t>(failures));
}

TEST_CASE("a file that is no image is refused after its first bytes, however long it is") {
    temp_dir dir;
    const std::string zero = dir / "zero.jpg", sparse = dir / "sparse.png";
    fs::create_symlink("/dev/zero", zero);  // never ends
    {
        std::ofstream(sparse).put('x');
        fs::resize_file(sparse, std::uintmax_t{4} << 30);  // 4 GiB, a hole after its first byte
    }
    const gocsp_test::measured_run r = run_measured({zero, sparse, dir.path.string()});
    INFO("stderr: " << r.err << "peak RSS: " << r.peak_rss / mib << " MiB");
    CHECK_FALSE(r.over_limit);
    CHECK_FALSE(r.timed_out);
    CHECK(r.peak_rss < single_bound);
    CHECK(r.status == 1);
    CHECK(logged(r.err, "scaling " + zero + " to " + dir / "zero.thumb.jpg" + ": image: unknown format"));
    CHECK(logged(r.err, "scaling " + sparse + " to " + dir / "sparse.thumb.jpg" + ": image: unknown format"));
    // A directory opens, and its first read fails, as Go reports it.
    const std::string d = dir.path.string();
    CHECK(logged(r.err, "scaling " + d + " to " + thumb_of(d) + ": read " + d + ": is a directory"));
}

TEST_CASE("CMYK and YCCK JPEGs with Adobe's marker are decoded, as Go decodes them") {
    temp_dir dir;
    const int w = 320, h = 200;
    const std::vector<input> inputs = {{dir / "cmyk.jpg", dir / "cmyk.thumb.jpg", w, h}, {dir / "ycck.jpg", dir / "ycck.thumb.jpg", w, h}};
    write_file(inputs[0].name, make_jpeg(w, h, JCS_CMYK, JCS_CMYK, false, true, inverted_cmyk_quadrants(w, h)));
    write_file(inputs[1].name, make_jpeg(w, h, JCS_CMYK, JCS_YCCK, true, true, inverted_cmyk_quadrants(w, h)));
    const std::string plain = dir / "plain-cmyk.jpg";  // no Adobe marker: Go does not know what it is
    write_file(plain, make_jpeg(w, h, JCS_CMYK, JCS_CMYK, false, false, inverted_cmyk_quadrants(w, h)));
    const run_result r = run_thumbnail({inputs[0].name, inputs[1].name, plain});
    INFO("stderr: " << r.err);
    CHECK(r.status == 1);
    check_thumbnails(inputs);
    CHECK(logged(r.err, "scaling " + plain + " to " + dir / "plain-cmyk.thumb.jpg" +
                            ": jpeg: unsupported JPEG feature: unknown color model: 4-component JPEG doesn't have Adobe APP14 metadata"));
    CHECK(lines_of(r.err).size() == 1);

    // Black: 255 - K of it, in inverted CMYK. Half black and no other ink is mid grey.
    const std::string grey = make_jpeg(16, 16, JCS_CMYK, JCS_CMYK, false, true, [](int, std::uint8_t* row) {
        for (int x = 0; x < 16; ++x, row += 4) row[0] = row[1] = row[2] = 255, row[3] = 128;
    });
    const image::picture g = image::decode(grey);
    for (int c = 0; c < 3; ++c) CHECK(std::abs(g.at(8, 8)[c] - 128) < 8);
}

TEST_CASE("an empty GIF frame is reported as Go's image/gif reports it") {
    temp_dir dir;
    const std::string with_pixels = dir / "pixels.gif", without = dir / "empty.gif";
    write_file(with_pixels, gif_file(10, 10, 0, 5, lzw_one_pixel));
    write_file(without, gif_file(10, 10, 0, 5, lzw_no_pixel));
    const run_result r = run_thumbnail({with_pixels, without});
    INFO("stderr: " << r.err);
    CHECK(r.status == 1);
    CHECK(logged(r.err, "scaling " + with_pixels + " to " + dir / "pixels.thumb.jpg" + ": gif: too much image data"));
    // Go decodes this one to an empty image; no thumbnail can be made of it.
    CHECK(logged(r.err, "scaling " + without + " to " + dir / "empty.thumb.jpg" + ": thumbnail: empty image (0x5)"));
    // And a frame beyond the screen, in Go's words.
    const run_result beyond = run_thumbnail({[&] {
        const std::string f = dir / "beyond.gif";
        write_file(f, gif_file(10, 10, 11, 5, lzw_one_pixel));
        return f;
    }()});
    CHECK(logged(beyond.err, "scaling " + dir / "beyond.gif" + " to " + dir / "beyond.thumb.jpg" + ": gif: frame bounds larger than image bounds"));
}

// ---------------------------------------------------------------------------------------------
// The streaming decoders against pictures known pixel by pixel: every PNG colour type and
// depth, interlaced or not, interlaced GIFs, and thumbnails made row by row.

namespace {

// An RGBA source pattern with every channel varying, alpha too when asked.
struct rgba {
    int r, g, b, a;
};
rgba pattern(int x, int y, bool alpha) {
    return {(x * 37 + y * 11) % 256, (x * 5 + y * 53) % 256, (x * y + 7) % 256, alpha ? (x * 29 + y * 17) % 256 : 255};
}

// make_png: a width x height PNG of the given colour type and bit depth, interlaced or not,
// written row by row with libpng from pattern(): grey takes the red channel, a palette holds
// the 4 colours of (x + y) % 4 with entry 3 transparent (tRNS).
std::string make_png(int width, int height, int color_type, int depth, bool interlaced) {
    std::string out;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {  // never: the inputs are valid
        png_destroy_write_struct(&png, &info);
        std::abort();
    }
    png_set_write_fn(
        png, &out,
        [](png_structp p, png_bytep data, png_size_t n) {
            static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(data), n);
        },
        nullptr);
    png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), depth, color_type,
                 interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_color palette[4] = {{200, 10, 10}, {10, 200, 10}, {10, 10, 200}, {250, 250, 250}};
    png_byte trans[4] = {255, 255, 255, 0};
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_PLTE(png, info, palette, 4);
        png_set_tRNS(png, info, trans, 4, nullptr);
    }
    png_write_info(png, info);
    const int channels = color_type == PNG_COLOR_TYPE_PALETTE || color_type == PNG_COLOR_TYPE_GRAY ? 1
                         : color_type == PNG_COLOR_TYPE_GRAY_ALPHA                                 ? 2
                         : color_type == PNG_COLOR_TYPE_RGB                                        ? 3
                                                                                                   : 4;
    const bool alpha = color_type & PNG_COLOR_MASK_ALPHA;
    std::vector<png_byte> row(static_cast<std::size_t>(width * channels * 2));
    const int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; ++pass) {
        for (int y = 0; y < height; ++y) {
            std::fill(row.begin(), row.end(), 0);
            for (int x = 0; x < width; ++x) {
                const rgba c = pattern(x, y, alpha);
                const int values[4] = {c.r, c.g, c.b, c.a};
                const int grey[2] = {c.r, c.a};
                for (int ch = 0; ch < channels; ++ch) {
                    int v = color_type == PNG_COLOR_TYPE_PALETTE ? (x + y) % 4 : channels <= 2 ? grey[ch] : values[ch];
                    if (depth == 16) {  // v * 257: its high byte is v
                        row[static_cast<std::size_t>((x * channels + ch) * 2)] = static_cast<png_byte>(v);
                        row[static_cast<std::size_t>((x * channels + ch) * 2 + 1)] = static_cast<png_byte>(v);
                    } else if (depth == 8) {
                        row[static_cast<std::size_t>(x * channels + ch)] = static_cast<png_byte>(v);
                    } else {  // grey or palette of 1, 2 or 4 bits, packed from the high bits
                        if (color_type == PNG_COLOR_TYPE_GRAY) v >>= 8 - depth;
                        const int bit = x * depth;
                        row[static_cast<std::size_t>(bit / 8)] |= static_cast<png_byte>(v << (8 - depth - bit % 8));
                    }
                }
            }
            png_write_row(png, row.data());
        }
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return out;
}

// expected_png: what decoding make_png's image must give: 8-bit RGB premultiplied onto black.
image::picture expected_png(int width, int height, int color_type, int depth) {
    image::picture p(width, height);
    const bool alpha = color_type & PNG_COLOR_MASK_ALPHA;
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            rgba c = pattern(x, y, alpha);
            if (color_type == PNG_COLOR_TYPE_PALETTE) {
                const rgba entries[4] = {{200, 10, 10, 255}, {10, 200, 10, 255}, {10, 10, 200, 255}, {250, 250, 250, 0}};
                c = entries[(x + y) % 4];
            } else if (!(color_type & PNG_COLOR_MASK_COLOR)) {
                int v = c.r;
                if (depth < 8) v = (v >> (8 - depth)) * 255 / ((1 << depth) - 1);  // scaled up by libpng
                c = {v, v, v, c.a};
            }
            std::uint8_t* px = p.at(x, y);
            px[0] = static_cast<std::uint8_t>((c.r * c.a + 127) / 255);
            px[1] = static_cast<std::uint8_t>((c.g * c.a + 127) / 255);
            px[2] = static_cast<std::uint8_t>((c.b * c.a + 127) / 255);
        }
    }
    return p;
}

// streamed_thumbnail: the thumbnail of data made row by row by the scaler, as the program does.
image::picture streamed_thumbnail(std::string_view data) {
    thumbnail::scaler s;
    image::decode(
        [&data](std::uint8_t* buf, std::size_t n) {
            n = std::min(n, data.size());
            std::memcpy(buf, data.data(), n);
            data.remove_prefix(n);
            return n;
        },
        s);
    return s.take();
}

bool same(const image::picture& a, const image::picture& b) { return a.width == b.width && a.height == b.height && a.pix == b.pix; }

}  // namespace

TEST_CASE("PNGs of every colour type and depth, interlaced or not, decode to their pixels and thumbnails") {
    struct kind {
        const char* name;
        int color_type, depth;
    };
    const kind kinds[] = {
        {"RGB 8", PNG_COLOR_TYPE_RGB, 8},         {"RGB 16", PNG_COLOR_TYPE_RGB, 16},
        {"RGBA 8", PNG_COLOR_TYPE_RGBA, 8},       {"RGBA 16", PNG_COLOR_TYPE_RGBA, 16},
        {"grey 8", PNG_COLOR_TYPE_GRAY, 8},       {"grey 1", PNG_COLOR_TYPE_GRAY, 1},
        {"grey 4", PNG_COLOR_TYPE_GRAY, 4},       {"grey+alpha 8", PNG_COLOR_TYPE_GRAY_ALPHA, 8},
        {"palette 8", PNG_COLOR_TYPE_PALETTE, 8}, {"palette 2", PNG_COLOR_TYPE_PALETTE, 2},
    };
    // Odd sizes, some with empty interlace passes; one larger than a thumbnail, one smaller.
    const std::pair<int, int> sizes[] = {{1, 1}, {3, 2}, {37, 23}, {300, 170}};
    for (const kind& k : kinds) {
        for (bool interlaced : {false, true}) {
            for (const auto& [w, h] : sizes) {
                DYNAMIC_SECTION(k.name << (interlaced ? " interlaced " : " ") << w << "x" << h) {
                    const std::string data = make_png(w, h, k.color_type, k.depth, interlaced);
                    const image::picture want = expected_png(w, h, k.color_type, k.depth);
                    CHECK(same(image::decode(data), want));
                    CHECK(same(streamed_thumbnail(data), thumbnail::image(want)));
                }
            }
        }
    }
}

TEST_CASE("an interlaced GIF decodes as its plain twin, and its thumbnail is made row by row") {
    for (const auto& [w, h] : {std::pair{1, 1}, std::pair{5, 3}, std::pair{37, 23}, std::pair{300, 170}}) {
        DYNAMIC_SECTION(w << "x" << h) {
            const image::picture p = quadrants(w, h);
            const image::picture plain = image::decode(image::gif_encode(p));
            const std::string interlaced = image::gif_encode(p, true);
            CHECK(same(image::decode(interlaced), plain));
            CHECK(same(streamed_thumbnail(interlaced), thumbnail::image(plain)));
        }
    }
}

TEST_CASE("a large JPEG is decoded shrunk, row by row, into a thumbnail of its colours") {
#ifdef GOCSP_TEST_SANITIZED
    const int w = 3000, h = 2000;
#else
    const int w = 12000, h = 8000;  // 96 megapixels: 288 MB as a whole picture
#endif
    temp_dir dir;
    const input in{dir / "large.jpg", dir / "large.thumb.jpg", w, h};
    write_file(in.name, make_jpeg(w, h, JCS_RGB, JCS_YCbCr, false, false, [&](int y, std::uint8_t* row) {
        for (int x = 0; x < w; ++x, row += 3) {
            const rgb c = quadrant(x >= w / 2, y >= h / 2);
            row[0] = static_cast<std::uint8_t>(c.r);
            row[1] = static_cast<std::uint8_t>(c.g);
            row[2] = static_cast<std::uint8_t>(c.b);
        }
    }));
    const gocsp_test::measured_run r = run_measured({in.name});
    INFO("stderr: " << r.err << "peak RSS: " << r.peak_rss / mib << " MiB");
    CHECK(r.status == 0);
    CHECK(r.peak_rss < 64 * mib);
    check_thumbnail(in);
}
