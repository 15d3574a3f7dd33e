// thumbnail: makes thumbnails of image files in parallel - gopl.io/ch8/thumbnail from section 8.5
// of "The Go Programming Language" ("Looping in Parallel"), on gocsp.
//
// The lesson: an embarrassingly parallel loop - one goroutine per file, each decoding, scaling
// and encoding its own image - and the ways to get it wrong and right, in six versions of the
// loop (examples/thumbnail/thumbnails.hpp): returning before the goroutines finish (2), waiting
// for one event per goroutine (3), returning at the first error and so leaking every goroutine
// still to send on the unbuffered channel (4), a buffered channel that leaves none blocked (5),
// and a wait_group with a closer goroutine when the number of files is not known in advance (6).
//
//     thumbnail [-version N] [file...]
//
// writes a thumbnail of each file (JPEG, PNG or GIF) no larger than 128x128, keeping its aspect
// ratio, as a JPEG named after it: foo.png -> foo.thumb.jpg. Without file arguments the names
// are read from the standard input, one per line; version 6 (the default) takes each name as
// soon as it is read. What each version shows:
//   1  sequential; logs each failure;
//   2  returns before the goroutines finish, and the program exits with it: most thumbnails
//      are never written (the book's bug, kept); errors ignored;
//   3  waits for every goroutine; errors ignored;
//   4  logs the first error and exits, leaving the other goroutines blocked (the leak);
//   5  prints the thumbnails' names, or logs the first error;
//   6  logs each failure, then prints the total size of the thumbnails in bytes.
// Errors are logged as Go's log package does ("2006/01/02 15:04:05 scaling bad.jpg to
// bad.thumb.jpg: image: unknown format"); the exit status is 1 if any was, 2 for bad usage.
//
// Hostile files cost little: each file is read as it is decoded (one that is no image is
// refused after its first bytes), and decoded row by row into its thumbnail, never whole; an
// image larger than a gigapixel, or a progressive JPEG whose coefficients would take more than
// 128 MiB, is refused with "image too large". A few images are decoded at once, one per worker
// thread, however many goroutines wait (examples/thumbnail/thumbnails.hpp).
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <gocsp/gocsp.hpp>

#include "thumbnail/thumbnails.hpp"

namespace {

// filenames_from: the names given as arguments, or else the lines of the standard input, sent
// on the returned channel as they come; closed at the end.
gocsp::recv_chan<std::string> filenames_from(std::vector<std::string> args) {
    gocsp::chan<std::string> names(0);
    gocsp::go([names](const std::vector<std::string>& args) {
        if (!args.empty()) {
            for (const auto& a : args) names << a;
        } else {
            gocsp::io::scanner input(gocsp::io::stdin_reader());
            while (input.scan())
                if (!input.bytes().empty()) names << input.text();
            if (auto err = input.err()) {
                try {
                    std::rethrow_exception(err);
                } catch (const std::exception& e) {
                    log_error(e.what());
                }
            }
        }
        names.close();
    }, std::move(args));
    return names;
}

}  // namespace

int main(int argc, char** argv) {
    const int& version = flag::integer("version", 6, "which makeThumbnails to run, 1 to 6");
    flag::parse(argc, argv);
    if (version < 1 || version > 6) {
        std::fprintf(stderr, "invalid value %d for flag -version: not 1 to 6\n", version);
        flag::print_usage();
        return 2;
    }

    gocsp::recv_chan<std::string> names = filenames_from(flag::args());
    if (version == 6) {
        const std::int64_t total = make_thumbnails6(names);
        std::printf("%lld\n", static_cast<long long>(total));
        return errors_logged > 0 ? 1 : 0;
    }

    std::vector<std::string> files;
    for (const std::string& f : names) files.push_back(f);
    try {
        switch (version) {
            case 1: make_thumbnails(files); break;
            case 2: make_thumbnails2(files); break;
            case 3: make_thumbnails3(files); break;
            case 4: make_thumbnails4(files); break;
            case 5:
                for (const std::string& thumb : make_thumbnails5(files)) std::printf("%s\n", thumb.c_str());
                break;
        }
    } catch (const std::exception& e) {
        log_fatal(e.what());
    }
    return errors_logged > 0 ? 1 : 0;
}
