// examples/du.hpp - what the du programs (du1.cpp to du4.cpp, gopl.io/ch8/du1-du4) share: the
// few pieces of Go's standard library they call, printDiskUsage, the walk of du1 and du2, the
// batched directory reads of du3 and du4, and the select loop that du2 introduced and du3 and
// du4 keep.
//
// Each program keeps in its own file the part that is its lesson: du1 the walking goroutine,
// du2 the periodic report, du3 a goroutine per directory under a counting semaphore, du4
// cancellation.
//
// Directory reads follow Go's os.File.Readdir (what ioutil.ReadDir calls): every entry that is
// not a directory is lstat'ed, so a symbolic link is never followed and counts as a file of its
// own size (the length of its target); sockets, fifos and devices count as files with their
// st_size (mostly 0). An unreadable directory is reported on stderr with Go's wording,
// "du: open /x: permission denied", and skipped.
//
// Where this differs from the book's programs, and why:
//
// - No recursion: du1's and du2's walkDir (walk_dir) is a loop over an explicit stack of
//   directories (walker). A goroutine's stack here has a fixed size (256 KiB by default) and
//   cannot grow as Go's does, so a recursion as deep as the tree overflows it - at about 1,400
//   levels, which any user may create. A bigger stack (gocsp::stack_size) would only move that
//   limit, and commit memory for the deepest tree imaginable; file systems set no depth limit at
//   all. The explicit stack lives on the heap and grows with the tree: per level, the path's
//   last element, the names of the subdirectories not walked yet and a few words.
// - Directories are opened relative to their parent (openat), never by their full path, so the
//   walk goes on past PATH_MAX (4,096 bytes), where Go's du1 prints "file name too long". Only
//   the 64 deepest directories of the walk stay open (walker::max_open), whatever the open-file
//   limit: an ancestor whose descriptor was closed is reopened through ".." of its child when
//   the walk climbs back to it, and checked to be the same directory (device and inode); if it
//   was moved meanwhile, it is reopened by its path, as Go would open it.
// - du3 and du4 still open each directory by its path, as Go does; a path longer than PATH_MAX
//   is opened a few thousand bytes at a time (open_dir), so they reach any depth too. The
//   kernel resolves every path element on each open, so their opens along a chain of
//   directories cost time in the square of its depth, where du1's and du2's are linear.
// - A directory is read in batches of up to 1,024 entries (dir_reader, getdents64), not all at
//   once as ioutil.ReadDir does: memory stays bounded in a directory of millions of entries, and
//   du4 checks for cancellation before every batch and every entry, so it stops at once wherever
//   the walk is. A directory that fails half-way has counted the entries read before the error (Go's
//   ReadDir returns none); du1 and du2 then skip its subdirectories, as Go's would.
// - Entries whose directory entry says they are directories are not lstat'ed (Go lstats them
//   too): the walk needs no size for them. du1 and du2 walk a directory's files before its
//   subdirectories (Go walks them in name order); the totals are the same.
// - Each call through gocsp::blocking (a hand-off to a helper thread and back) in du1 and du2
//   reads up to 1,024 entries, from as many directories as it takes; one call per directory
//   cost more than the reads themselves on a tree of small directories (/usr: 19,500
//   directories, 166,000 files). du3 and du4 read a directory of fewer than 1,024 entries in
//   one call, and give their semaphore token back before sending its sizes, as the book does.
#pragma once

#include <gocsp/gocsp.hpp>

#include "flags.hpp"

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace du {

/// file_info: the part of Go's os.FileInfo that du looks at.
struct file_info {
    std::string name;
    bool is_dir = false;
    std::int64_t size = 0;
};

/// batch_size: the most entries one dir_reader::read returns, and the most file sizes one
/// walker::step collects.
inline constexpr std::size_t batch_size = 1024;

/// open_dir: opens path for reading as Go's os.Open does (following symbolic links, without
/// O_DIRECTORY: a file opens, and reading it then fails with "not a directory"), whatever the
/// path's length: one past PATH_MAX is opened piece by piece, each piece relative to the
/// directory the previous one opened. Returns the descriptor, or -1 with errno set.
int open_dir(const std::string& path);

/// dir_reader: one open directory read in batches (getdents64), each entry that is not a
/// directory lstat'ed relative to it (fstatat). Blocks its thread in system calls: call open,
/// open_at and read through gocsp::blocking from a goroutine.
class dir_reader {
public:
    dir_reader() = default;
    dir_reader(const dir_reader&) = delete;
    dir_reader& operator=(const dir_reader&) = delete;
    /// Moves the open directory and the reading position; other is left closed.
    dir_reader(dir_reader&& other) noexcept;
    /// Closes this directory and takes other's.
    dir_reader& operator=(dir_reader&& other) noexcept;
    /// Closes the directory.
    ~dir_reader() { close(); }

    /// open: opens directory path (open_dir) for reading; false on an error (see error).
    bool open(const std::string& path);
    /// open_at: opens subdirectory name of the directory open as parent, without following a
    /// symbolic link; false on an error (see error).
    bool open_at(int parent, const std::string& name);
    /// read: replaces out's contents with the next entries ("." and ".." left out), at most max;
    /// false when there were none left (the directory is exhausted, or failed: see error). An
    /// entry that vanished before its lstat is left out, as Go does.
    bool read(std::vector<file_info>& out, std::size_t max = batch_size);
    /// reading: whether read may still return entries.
    bool reading() const noexcept { return fd_ >= 0 && !done_; }
    /// finish: ends the reading; the directory stays open (fd) and its read buffer is freed.
    void finish() noexcept;
    /// close: closes the directory; fd becomes -1.
    void close() noexcept;
    /// fd: the open directory's descriptor, or -1.
    int fd() const noexcept { return fd_; }
    /// error: Go's message for the error that stopped open, open_at or read, naming the
    /// directory as path ("open /x: permission denied", "readdirent /x: not a directory",
    /// "lstat /x/y: ..."); "" if none did.
    std::string error(std::string_view path) const;

private:
    void fail(const char* op, std::string_view name, int err);

    static constexpr std::size_t buffer_size = 32 * 1024;
    int fd_ = -1;
    bool done_ = false;
    std::unique_ptr<char[]> buf_;  // getdents64 records, while reading
    std::size_t pos_ = 0, len_ = 0;
    const char* op_ = nullptr;  // what failed: "open", "readdirent", "lstat"
    std::string failed_name_;   // the entry whose lstat failed
    int errno_ = 0;
};

/// walker: du1's and du2's walkDir as a loop that can be resumed: a depth-first walk of the tree
/// rooted at root over an explicit stack of directories (see the top of this file), which
/// collects the size of each file found. Errors are printed on stderr as "<prog>: <error>",
/// and the directory is skipped. Blocks its thread in system calls: call step through
/// gocsp::blocking from a goroutine.
class walker {
public:
    /// max_open: the most directories the walk keeps open at once.
    static constexpr std::size_t max_open = 64;

    /// Prepares the walk of root; prog prefixes the errors printed.
    walker(std::string root, const char* prog);

    /// step: walks on, appending the size of every file found to sizes, until sizes holds max
    /// of them, max directories were opened, or the walk is over; false when it is over.
    bool step(std::vector<std::int64_t>& sizes, std::size_t max = batch_size);

private:
    struct frame {
        dir_reader dir;
        std::size_t path_len = 0;          // its path is path_.substr(0, path_len); root_ for the root
        std::vector<std::string> subdirs;  // the subdirectories left to walk
        dev_t dev = 0;                     // its identity, taken when its descriptor is closed
        ino_t ino = 0;
    };

    std::string path_of(std::size_t i) const { return i == 0 ? root_ : path_.substr(0, stack_[i].path_len); }
    void report(const std::string& err) const { std::fprintf(stderr, "%s: %s\n", prog_, err.c_str()); }
    void push_subdir();
    void pop();

    std::string root_;
    const char* prog_;
    std::string path_;            // the path of the deepest directory below the root
    std::vector<frame> stack_;    // the directories being walked, the root first
    std::size_t first_open_ = 0;  // stack_[first_open_..] are open, those below closed
    std::vector<file_info> entries_;
    bool started_ = false;
};

/// walk_dir: du1's and du2's walkDir: walks the tree rooted at dir, depth first, from the
/// calling goroutine, and sends the size of each file found on file_sizes. The walker runs on a
/// helper thread (gocsp::blocking) a batch at a time; prog prefixes errors.
void walk_dir(const std::string& dir, gocsp::send_chan<std::int64_t> file_sizes, const char* prog);

/// dirents: du3's and du4's directory read: reads dir in batches (dir_reader), each on a helper
/// thread (gocsp::blocking), and calls each(batch) - batch a const std::vector<file_info>& -
/// with every batch, until the directory is exhausted or each returns false. The directory is
/// closed as soon as it is read to its end, before its last batch goes to each, and release()
/// is called then (or when each stops the reading): a semaphore token given back in release
/// is held while a small directory is read, as in the book, and through a big one's batches.
/// An error is printed on stderr as "<prog>: <error>".
template <class F, class R>
void dirents(const std::string& dir, const char* prog, F&& each, R&& release);

/// join: Go's filepath.Join(dir, name): the two joined by '/' and cleaned lexically
/// (filepath.Clean): join(".", "a") is "a", join("/tmp/", "a") is "/tmp/a".
std::string join(std::string_view dir, std::string_view name);

/// print_disk_usage: Go's printDiskUsage: "<n> files  <x.x> GB", written at once, as Go's
/// unbuffered fmt.Printf does.
void print_disk_usage(std::int64_t nfiles, std::int64_t nbytes);

/// roots: the directories to walk, from the arguments left after the flags; "." if none.
std::vector<std::string> roots();

/// token: the element of a channel that only signals (Go's struct{}).
struct token {};

/// totals: du2's loop. Receives sizes until file_sizes is closed, counting files and bytes,
/// and prints the totals so far each time tick delivers (a nil tick never does: no progress
/// report); then prints the final totals and returns true. du4 passes its done channel: if
/// done is closed first, totals drains file_sizes (so that the walkers can finish) and returns
/// false without printing. du2 and du3 pass a nil done, which select never chooses.
bool totals(gocsp::recv_chan<std::int64_t> file_sizes, gocsp::recv_chan<gocsp::time::time_point> tick,
            gocsp::recv_chan<token> done = {});

// =============================================================================================
// Implementation
// =============================================================================================

inline int open_dir(const std::string& path) {
    constexpr int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;  // O_NONBLOCK: a FIFO root must not hang
    if (path.size() < PATH_MAX) return ::open(path.c_str(), flags);
    int dir = AT_FDCWD;
    std::size_t start = 0;
    for (;;) {
        // The longest piece that fits, ending before a '/' (or the whole rest).
        std::size_t end = path.size();
        if (end - start >= PATH_MAX) {
            end = path.rfind('/', start + PATH_MAX - 1);
            if (end == std::string::npos || end <= start) end = start + PATH_MAX;  // fails: ENAMETOOLONG
        }
        const bool last = end == path.size();
        std::string piece = path.substr(start, end - start);
        if (piece.empty()) piece.assign(1, '/');  // the root of an absolute path
        const int fd = ::openat(dir, piece.c_str(), last ? flags : O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const int err = errno;
        if (dir != AT_FDCWD) ::close(dir);
        if (fd < 0 || last) {
            errno = err;
            return fd;
        }
        dir = fd;
        start = end;
        while (start < path.size() && path[start] == '/') ++start;
        if (start == path.size()) return dir;  // the path ended in '/'
    }
}

inline dir_reader::dir_reader(dir_reader&& other) noexcept { *this = std::move(other); }

inline dir_reader& dir_reader::operator=(dir_reader&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        done_ = other.done_;
        buf_ = std::move(other.buf_);
        pos_ = other.pos_;
        len_ = other.len_;
        op_ = std::exchange(other.op_, nullptr);
        failed_name_ = std::move(other.failed_name_);
        errno_ = other.errno_;
    }
    return *this;
}

inline void dir_reader::fail(const char* op, std::string_view name, int err) {
    op_ = op;
    failed_name_ = name;
    errno_ = err;
    finish();
}

inline bool dir_reader::open(const std::string& path) {
    close();
    op_ = nullptr;
    fd_ = open_dir(path);
    done_ = false;
    if (fd_ < 0) fail("open", "", errno);
    return fd_ >= 0;
}

inline bool dir_reader::open_at(int parent, const std::string& name) {
    close();
    op_ = nullptr;
    fd_ = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    done_ = false;
    // Replaced by a file since it was listed: Go's Open succeeds and its Readdir fails.
    if (fd_ < 0) fail(errno == ENOTDIR ? "readdirent" : "open", "", errno);
    return fd_ >= 0;
}

inline bool dir_reader::read(std::vector<file_info>& out, std::size_t max) {
    out.clear();
    if (!reading()) return false;
    if (!buf_) buf_ = std::make_unique<char[]>(buffer_size);
    while (out.size() < max) {
        if (pos_ == len_) {
            const ssize_t n = ::getdents64(fd_, buf_.get(), buffer_size);
            if (n <= 0) {
                if (n < 0) fail("readdirent", "", errno);
                else finish();
                break;
            }
            pos_ = 0;
            len_ = static_cast<std::size_t>(n);
        }
        const auto* e = reinterpret_cast<const struct dirent64*>(buf_.get() + pos_);
        pos_ += e->d_reclen;
        const std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        if (e->d_type == DT_DIR) {  // no lstat: its size is not counted
            out.push_back({std::string(name), true, 0});
            continue;
        }
        struct stat st;
        if (::fstatat(fd_, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;  // removed since the directory was read
            fail("lstat", name, errno);
            break;
        }
        out.push_back({std::string(name), S_ISDIR(st.st_mode), static_cast<std::int64_t>(st.st_size)});
    }
    return !out.empty();
}

inline void dir_reader::finish() noexcept {
    done_ = true;
    buf_.reset();
    pos_ = len_ = 0;
}

inline void dir_reader::close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    finish();
}

inline std::string dir_reader::error(std::string_view path) const {
    if (!op_) return "";
    std::string text = std::string(op_) + " " + std::string(path);
    if (!failed_name_.empty()) text += "/" + failed_name_;
    return text + ": " + gocsp::net::detail::errno_text(errno_);
}

inline walker::walker(std::string root, const char* prog) : root_(std::move(root)), prog_(prog) {}

inline bool walker::step(std::vector<std::int64_t>& sizes, std::size_t max) {
    if (!started_) {
        started_ = true;
        frame root;
        if (!root.dir.open(root_)) {
            report(root.dir.error(root_));
            return false;
        }
        stack_.push_back(std::move(root));
    }
    std::size_t opened = 0;
    while (!stack_.empty()) {
        frame& top = stack_.back();
        if (top.dir.reading()) {
            top.dir.read(entries_, max > sizes.size() ? max - sizes.size() : 1);
            for (file_info& e : entries_) {
                if (e.is_dir) top.subdirs.push_back(std::move(e.name));
                else sizes.push_back(e.size);
            }
            if (!top.dir.reading()) {
                if (std::string err = top.dir.error(path_of(stack_.size() - 1)); !err.empty()) {
                    report(err);
                    top.subdirs.clear();  // Go's ReadDir returns no entries on an error
                }
            }
            if (sizes.size() >= max) return true;
        } else if (top.subdirs.empty()) {
            pop();
        } else {
            if (opened++ == max) return true;  // a bounded step even among empty directories
            push_subdir();
        }
    }
    return false;
}

inline void walker::push_subdir() {
    frame& parent = stack_.back();
    const std::string name = std::move(parent.subdirs.back());
    parent.subdirs.pop_back();
    if (stack_.size() == 1) {
        path_ = join(root_, name);
    } else {
        path_.resize(parent.path_len);
        path_ += '/';
        path_ += name;
    }
    frame child;
    child.path_len = path_.size();
    if (!child.dir.open_at(parent.dir.fd(), name)) {
        report(child.dir.error(path_));
        return;
    }
    stack_.push_back(std::move(child));
    if (stack_.size() - first_open_ > max_open) {  // close the shallowest open directory
        frame& f = stack_[first_open_++];
        struct stat st;
        if (::fstat(f.dir.fd(), &st) == 0) {
            f.dev = st.st_dev;
            f.ino = st.st_ino;
        }
        f.dir.close();
    }
}

inline void walker::pop() {
    const std::size_t i = stack_.size() - 1;
    if (i > 0 && first_open_ == i) {  // the parent was closed: reopen it through ".."
        frame& parent = stack_[i - 1];
        bool same = parent.dir.open_at(stack_[i].dir.fd(), "..");
        struct stat st;
        same = same && ::fstat(parent.dir.fd(), &st) == 0 && st.st_dev == parent.dev && st.st_ino == parent.ino;
        if (!same) {  // moved meanwhile (or never closed cleanly): open it by its path, as Go does
            const std::string path = path_of(i - 1);
            if (!parent.dir.open(path)) {
                report(parent.dir.error(path));
                parent.subdirs.clear();
            }
        }
        parent.dir.finish();
        first_open_ = i - 1;
    }
    stack_.pop_back();
}

inline void walk_dir(const std::string& dir, gocsp::send_chan<std::int64_t> file_sizes, const char* prog) {
    walker w(dir, prog);
    std::vector<std::int64_t> sizes;
    for (bool more = true; more;) {
        sizes.clear();
        more = gocsp::blocking([&] { return w.step(sizes); });
        for (const std::int64_t size : sizes) file_sizes << size;
    }
}

template <class F, class R>
void dirents(const std::string& dir, const char* prog, F&& each, R&& release) {
    dir_reader d;
    std::vector<file_info> batch;
    std::string err;
    bool open = true;
    const auto close = [&] {
        if (std::exchange(open, false)) {
            d.close();
            release();
        }
    };
    for (bool more = gocsp::blocking([&] { return d.open(dir) && d.read(batch); });;
         more = gocsp::blocking([&] { return d.read(batch); })) {
        if (!d.reading()) {  // read to its end, or failed
            err = d.error(dir);
            close();
        }
        if (!more || !each(std::as_const(batch)) || !open) break;
    }
    close();
    if (!err.empty()) std::fprintf(stderr, "%s: %s\n", prog, err.c_str());
}

inline std::string join(std::string_view dir, std::string_view name) {
    std::string path = dir.empty() ? std::string(name) : std::string(dir) + "/" + std::string(name);
    // filepath.Clean: drop empty and "." elements, let ".." remove the element before it.
    const bool rooted = !path.empty() && path[0] == '/';
    std::vector<std::string_view> parts;
    std::string_view rest = path;
    while (!rest.empty()) {
        const std::size_t slash = rest.find('/');
        const std::string_view elem = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (elem.empty() || elem == ".") continue;
        if (elem == ".." && !parts.empty() && parts.back() != "..") parts.pop_back();
        else if (elem != ".." || !rooted) parts.push_back(elem);
    }
    std::string clean = rooted ? "/" : "";
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) clean += '/';
        clean += parts[i];
    }
    return clean.empty() ? "." : clean;
}

inline void print_disk_usage(std::int64_t nfiles, std::int64_t nbytes) {
    std::printf("%lld files  %.1f GB\n", static_cast<long long>(nfiles), static_cast<double>(nbytes) / 1e9);
    std::fflush(stdout);
}

inline std::vector<std::string> roots() {
    std::vector<std::string> r = flag::args();
    if (r.empty()) r.push_back(".");
    return r;
}

inline bool totals(gocsp::recv_chan<std::int64_t> file_sizes, gocsp::recv_chan<gocsp::time::time_point> tick,
                   gocsp::recv_chan<token> done) {
    std::int64_t nfiles = 0, nbytes = 0;
    for (;;) {
        std::int64_t size;
        bool ok;
        switch (gocsp::select(gocsp::recv_case(done), gocsp::recv_case(file_sizes, size, ok),
                              gocsp::recv_case(tick))) {
            case 0:
                for ([[maybe_unused]] std::int64_t ignored : file_sizes) {
                }
                return false;
            case 1:
                if (!ok) {  // file_sizes was closed
                    print_disk_usage(nfiles, nbytes);  // final totals
                    return true;
                }
                ++nfiles;
                nbytes += size;
                break;
            case 2: print_disk_usage(nfiles, nbytes); break;
        }
    }
}

}  // namespace du
