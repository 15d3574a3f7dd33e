// thumbnails.hpp - the parallel loops of "The Go Programming Language", section 8.5
// (gopl.io/ch8/thumbnail), on gocsp: the package thumbnail (image_file: one picture to its
// thumbnail) and the six make_thumbnails functions that call it for many files.
//
//   make_thumbnails    sequential: the loop to make parallel;
//   make_thumbnails2   a goroutine per file, and returns before they have finished (wrong);
//   make_thumbnails3   a goroutine per file, waited for with one message each on a channel;
//   make_thumbnails4   stops at the first error - and leaks every goroutine still to send on
//                      its unbuffered channel, since nobody will ever receive from it (wrong);
//   make_thumbnails5   as 4 with a buffered channel: every goroutine can send, nothing leaks;
//   make_thumbnails6   file names from a channel, an unknown number of goroutines, counted by
//                      a wait_group that a closer goroutine waits on; returns the bytes written.
//
// Each file's work - decoding, scaling, encoding - is CPU work done by the goroutine itself, so
// the files are processed in parallel on gocsp's workers; reading and writing the files go
// through gocsp::blocking. Errors are exceptions in C++: where Go passes an error along a
// channel, std::exception_ptr does (nullptr being Go's nil).
#pragma once

#include <gocsp/gocsp.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "../flags.hpp"
#include "image.hpp"

/// errors_logged: how many errors log_error has logged (the command's exit status).
inline std::atomic<int> errors_logged{0};

/// log_error: Go's log.Println(err), counted in errors_logged.
inline void log_error(std::string_view message) {
    log_print(message);
    errors_logged.fetch_add(1);
}

// ---------------------------------------------------------------------------------------------
// thumbnail: Go's package gopl.io/ch8/thumbnail.
namespace thumbnail {

/// image: src scaled so that its longer side is 128 pixels and the other keeps the aspect
/// ratio (rounded down, at least 1), by the book's crude nearest-pixel sampling.
inline image::picture image(const image::picture& src) {
    const int xs = src.width, ys = src.height;
    int width = 128, height = 128;
    if (const double aspect = static_cast<double>(xs) / ys; aspect < 1.0)
        width = std::max(1, static_cast<int>(128 * aspect));  // portrait
    else
        height = std::max(1, static_cast<int>(128 / aspect));  // landscape
    const double xscale = static_cast<double>(xs) / width;
    const double yscale = static_cast<double>(ys) / height;

    image::picture dst(width, height);
    for (int x = 0; x < width; ++x) {
        for (int y = 0; y < height; ++y) {
            const std::uint8_t* p = src.at(static_cast<int>(x * xscale), static_cast<int>(y * yscale));
            std::copy(p, p + 3, dst.at(x, y));
        }
    }
    return dst;
}

namespace detail {

// os_error: Go's *PathError text, "open foo.jpg: no such file or directory".
inline std::runtime_error os_error(const char* op, const std::string& path, int err) {
    std::string text = std::strerror(err);
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return std::runtime_error(std::string(op) + " " + path + ": " + text);
}

// read_file / write_file: a whole file, on a helper thread (the goroutine parks meanwhile).
inline std::string read_file(const std::string& name) {
    return gocsp::blocking([&] {
        const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw os_error("open", name, errno);
        std::string data;
        char buf[64 * 1024];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                const int err = errno;
                ::close(fd);
                throw os_error("read", name, err);
            }
            if (n == 0) break;
            data.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fd);
        return data;
    });
}

inline void write_file(const std::string& name, std::string_view data) {
    gocsp::blocking([&] {
        const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) throw os_error("open", name, errno);
        while (!data.empty()) {
            const ssize_t n = ::write(fd, data.data(), data.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                const int err = errno;
                ::close(fd);
                throw os_error("write", name, err);
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        if (::close(fd) != 0) throw os_error("close", name, errno);
    });
}

}  // namespace detail

/// image_file2: reads the image in infile and writes its thumbnail to outfile as a JPEG. A
/// file that cannot be decoded gives "scaling <infile> to <outfile>: <why>", as in the book
/// (which, unlike this, leaves an empty outfile behind).
inline void image_file2(const std::string& outfile, const std::string& infile) {
    const std::string in = detail::read_file(infile);
    std::string out;
    try {
        out = image::jpeg_encode(image(image::decode(in)));
    } catch (const std::exception& e) {
        throw std::runtime_error("scaling " + infile + " to " + outfile + ": " + e.what());
    }
    detail::write_file(outfile, out);
}

/// image_file: writes the thumbnail of infile next to it, "foo.jpg" -> "foo.thumb.jpg", and
/// returns that name. The book keeps the input's extension ("foo.png" -> "foo.thumb.png")
/// although it always writes a JPEG; here the name says what the file holds: "foo.thumb.jpg".
inline std::string image_file(const std::string& infile) {
    std::string base = infile;
    const auto slash = base.rfind('/');
    if (const auto dot = base.rfind('.'); dot != std::string::npos && (slash == std::string::npos || dot > slash))
        base.erase(dot);
    const std::string outfile = base + ".thumb.jpg";
    image_file2(outfile, infile);
    return outfile;
}

}  // namespace thumbnail

// ---------------------------------------------------------------------------------------------
// The six versions of the loop.

/// make_thumbnails: makes thumbnails of the files, one after the other; logs each failure.
inline void make_thumbnails(const std::vector<std::string>& filenames) {
    for (const auto& f : filenames) {
        try {
            thumbnail::image_file(f);
        } catch (const std::exception& e) {
            log_error(e.what());
        }
    }
}

/// make_thumbnails2: WRONG - starts a goroutine per file and returns at once, before they have
/// done anything. Errors are ignored.
inline void make_thumbnails2(const std::vector<std::string>& filenames) {
    for (const auto& f : filenames) {
        gocsp::go([](const std::string& f) {
            try {
                thumbnail::image_file(f);
            } catch (...) {  // NOTE: ignoring errors
            }
        }, f);
    }
}

/// make_thumbnails3: makes thumbnails of the files in parallel and waits for all of them: each
/// goroutine sends an event when it is done, and the loop counts the events. Errors are
/// ignored.
inline void make_thumbnails3(const std::vector<std::string>& filenames) {
    struct done {};  // chan struct{}
    gocsp::chan<done> ch(0);
    for (const auto& f : filenames) {
        gocsp::go([ch](const std::string& f) {
            try {
                thumbnail::image_file(f);
            } catch (...) {  // NOTE: ignoring errors
            }
            ch << done{};
        }, f);
    }
    // Wait for the goroutines to complete.
    for (std::size_t i = 0; i < filenames.size(); ++i) ch.recv();
}

/// make_thumbnails4: makes thumbnails of the files in parallel; throws the first error.
/// WRONG: after that error nobody receives from `errors`, so every goroutine that has not sent
/// yet blocks on its send forever - a goroutine leak.
inline void make_thumbnails4(const std::vector<std::string>& filenames) {
    gocsp::chan<std::exception_ptr> errors(0);
    for (const auto& f : filenames) {
        gocsp::go([errors](const std::string& f) {
            std::exception_ptr err;
            try {
                thumbnail::image_file(f);
            } catch (...) {
                err = std::current_exception();
            }
            errors << err;
        }, f);
    }
    for (std::size_t i = 0; i < filenames.size(); ++i) {
        if (std::exception_ptr err = errors.recv()) std::rethrow_exception(err);  // NOTE: incorrect: goroutine leak!
    }
}

/// make_thumbnails5: makes thumbnails of the files in parallel and returns their names in
/// arbitrary order; throws the first error. The channel has room for every goroutine's
/// result, so none is left blocked when the loop stops early.
inline std::vector<std::string> make_thumbnails5(const std::vector<std::string>& filenames) {
    struct item {
        std::string thumbfile;
        std::exception_ptr err;
    };
    gocsp::chan<item> ch(filenames.size());
    for (const auto& f : filenames) {
        gocsp::go([ch](const std::string& f) {
            item it;
            try {
                it.thumbfile = thumbnail::image_file(f);
            } catch (...) {
                it.err = std::current_exception();
            }
            ch << std::move(it);
        }, f);
    }
    std::vector<std::string> thumbfiles;
    for (std::size_t i = 0; i < filenames.size(); ++i) {
        item it = ch.recv();
        if (it.err) std::rethrow_exception(it.err);
        thumbfiles.push_back(std::move(it.thumbfile));
    }
    return thumbfiles;
}

/// make_thumbnails6: makes a thumbnail of each file received from filenames, in parallel, and
/// returns the number of bytes the thumbnails occupy; logs each failure. The number of files
/// is unknown until filenames is closed, so a wait_group counts the goroutines still working,
/// and a closer goroutine closes `sizes` once they are all done.
inline std::int64_t make_thumbnails6(gocsp::recv_chan<std::string> filenames) {
    gocsp::chan<std::int64_t> sizes(0);
    gocsp::wait_group wg;  // number of working goroutines
    for (const std::string& f : filenames) {
        wg.add(1);
        // worker
        gocsp::go([&wg, sizes](const std::string& f) {
            struct defer_done {  // defer wg.Done()
                gocsp::wait_group& wg;
                ~defer_done() { wg.done(); }
            } defer{wg};
            std::string thumb;
            try {
                thumb = thumbnail::image_file(f);
            } catch (const std::exception& e) {
                log_error(e.what());
                return;
            }
            struct stat info{};
            gocsp::blocking([&] { return ::stat(thumb.c_str(), &info); });  // os.Stat; the error is ignored, as in the book
            sizes << static_cast<std::int64_t>(info.st_size);
        }, f);
    }

    // closer
    gocsp::go([&wg, sizes] {
        wg.wait();
        sizes.close();
    });

    std::int64_t total = 0;
    for (std::int64_t size : sizes) total += size;
    return total;
}
