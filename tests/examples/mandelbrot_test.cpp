// Tests of mandelbrot (exercise 8.5): its output is a PNG of the book's picture, 1024x1024, and
// the same pixels whatever the number of worker threads (GOCSP_MAXPROCS) and of goroutines. The
// program runs as the real binary (GOCSP_EXAMPLES_DIR); the test decodes its PNG with libpng.
#include <catch2/catch.hpp>

#include "../support/process.hpp"

#include <png.h>

#include <algorithm>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

using gocsp_test::example_path;
using gocsp_test::process;
using namespace std::chrono_literals;

namespace {

/// picture: a decoded 8-bit grayscale image.
struct picture {
    unsigned width = 0, height = 0;
    std::vector<std::uint8_t> gray;
    std::uint8_t at(unsigned x, unsigned y) const { return gray[static_cast<std::size_t>(y) * width + x]; }
};

/// render: runs mandelbrot with args under GOCSP_MAXPROCS=workers and decodes what it wrote.
picture render(int workers, const std::vector<std::string>& args = {}) {
    process p(example_path("mandelbrot"), args, {"GOCSP_MAXPROCS=" + std::to_string(workers)});
    const std::string png = p.read_all(120s);
    REQUIRE(p.wait(60s) == 0);
    CHECK(p.take(process::err) == "");
    REQUIRE(png.size() > 8);
    CHECK(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    REQUIRE(png_image_begin_read_from_memory(&image, png.data(), png.size()));
    CHECK(image.format == PNG_FORMAT_GRAY);  // as written: the file holds gray pixels
    image.format = PNG_FORMAT_GRAY;
    picture pic{image.width, image.height, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(image))};
    REQUIRE(png_image_finish_read(&image, nullptr, pic.gray.data(), 0, nullptr));
    return pic;
}

}  // namespace

TEST_CASE("mandelbrot draws the book's 1024x1024 picture, the same pixels with 1, 2 or 8 workers") {
    const picture one = render(1);
    REQUIRE(one.width == 1024);
    REQUIRE(one.height == 1024);
    // Points whose fate is known: z = 0 (the middle) and z = -2 (the left edge's middle) never
    // escape: black; z = -2-2i (the top left corner) escapes at once, n = 0: 255; z = 1.996
    // (the right edge's middle) at n = 1: 255 - 15.
    CHECK(one.at(512, 512) == 0);
    CHECK(one.at(0, 512) == 0);
    CHECK(one.at(0, 0) == 255);
    CHECK(one.at(1023, 512) == 240);
    // The picture is symmetric about the real axis: row 512 - k mirrors row 512 + k.
    for (unsigned k = 1; k < 512; k += 37)
        for (unsigned x = 0; x < 1024; x += 13) CHECK(one.at(x, 512 - k) == one.at(x, 512 + k));
    // Both the set and its surroundings are there: many shades.
    std::vector<bool> seen(256);
    for (std::uint8_t g : one.gray) seen[g] = true;
    CHECK(std::count(seen.begin(), seen.end(), true) > 100);

    CHECK(render(2).gray == one.gray);
    CHECK(render(8).gray == one.gray);
    CHECK(render(2, {"-goroutines", "1"}).gray == one.gray);
    CHECK(render(8, {"-goroutines", "7"}).gray == one.gray);
}

TEST_CASE("mandelbrot: -h, a bad -goroutines, and a write error in Go's words") {
    process help(example_path("mandelbrot"), {"-h"});
    REQUIRE(help.wait(20s) == 0);
    CHECK(help.take(process::err).rfind("Usage of ", 0) == 0);
    for (const char* n : {"0", "1025", "-3"}) {
        process bad(example_path("mandelbrot"), {"-goroutines", n});
        REQUIRE(bad.wait(20s) == 2);
        CHECK(bad.take(process::err).rfind("invalid value \"" + std::string(n) +
                                               "\" for flag -goroutines: not between 1 and 1024\nUsage of ",
                                           0) == 0);
    }
    process full("/bin/sh", {"-c", "exec \"$0\" >/dev/full", example_path("mandelbrot")});
    REQUIRE(full.wait(120s) == 1);
    CHECK(std::regex_match(full.take(process::err),
                           std::regex(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d write /dev/stdout: no space left on device\n)")));
}
