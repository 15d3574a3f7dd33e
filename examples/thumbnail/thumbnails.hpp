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
// through gocsp::blocking. A file is read in pieces as it is decoded, its rows go straight into
// the thumbnail (thumbnail::scaler), and a counting semaphore lets only as many files be
// decoded at once as there are workers: memory stays bounded however many files are given. Errors are exceptions in C++: where Go passes an error along a
// channel, std::exception_ptr does (nullptr being Go's nil).
#pragma once

#include <gocsp/gocsp.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
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

/// scaler: a row sink (image::decode) that makes the thumbnail as the image's rows come, keeping
/// only the thumbnail's pixels: its longer side is 128 pixels and the other keeps the aspect
/// ratio (rounded down, at least 1), each pixel the image's nearest one (the book's crude
/// sampling). A JPEG is shrunk while it is decoded, by up to 8 but never below 128 pixels on
/// its longer side, so that its pixels are averaged rather than skipped.
class scaler final : public ::image::row_sink {
public:
    /// shrink: sizes the thumbnail for a width x height image; throws for an image without
    /// pixels.
    int shrink(int width, int height) override {
        if (width <= 0 || height <= 0)
            throw std::runtime_error("thumbnail: empty image (" + std::to_string(width) + "x" + std::to_string(height) + ")");
        int w = 128, h = 128;
        if (const double aspect = static_cast<double>(width) / height; aspect < 1.0)
            w = std::max(1, static_cast<int>(128 * aspect));  // portrait
        else
            h = std::max(1, static_cast<int>(128 / aspect));  // landscape
        dst_ = ::image::picture(w, h);
        int factor = 1;
        while (factor < 8 && std::max(width, height) >= 128 * factor * 2) factor *= 2;
        return factor;
    }
    /// begin: maps the thumbnail's columns and rows to the image's (as it is delivered).
    void begin(int width, int height) override {
        const double xscale = static_cast<double>(width) / dst_.width;
        const double yscale = static_cast<double>(height) / dst_.height;
        src_x_.resize(static_cast<std::size_t>(dst_.width));
        src_y_.resize(static_cast<std::size_t>(dst_.height));
        for (int x = 0; x < dst_.width; ++x) src_x_[static_cast<std::size_t>(x)] = std::min(width - 1, static_cast<int>(x * xscale));
        for (int y = 0; y < dst_.height; ++y) src_y_[static_cast<std::size_t>(y)] = std::min(height - 1, static_cast<int>(y * yscale));
    }
    /// row: copies the pixels of the row that the thumbnail samples, if any.
    void row(int y, const std::uint8_t* rgb, int x0, int dx, int n) override {
        const auto [first, last] = std::equal_range(src_y_.begin(), src_y_.end(), y);  // src_y_ is sorted
        for (auto it = first; it != last; ++it) {
            const int ty = static_cast<int>(it - src_y_.begin());
            for (int tx = 0; tx < dst_.width; ++tx) {
                const int c = src_x_[static_cast<std::size_t>(tx)] - x0;
                if (c < 0 || c % dx != 0 || c / dx >= n) continue;  // not among these pixels
                const std::uint8_t* p = rgb + static_cast<std::size_t>(c / dx) * 3;
                std::copy(p, p + 3, dst_.at(tx, ty));
            }
        }
    }
    /// take: the thumbnail.
    ::image::picture take() { return std::move(dst_); }

private:
    ::image::picture dst_;
    std::vector<int> src_x_, src_y_;  // the image's column and row for each of the thumbnail's
};

/// image: src scaled so that its longer side is 128 pixels and the other keeps the aspect
/// ratio (rounded down, at least 1), by the book's crude nearest-pixel sampling.
inline ::image::picture image(const ::image::picture& src) {
    scaler s;
    s.shrink(src.width, src.height);
    s.begin(src.width, src.height);
    for (int y = 0; y < src.height; ++y) s.row(y, src.at(0, y), 0, 1, src.width);
    return s.take();
}

/// image_stream: the thumbnail, as a JPEG, of the image read from r (Go's ImageStream, which
/// writes it to an io.Writer). The image is decoded row by row into the thumbnail, never whole.
inline std::string image_stream(const ::image::reader& r) {
    scaler s;
    ::image::decode(r, s);
    return ::image::jpeg_encode(s.take());
}

namespace detail {

// os_error: Go's *PathError text, "open foo.jpg: no such file or directory".
inline std::runtime_error os_error(const char* op, const std::string& path, int err) {
    return std::runtime_error(std::string(op) + " " + path + ": " + gocsp::net::detail::errno_text(err));
}

// input_file: a file open for reading, read in pieces on a helper thread (the goroutine parks
// meanwhile). Errors are Go's: "open foo.jpg: ...", "read foo.jpg: ...".
class input_file {
public:
    explicit input_file(const std::string& name) : name_(name) {
        fd_ = gocsp::blocking([&] {
            const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) throw os_error("open", name, errno);
            return fd;
        });
    }
    input_file(const input_file&) = delete;
    input_file& operator=(const input_file&) = delete;
    ~input_file() { ::close(fd_); }

    // read: up to n bytes into buf; 0 at the end of the file.
    std::size_t read(std::uint8_t* buf, std::size_t n) {
        return gocsp::blocking([&] {
            for (;;) {
                const ssize_t got = ::read(fd_, buf, n);
                if (got >= 0) return static_cast<std::size_t>(got);
                if (errno != EINTR) throw os_error("read", name_, errno);
            }
        });
    }

private:
    std::string name_;
    int fd_ = -1;
};

// decoding: a slot among the few images decoded at once, one per worker (Go's GOMAXPROCS), held
// from opening the file to encoding its thumbnail: decoding is CPU work, more at once would not
// be faster, and however many goroutines are started (version 6 starts one per file), the
// memory that decoders hold and the files open stay bounded. A buffered channel of tokens, as
// gopl.io/ch8/crawl2 bounds its fetches.
class decoding {
public:
    decoding() { tokens() << token{}; }  // acquire a token
    decoding(const decoding&) = delete;
    decoding& operator=(const decoding&) = delete;
    ~decoding() { tokens().recv(); }  // release the token

private:
    struct token {};
    static gocsp::chan<token>& tokens() {
        // Never destroyed: goroutines abandoned at exit (version 2) may still hold a token.
        static auto* t = new gocsp::chan<token>(static_cast<std::size_t>(std::max(1, gocsp::maxprocs())));
        return *t;
    }
};

// write_file: data as the whole of file name, on a helper thread.
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
/// (which, unlike this, leaves an empty outfile behind). The file is read as it is decoded, so
/// a file that is no image is refused after its first bytes, whatever its size.
inline void image_file2(const std::string& outfile, const std::string& infile) {
    std::string out;
    {
        const detail::decoding slot;
        detail::input_file in(infile);
        try {
            out = image_stream([&in](std::uint8_t* buf, std::size_t n) { return in.read(buf, n); });
        } catch (const std::exception& e) {
            throw std::runtime_error("scaling " + infile + " to " + outfile + ": " + e.what());
        }
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
            errors << std::move(err);  // errors <- err: the receiver alone owns the error now
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
