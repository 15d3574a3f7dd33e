/// \file
/// gocsp/io.hpp - Go's io and bufio basics for goroutines: copy, read_full, a line scanner,
/// formatted writes, and the standard streams as readers and writers that park, not block.
///
///     namespace io = gocsp::io;
///     io::scanner input(io::stdin_reader());          // bufio.NewScanner(os.Stdin)
///     while (input.scan()) io::fprintf(conn, "%s\n", input.text().c_str());
///     if (auto e = input.err()) std::rethrow_exception(e);
///
///     io::copy(io::stdout_writer(), conn);             // io.Copy(os.Stdout, conn)
///
/// A reader is anything with `read(std::span<char>) -> std::size_t` (0 meaning the end of the
/// stream) that throws on failure, a writer anything with `write(std::string_view)` that writes
/// everything or throws: gocsp::net::conn and gocsp::io::file are both.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "detail/fd.hpp"

namespace gocsp::io {

/// reader: read(buf) fills a prefix of buf and returns its length; 0 means the end.
template <class R>
concept reader = requires(R& r, std::span<char> buf) {
    { r.read(buf) } -> std::convertible_to<std::size_t>;
};

/// writer: write(data) writes all of data or throws.
template <class W>
concept writer = requires(W& w, std::string_view data) { w.write(data); };

/// copy: copies from src to dst until src's end of stream (Go's io.Copy); returns the number
/// of bytes copied. Parks in src.read and dst.write as they do; exceptions from either pass
/// through (the bytes already copied are then lost to the count). Uses a 32 KiB heap buffer.
template <class W, class R>
    requires writer<std::remove_reference_t<W>> && reader<std::remove_reference_t<R>>
std::size_t copy(W&& dst, R&& src);

/// read_full: reads until buf is full or the stream ends (Go's io.ReadFull without the
/// error); returns the number of bytes read, buf.size() unless the stream ended first.
template <class R>
    requires reader<std::remove_reference_t<R>>
std::size_t read_full(R&& src, std::span<char> buf);

/// write_string: w.write(s) (Go's io.WriteString); returns s.size().
template <class W>
    requires writer<std::remove_reference_t<W>>
std::size_t write_string(W&& w, std::string_view s);

/// fprintf: formats like std::printf and writes the result to w in one write (Go's
/// fmt.Fprintf with C's format language); returns the number of bytes written. Throws what
/// w.write throws.
template <class W>
    requires writer<std::remove_reference_t<W>>
std::size_t fprintf(W&& w, const char* format, ...) __attribute__((format(printf, 2, 3)));

/// max_scan_token_size: the longest line a scanner takes by default, newline included (Go's
/// bufio.MaxScanTokenSize, 64 KiB).
inline constexpr std::size_t max_scan_token_size = 64 * 1024;

/// scanner: reads lines (Go's bufio.Scanner with ScanLines).
///
///     gocsp::io::scanner sc(conn);
///     while (sc.scan()) handle(sc.text());
///     if (auto e = sc.err()) std::rethrow_exception(e);
///
/// A line ends at a newline, which text() leaves out (and a carriage return before it); the last
/// line needs no newline. scan() parks in the reader's read when it needs more input.
/// R is the reader, held by value (net::conn and io::file are cheap handles); pass std::ref(r)
/// to hold a reference instead. A line longer than max_token_size bytes (newline included)
/// stops the scanner with the error std::length_error("bufio.Scanner: token too long").
template <class R>
class scanner {
public:
    static_assert(reader<std::unwrap_reference_t<R>>, "gocsp::io::scanner needs a reader (read(std::span<char>))");

    /// scanner(r, max_token_size): reads lines from r; a line may be at most max_token_size bytes.
    explicit scanner(R r, std::size_t max_token_size = max_scan_token_size)
        : r_(std::move(r)), max_(std::max<std::size_t>(max_token_size, 1)) {}

    /// scan: advances to the next line; false at the end of the input or on an error (then
    /// err() says which). Parks while waiting for input.
    bool scan();
    /// text: the current line, without its line ending.
    std::string text() const { return std::string(token_); }
    /// bytes: the current line as a view, valid until the next scan().
    std::string_view bytes() const noexcept { return token_; }
    /// err: the first error: what the reader threw, or the too-long error; nullptr at the
    /// plain end of the input (Go's Scanner.Err returns nil for io.EOF).
    std::exception_ptr err() const noexcept { return err_; }

private:
    bool fill();

    R r_;
    std::size_t max_;
    std::string buf_;
    std::size_t start_ = 0, end_ = 0;  // unread bytes: buf_[start_, end_)
    std::string_view token_;
    std::exception_ptr err_;
    bool eof_ = false, done_ = false;
};

/// file: a goroutine-friendly handle to a file descriptor gocsp did not open - the standard
/// streams. A shared handle; never closes the fd.
///   - A pipe, terminal or socket: waits on the runtime's poller (the goroutine parks) until
///     the fd is readable or writable, then reads or writes, without setting O_NONBLOCK (which
///     would change the fd for every process sharing it). Writes go out in pieces of at most
///     PIPE_BUF bytes, which a writable pipe takes without blocking (a terminal may hold one
///     briefly while it drains).
///   - A regular file, /dev/null, or anything else epoll cannot watch: every read or write
///     runs on the blocking pool (gocsp::blocking).
/// Unbuffered: each write is a system call; mixing with std::printf needs std::fflush(stdout).
/// Errors throw std::system_error ("read /dev/stdin: ..."). Writing to a pipe nobody reads
/// raises SIGPIPE, whose default action ends the program, as a Go program's write to a broken
/// stdout does.
class GOCSP_API file {
public:
    file() noexcept = default;
    /// read: up to buf.size() bytes; 0 at the end of the file. Parks until there is input.
    std::size_t read(std::span<char> buf) const;
    /// write: all of data, parking while the fd is not writable.
    void write(std::string_view data) const;
    /// native_handle: the fd.
    int native_handle() const noexcept;
    /// name: "/dev/stdin", "/dev/stdout", "/dev/stderr" (as Go's os.Stdin.Name()).
    const std::string& name() const noexcept;

private:
    struct state;
    friend file std_file(int fd, const char* name);
    explicit file(std::shared_ptr<state> s) noexcept : s_(std::move(s)) {}
    std::shared_ptr<state> s_;
};

/// stdin_reader / stdout_writer / stderr_writer: fds 0, 1 and 2 as gocsp::io::file (Go's
/// os.Stdin, os.Stdout, os.Stderr). Each call returns a handle to the same object; the kind of
/// fd is looked at on the first call.
file stdin_reader();
/// stdout_writer: fd 1 as a gocsp::io::file (Go's os.Stdout); see stdin_reader.
file stdout_writer();
/// stderr_writer: fd 2 as a gocsp::io::file (Go's os.Stderr); see stdin_reader.
file stderr_writer();

// =============================================================================================
// Implementation
// =============================================================================================

template <class W, class R>
    requires writer<std::remove_reference_t<W>> && reader<std::remove_reference_t<R>>
std::size_t copy(W&& dst, R&& src) {
    constexpr std::size_t size = 32 * 1024;
    std::unique_ptr<char[]> buf(new char[size]);  // heap: goroutine stacks may be small
    std::size_t total = 0;
    for (;;) {
        const std::size_t n = src.read(std::span<char>(buf.get(), size));
        if (n == 0) return total;
        dst.write(std::string_view(buf.get(), n));
        total += n;
    }
}

template <class R>
    requires reader<std::remove_reference_t<R>>
std::size_t read_full(R&& src, std::span<char> buf) {
    std::size_t got = 0;
    while (got < buf.size()) {
        const std::size_t n = src.read(buf.subspan(got));
        if (n == 0) break;
        got += n;
    }
    return got;
}

template <class W>
    requires writer<std::remove_reference_t<W>>
std::size_t write_string(W&& w, std::string_view s) {
    w.write(s);
    return s.size();
}

template <class W>
    requires writer<std::remove_reference_t<W>>
std::size_t fprintf(W&& w, const char* format, ...) {
    char small[512];
    std::va_list args;
    va_start(args, format);
    std::va_list again;
    va_copy(again, args);
    const int n = std::vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (n < 0) {
        va_end(again);
        throw std::invalid_argument("gocsp::io::fprintf: bad format");
    }
    std::string big;
    std::string_view out(small, static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) >= sizeof small) {
        big.resize(static_cast<std::size_t>(n) + 1);
        std::vsnprintf(big.data(), big.size(), format, again);
        big.pop_back();
        out = big;
    }
    va_end(again);
    w.write(out);
    return out.size();
}

template <class R>
bool scanner<R>::scan() {
    auto drop_cr = [](std::string_view line) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return line;
    };
    if (done_) return false;
    for (;;) {
        const std::string_view unread(buf_.data() + start_, end_ - start_);
        if (const auto nl = unread.find('\n'); nl != std::string_view::npos) {
            token_ = drop_cr(unread.substr(0, nl));
            start_ += nl + 1;
            return true;
        }
        if (eof_) {
            done_ = true;  // whatever comes now is the last line
            token_ = drop_cr(unread);
            start_ = end_;
            return !unread.empty();
        }
        if (!fill()) {
            done_ = true;
            token_ = {};
            return false;
        }
    }
}

// fill: reads more input after the unread bytes, growing the buffer up to max_. Returns false
// on an error (recorded in err_); sets eof_ at the end of the input.
template <class R>
bool scanner<R>::fill() {
    if (start_ > 0) {  // move the unread bytes to the front
        std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
    }
    if (end_ == buf_.size()) {
        if (buf_.size() >= max_) {
            err_ = std::make_exception_ptr(std::length_error("bufio.Scanner: token too long"));
            return false;
        }
        buf_.resize(std::min(std::max<std::size_t>(buf_.size() * 2, 4096), max_));
    }
    try {
        auto& r = static_cast<std::unwrap_reference_t<R>&>(r_);
        const std::size_t n = r.read(std::span<char>(buf_.data() + end_, buf_.size() - end_));
        if (n == 0) eof_ = true;
        end_ += n;
    } catch (...) {
        err_ = std::current_exception();
        return false;
    }
    return true;
}

// --- file -------------------------------------------------------------------------------------

struct file::state {
    gocsp::detail::fd_core fd;
    std::string name;
    state(int f, gocsp::detail::fd_kind kind, gocsp::detail::poll_desc* pd, const char* n)
        : fd(f, kind, pd, false), name(n) {}
};

#if GOCSP_DEFINE_RUNTIME

GOCSP_DECL std::size_t file::read(std::span<char> buf) const {
    if (!s_) throw std::system_error(EBADF, std::generic_category(), "read");
    const auto r = s_->fd.read(buf.data(), buf.size());
    if (r.status != gocsp::detail::io_status::ok)
        throw std::system_error(r.err ? r.err : EBADF, std::generic_category(), "read " + s_->name);
    return r.n;
}

GOCSP_DECL void file::write(std::string_view data) const {
    if (!s_) throw std::system_error(EBADF, std::generic_category(), "write");
    const auto r = s_->fd.write(data.data(), data.size());
    if (r.status != gocsp::detail::io_status::ok)
        throw std::system_error(r.err ? r.err : EBADF, std::generic_category(), "write " + s_->name);
}

GOCSP_DECL int file::native_handle() const noexcept { return s_ ? s_->fd.fd() : -1; }

GOCSP_DECL const std::string& file::name() const noexcept {
    static const std::string none;
    return s_ ? s_->name : none;
}

/// std_file: the file for a standard stream (made once; never destroyed, since goroutines may
/// still wait on it while the program exits).
GOCSP_DECL file std_file(int fd, const char* name) {
    gocsp::detail::poll_desc* pd = nullptr;
    const auto kind = gocsp::detail::fd_core::classify(fd, pd);
    return file(std::make_shared<file::state>(fd, kind, pd, name));
}

GOCSP_DECL file stdin_reader() {
    static const file* f = new file(std_file(0, "/dev/stdin"));
    return *f;
}
GOCSP_DECL file stdout_writer() {
    static const file* f = new file(std_file(1, "/dev/stdout"));
    return *f;
}
GOCSP_DECL file stderr_writer() {
    static const file* f = new file(std_file(2, "/dev/stderr"));
    return *f;
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::io
