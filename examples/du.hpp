// examples/du.hpp - what the du programs (du1.cpp to du4.cpp, gopl.io/ch8/du1-du4) share: the
// few pieces of Go's standard library they call, printDiskUsage, the sequential walk of du1 and
// du2, and the select loop that du2 introduced and du3 and du4 keep.
//
// Each program keeps in its own file the part that is its lesson: du1 the walking goroutine,
// du2 the periodic report, du3 a goroutine per directory under a counting semaphore, du4
// cancellation.
//
// Directory reads follow Go's os.File.Readdir (what ioutil.ReadDir calls): the entries are
// lstat'ed, so a symbolic link is never followed and counts as a file of its own size (the
// length of its target); every entry that is not a directory counts as a file with its
// st_size (sockets, fifos and devices included, mostly 0). An unreadable directory is
// reported on stderr with Go's wording, "du: open /x: permission denied", and skipped.
#pragma once

#include <gocsp/gocsp.hpp>

#include "flags.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace du {

/// file_info: the part of Go's os.FileInfo that du looks at.
struct file_info {
    std::string name;
    bool is_dir = false;
    std::int64_t size = 0;
};

/// dir_listing: what Go's os.File.Readdir returns: the entries read, and the error that
/// stopped it, as Go prints it ("open /x: permission denied"), or "".
struct dir_listing {
    std::vector<file_info> entries;
    std::string err;
};

/// read_dir: the entries of directory dir (Go's os.Open then File.Readdir(0)), each lstat'ed;
/// an entry that vanished before its lstat is left out, as Go does. Blocks its thread in
/// system calls: call it through gocsp::blocking from a goroutine.
dir_listing read_dir(const std::string& dir);

/// dirents: du1's to du3's dirents without the semaphore: reads dir on a helper thread
/// (gocsp::blocking), and on an error prints "<prog>: <error>" on stderr and returns no
/// entries (ioutil.ReadDir returns nothing on an error).
std::vector<file_info> dirents(const std::string& dir, const char* prog);

/// join: Go's filepath.Join(dir, name): the two joined by '/' and cleaned lexically
/// (filepath.Clean): join(".", "a") is "a", join("/tmp/", "a") is "/tmp/a".
std::string join(std::string_view dir, std::string_view name);

/// print_disk_usage: Go's printDiskUsage: "<n> files  <x.x> GB", written at once, as Go's
/// unbuffered fmt.Printf does.
void print_disk_usage(std::int64_t nfiles, std::int64_t nbytes);

/// roots: the directories to walk, from the arguments left after the flags; "." if none.
std::vector<std::string> roots();

/// walk_dir: du1's and du2's walkDir: walks the tree rooted at dir, depth first, in the calling
/// goroutine, and sends the size of each file found on file_sizes. prog prefixes errors.
void walk_dir(const std::string& dir, gocsp::send_chan<std::int64_t> file_sizes, const char* prog);

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

namespace detail {
/// error_text: Go's *PathError message: "<op> <path>: <errno text>".
inline std::string error_text(const char* op, const std::string& path, int err) {
    return std::string(op) + " " + path + ": " + gocsp::net::detail::errno_text(err);
}
}  // namespace detail

inline dir_listing read_dir(const std::string& dir) {
    dir_listing out;
    const int fd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        out.err = detail::error_text("open", dir, errno);
        return out;
    }
    DIR* d = ::fdopendir(fd);
    if (!d) {  // not a directory: Go's Readdir fails in getdents
        out.err = detail::error_text("readdirent", dir, errno);
        ::close(fd);
        return out;
    }
    for (;;) {
        errno = 0;
        const dirent* e = ::readdir(d);
        if (!e) {
            if (errno) out.err = detail::error_text("readdirent", dir, errno);
            break;
        }
        const std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        struct stat st;
        if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;  // removed since the directory was read
            out.err = detail::error_text("lstat", dir + "/" + e->d_name, errno);
            break;
        }
        out.entries.push_back({std::string(name), S_ISDIR(st.st_mode), static_cast<std::int64_t>(st.st_size)});
    }
    ::closedir(d);
    return out;
}

inline std::vector<file_info> dirents(const std::string& dir, const char* prog) {
    dir_listing l = gocsp::blocking([&] { return read_dir(dir); });
    if (!l.err.empty()) {
        std::fprintf(stderr, "%s: %s\n", prog, l.err.c_str());
        return {};
    }
    return std::move(l.entries);
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
    for (std::size_t i = 0; i < parts.size(); ++i) clean += (i ? "/" : "") + std::string(parts[i]);
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

inline void walk_dir(const std::string& dir, gocsp::send_chan<std::int64_t> file_sizes, const char* prog) {
    for (const file_info& entry : dirents(dir, prog)) {
        if (entry.is_dir) walk_dir(join(dir, entry.name), file_sizes, prog);
        else file_sizes << entry.size;
    }
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
