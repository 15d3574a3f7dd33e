// mandelbrot - exercise 8.5 of "The Go Programming Language": the Mandelbrot fractal of section
// 3.3 (gopl.io/ch3/mandelbrot), computed by parallel goroutines and written as a PNG image on
// the standard output.
//
// The lesson: a CPU-bound loop made parallel. Every pixel depends on its coordinates alone, so
// the rows can be shared out among goroutines that write to disjoint parts of one image: no
// channel, no lock, only a wait_group to learn when the last row is done. By default each row
// has its own goroutine (1,024 of them); -goroutines n deals the rows out to n goroutines
// instead, row r to goroutine r mod n (interleaved, so that each gets a fair share of the
// fractal's costly middle). The runtime spreads the goroutines over GOCSP_MAXPROCS worker
// threads (default: one per core). The image is the book's: 1024x1024 pixels of the square from
// -2-2i to +2+2i, each point z iterated v = v*v + z up to 200 times; a point that escapes
// (|v| > 2) after n iterations is gray 255 - 15n (uint8 arithmetic, which wraps as Go's does),
// one that never does is black. Go's png.Encode writes the book's RGBA image as 8-bit RGB; this
// one writes the same pixels as 8-bit grayscale (libpng), a third of the data to compress.
//
//     $ mandelbrot > mandelbrot.png
//     $ GOCSP_MAXPROCS=1 mandelbrot -goroutines 1 > sequential.png   # the same pixels
//
// The speed-up could only be measured on a busy machine: 2 cores shared with other builds.
// Whole-process times, median of 6 to 10 runs of each, alternating: under a load average of
// about 12, 2.05 s with GOCSP_MAXPROCS=1 and 1.23 s with 2 (1.6 times as fast - partly the larger
// share of a busy machine that two threads get); under a load of about 6, 0.40 s and 0.34 s (1.15
// times). The CPU time is 0.32-0.34 s either way: the 1,024 goroutines and the wait cost nothing
// measurable, so on two idle cores the rows should take about half as long as on one.
#include "flags.hpp"

#include <gocsp/gocsp.hpp>

#include <png.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

constexpr double xmin = -2, ymin = -2, xmax = +2, ymax = +2;
constexpr int width = 1024, height = 1024;

// mandelbrot: the gray of point z = x + yi, as the book's mandelbrot(z) computes it. v*v + z is
// written out as Go computes complex128 arithmetic, and |v| is math.Hypot, as cmplx.Abs is.
std::uint8_t mandelbrot(double x, double y) {
    constexpr std::uint8_t iterations = 200;
    constexpr std::uint8_t contrast = 15;
    double vr = 0, vi = 0;
    for (std::uint8_t n = 0; n < iterations; ++n) {
        const double r = vr * vr - vi * vi + x;
        const double i = vr * vi + vi * vr + y;
        vr = r;
        vi = i;
        if (std::hypot(vr, vi) > 2) return static_cast<std::uint8_t>(255 - static_cast<std::uint8_t>(contrast * n));
    }
    return 0;  // color.Black
}

// render_rows: rows first, first + step, first + 2 step, ... of the image.
void render_rows(std::vector<std::uint8_t>& pixels, int first, int step) {
    for (int py = first; py < height; py += step) {
        const double y = static_cast<double>(py) / height * (ymax - ymin) + ymin;
        for (int px = 0; px < width; ++px) {
            const double x = static_cast<double>(px) / width * (xmax - xmin) + xmin;
            // Image point (px, py) represents complex value z.
            pixels[static_cast<std::size_t>(py) * width + static_cast<std::size_t>(px)] = mandelbrot(x, y);
        }
    }
}

// encode_png: pixels (width x height, one gray byte each) as a PNG file.
std::string encode_png(const std::vector<std::uint8_t>& pixels) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_GRAY;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0, nullptr))
        log_fatal(std::string("png: ") + image.message);
    std::string png(size, '\0');
    if (!png_image_write_to_memory(&image, png.data(), &size, 0, pixels.data(), 0, nullptr))
        log_fatal(std::string("png: ") + image.message);
    png.resize(size);
    return png;
}

}  // namespace

int main(int argc, char** argv) {
    const int& goroutines =
        flag::integer("goroutines", height, "render with `n` goroutines, each its share of the rows (1024: one per row)");
    flag::parse(argc, argv);
    if (goroutines < 1 || goroutines > height)
        flag::invalid_value("goroutines", "not between 1 and " + std::to_string(height));

    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * height);
    gocsp::wait_group rows;
    for (int g = 0; g < goroutines; ++g) {
        rows.add(1);
        gocsp::go([&pixels, &rows, g, step = goroutines] {
            render_rows(pixels, g, step);
            rows.done();
        });
    }
    rows.wait();

    const std::string png = encode_png(pixels);
    must([&] { return gocsp::io::write_string(gocsp::io::stdout_writer(), png); });
}
