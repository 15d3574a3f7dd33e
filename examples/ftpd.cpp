// ftpd - exercise 8.2 of "The Go Programming Language": a concurrent FTP server. Any FTP client
// can change directory (cd), list one (ls), fetch a file (get), store one (put) and leave
// (close), in passive or in active mode.
//
// The lesson: the concurrent server of clock2 with a real protocol. Each client has its own
// goroutine, which reads the client's commands one line at a time and answers each in turn, so
// the session's state - its directory, its data connection - is plain local data that no other
// goroutine sees. Files are read and written a piece at a time on the runtime's helper threads
// (gocsp::blocking), so a slow disk stalls only the session that waits for it; a transfer
// parks its goroutine while the network is slow. The server's memory stays bounded whatever
// the clients send: a command line is at most 4 KiB (a longer one is answered "500 Command line
// too long." and the connection closed), files move through a 64 KiB buffer, directories are
// listed 256 entries at a time.
//
//     $ ftpd -root /srv/ftp &              listens on localhost:2121
//     $ python3 -c 'import ftplib; f = ftplib.FTP(); f.connect("localhost", 2121); f.login(); f.dir()'
//     $ curl ftp://localhost:2121/dir/file.txt                    get (passive)
//     $ curl -P - -T notes.txt ftp://localhost:2121/dir/          put (active)
//
// Commands (RFC 959 and the extended address forms of RFC 2428):
//   USER, PASS       any name and password are accepted; nothing else is, before them
//   PWD, CWD, CDUP   the current directory, a path below the root ("/" is -root)
//   LIST, NLST       a directory (or a file) as "ls -l" lines, or its names alone
//   RETR, STOR, SIZE get a file, put one (created or replaced), a file's size
//   PASV, EPSV       passive mode: the client connects to a port the server opens for the next
//                    transfer, on the server's address; only from the client's own address
//   PORT, EPRT       active mode: the server connects to the client's port, which must be on
//                    the client's own address (no third party: the "FTP bounce" is refused)
//   TYPE, MODE, STRU A (ASCII) and I (binary), S, F; every file moves unchanged, as on most
//                    Unix servers
//   SYST, NOOP, QUIT
// Anything else is answered "502 Command not implemented." (FEAT included: clients then use
// the commands above).
//
// Paths are resolved below the root and may never leave it: a path that climbs above "/" with
// "..", or that reaches outside the root through a symbolic link (or names one by an absolute
// path), is answered "550 <path>: outside the served directory." The check is the kernel's
// (openat2 with RESOLVE_BENEATH, Linux 5.6 and later), made by the same call that opens the
// file, so a link swapped in between a check and an open cannot slip through.
#include "accept.hpp"
#include "flags.hpp"

#include <gocsp/gocsp.hpp>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
namespace io = gocsp::io;
namespace net = gocsp::net;

namespace {

constexpr std::size_t max_line = 4096;       // a command line, CRLF included
constexpr std::size_t chunk = 64 * 1024;     // a file moves through a buffer this big
constexpr std::size_t listing_batch = 256;   // directory entries read and sent at a time
constexpr auto data_wait = 30s;              // how long a passive port waits for its client

int root_fd = -1;  // the served directory (O_PATH), opened by main before any session starts

// reply_error: an FTP error reply for a command that cannot be carried out.
struct reply_error {
    int code;
    std::string text;
};

// fd: a file descriptor that closes itself.
class fd {
public:
    explicit fd(int n = -1) noexcept : n_(n) {}
    fd(fd&& o) noexcept : n_(std::exchange(o.n_, -1)) {}
    fd& operator=(fd&& o) noexcept {
        std::swap(n_, o.n_);
        return *this;
    }
    ~fd() {
        if (n_ >= 0) ::close(n_);
    }
    int get() const noexcept { return n_; }
    int release() noexcept { return std::exchange(n_, -1); }

private:
    int n_;
};

// virtual_path: the session's path for arg, seen from directory cwd ("/a/b"): absolute paths
// start from the root, "." and empty elements go, ".." removes the element before it. nullopt
// if the path climbs above the root.
std::optional<std::string> virtual_path(const std::string& cwd, std::string_view arg) {
    std::vector<std::string_view> parts;
    const std::string joined = arg.starts_with('/') ? std::string(arg) : cwd + "/" + std::string(arg);
    std::string_view rest = joined;
    while (!rest.empty()) {
        const std::size_t slash = rest.find('/');
        const std::string_view elem = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (elem.empty() || elem == ".") continue;
        if (elem == "..") {
            if (parts.empty()) return std::nullopt;
            parts.pop_back();
        } else {
            parts.push_back(elem);
        }
    }
    std::string path;
    for (std::string_view p : parts) (path += '/') += p;
    return path.empty() ? "/" : path;
}

// open_beneath: opens path (a virtual path) below the root, which neither ".." nor a symbolic
// link may leave; throws reply_error 550 on a failure, naming the path as the client gave it.
fd open_beneath(const std::string& path, const std::string& as_given, int flags, mode_t mode = 0) {
    const std::string relative = path == "/" ? "." : path.substr(1);
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const auto [n, err] = gocsp::blocking([&] {
        const long r = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
        return std::pair(r, errno);  // errno is the helper thread's
    });
    if (n < 0) {
        if (err == EXDEV || err == ELOOP) throw reply_error{550, as_given + ": outside the served directory."};
        throw reply_error{550, as_given + ": " + gocsp::net::detail::errno_text(err) + "."};
    }
    return fd(static_cast<int>(n));
}

// host_of: the host of "127.0.0.1:21" or "[::1]:21".
std::string host_of(const std::string& addr) {
    const std::size_t colon = addr.rfind(':');
    std::string host = addr.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    return host;
}

// printable: s with CR, LF and NUL replaced by '?', to be sent inside a reply or a listing line.
std::string printable(std::string s) {
    for (char& c : s)
        if (c == '\r' || c == '\n' || c == '\0') c = '?';
    return s;
}

// listing_line: "ls -l"'s line for name, whose lstat is st.
std::string listing_line(const struct stat& st, const std::string& name) {
    const mode_t m = st.st_mode;
    char mode[11] = "----------";
    mode[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : S_ISCHR(m) ? 'c'
              : S_ISBLK(m) ? 'b' : '-';
    const char* rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i)
        if (m & (1u << (8 - i))) mode[1 + i] = rwx[i];
    std::tm t{};
    ::localtime_r(&st.st_mtime, &t);
    char when[32];
    const bool recent = std::time(nullptr) - st.st_mtime < 180L * 24 * 3600;
    std::strftime(when, sizeof when, recent ? "%b %d %H:%M" : "%b %d  %Y", &t);
    char line[160];
    std::snprintf(line, sizeof line, "%s %3lu %-8u %-8u %12lld %s ", mode, static_cast<unsigned long>(st.st_nlink),
                  st.st_uid, st.st_gid, static_cast<long long>(st.st_size), when);
    return line + printable(name) + "\r\n";
}

// session: one client's control connection and what its commands have set up.
class session {
public:
    explicit session(net::conn ctrl) : ctrl_(std::move(ctrl)) {}

    // serve: answers the client's commands until it quits, leaves or breaks the protocol.
    void serve() {
        try {
            reply(220, "gocsp ftpd ready.");
            io::scanner input(ctrl_, max_line);
            bool quit = false;
            while (!quit && input.scan()) quit = !command(input.text());
            if (const std::exception_ptr err = input.err()) {
                try {
                    std::rethrow_exception(err);
                } catch (const std::length_error&) {
                    reply(500, "Command line too long.");
                    hang_up();
                } catch (const net::error&) {
                    // the connection failed (reset): the session ends
                }
            }
        } catch (const net::error&) {
            // the client has gone: nothing to answer
        }
        pasv_.close();
        ctrl_.close();
    }

private:
    // command: carries out one command line; false when the session is over.
    bool command(const std::string& line) {
        const std::size_t space = line.find(' ');
        std::string verb = line.substr(0, space);
        for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
        if (arg.find('\0') != std::string::npos) {
            reply(501, "Syntax error in parameters or arguments.");
            return true;
        }
        try {
            if (verb == "QUIT") {
                reply(221, "Goodbye.");
                return false;
            }
            if (verb == "USER") {
                user_ = true;
                logged_in_ = false;
                reply(331, "Password required for " + printable(arg) + ".");
            } else if (verb == "PASS") {
                if (!user_) throw reply_error{503, "Login with USER first."};
                logged_in_ = true;
                reply(230, "User logged in.");
            } else if (verb == "SYST") {
                reply(215, "UNIX Type: L8");
            } else if (verb == "NOOP") {
                reply(200, "NOOP ok.");
            } else if (!known(verb)) {
                reply(502, "Command not implemented.");
            } else if (!logged_in_) {
                reply(530, "Please login with USER and PASS.");
            } else {
                logged_in_command(verb, arg);
            }
        } catch (const reply_error& e) {
            reply(e.code, e.text);
        }
        return true;
    }

    static bool known(const std::string& verb) {
        for (const char* v : {"PWD", "XPWD", "CWD", "XCWD", "CDUP", "XCUP", "TYPE", "MODE", "STRU", "PASV", "EPSV",
                              "PORT", "EPRT", "LIST", "NLST", "RETR", "STOR", "SIZE"})
            if (verb == v) return true;
        return false;
    }

    void logged_in_command(const std::string& verb, const std::string& arg) {
        if (verb == "PWD" || verb == "XPWD") {
            std::string quoted;
            for (char c : printable(cwd_)) quoted += c == '"' ? "\"\"" : std::string(1, c);
            reply(257, "\"" + quoted + "\" is the current directory.");
        } else if (verb == "CWD" || verb == "XCWD" || verb == "CDUP" || verb == "XCUP") {
            const std::string given = verb == "CDUP" || verb == "XCUP" ? ".." : arg;
            const std::string path = resolve(given);
            open_beneath(path, given, O_RDONLY | O_DIRECTORY);
            cwd_ = path;
            reply(250, "Directory successfully changed.");
        } else if (verb == "TYPE") {
            std::string t = arg;
            for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (t == "A" || t == "A N") reply(200, "Switching to ASCII mode.");
            else if (t == "I" || t == "L 8") reply(200, "Switching to Binary mode.");
            else throw reply_error{504, "Command not implemented for that parameter."};
        } else if (verb == "MODE" || verb == "STRU") {
            if (arg != (verb == "MODE" ? "S" : "F") && arg != (verb == "MODE" ? "s" : "f"))
                throw reply_error{504, "Command not implemented for that parameter."};
            reply(200, verb + " set to " + arg + ".");
        } else if (verb == "PASV" || verb == "EPSV") {
            passive(verb == "EPSV", arg);
        } else if (verb == "PORT" || verb == "EPRT") {
            active(verb == "EPRT" ? parse_eprt(arg) : parse_port(arg));
        } else if (verb == "LIST" || verb == "NLST") {
            list(verb == "NLST", arg);
        } else if (verb == "RETR") {
            retrieve(arg);
        } else if (verb == "STOR") {
            store(arg);
        } else if (verb == "SIZE") {
            const fd f = open_beneath(resolve(arg), arg, O_RDONLY);
            struct stat st{};
            if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw reply_error{550, arg + ": not a regular file."};
            reply(213, std::to_string(st.st_size));
        }
    }

    // resolve: the virtual path of arg; reply_error 550 if it climbs above the root.
    std::string resolve(const std::string& arg) const {
        auto path = virtual_path(cwd_, arg);
        if (!path) throw reply_error{550, printable(arg) + ": outside the served directory."};
        return *path;
    }

    // hang_up: ends a session whose client has sent what the server will not read: half-closes,
    // then reads and drops what still comes (at most 1 MiB, for at most 5 s), so that closing
    // with unread input - which sends a reset - cannot destroy the last reply before the client
    // reads it.
    void hang_up() {
        ctrl_.close_write();
        ctrl_.set_read_deadline(std::chrono::steady_clock::now() + 5s);
        char buf[4096];
        for (std::size_t total = 0, n; total < (1u << 20) && (n = ctrl_.read(buf)) > 0; total += n) {
        }
    }

    void reply(int code, const std::string& text) { io::fprintf(ctrl_, "%d %s\r\n", code, text.c_str()); }

    // --- Data connections ---

    void passive(bool extended, const std::string& arg) {
        if (extended && (arg == "ALL" || arg == "all")) {
            reply(200, "EPSV ALL ok.");
            return;
        }
        pasv_.close();
        port_.reset();
        const std::string host = host_of(ctrl_.local_addr());
        try {
            pasv_ = net::listen("tcp", (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":0");
        } catch (const net::error& e) {
            throw reply_error{425, "Can't open passive connection: " + std::string(e.what()) + "."};
        }
        const std::string port = pasv_.addr().substr(pasv_.addr().rfind(':') + 1);
        if (extended) {
            reply(229, "Entering Extended Passive Mode (|||" + port + "|).");
            return;
        }
        if (host.find(':') != std::string::npos) {
            pasv_.close();
            throw reply_error{522, "Network protocol not supported, use EPSV."};
        }
        std::string h = host;
        for (char& c : h) c = c == '.' ? ',' : c;
        const int p = std::stoi(port);
        reply(227, "Entering Passive Mode (" + h + "," + std::to_string(p / 256) + "," + std::to_string(p % 256) + ").");
    }

    // parse_port: "h1,h2,h3,h4,p1,p2" as "h1.h2.h3.h4:port"; reply_error 501 if it is not.
    static std::string parse_port(const std::string& arg) {
        int n[6];
        char tail = 0;
        if (std::sscanf(arg.c_str(), "%d,%d,%d,%d,%d,%d%c", &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &tail) != 6)
            throw reply_error{501, "Syntax error in parameters or arguments."};
        for (int v : n)
            if (v < 0 || v > 255) throw reply_error{501, "Syntax error in parameters or arguments."};
        return std::to_string(n[0]) + "." + std::to_string(n[1]) + "." + std::to_string(n[2]) + "." +
               std::to_string(n[3]) + ":" + std::to_string(n[4] * 256 + n[5]);
    }

    // parse_eprt: "|1|h.h.h.h|port|" or "|2|ipv6|port|" as "host:port" ("[ipv6]:port").
    static std::string parse_eprt(const std::string& arg) {
        const auto bad = reply_error{501, "Syntax error in parameters or arguments."};
        if (arg.size() < 7) throw bad;
        const char d = arg[0];
        std::vector<std::string> fields;
        std::size_t at = 1;
        for (std::size_t next; (next = arg.find(d, at)) != std::string::npos; at = next + 1)
            fields.push_back(arg.substr(at, next - at));
        if (fields.size() != 3 || at != arg.size()) throw bad;
        int port = 0;
        for (char c : fields[2]) {
            if (c < '0' || c > '9' || (port = port * 10 + (c - '0')) > 65535) throw bad;
        }
        if (fields[2].empty() || port == 0) throw bad;
        if (fields[0] == "1") return fields[1] + ":" + fields[2];
        if (fields[0] == "2") return "[" + fields[1] + "]:" + fields[2];
        throw reply_error{522, "Network protocol not supported, use (1,2)."};
    }

    void active(const std::string& addr) {
        if (host_of(addr) != host_of(ctrl_.remote_addr()))  // anyone else's: the FTP bounce attack
            throw reply_error{500, "Illegal PORT command: not the client's address."};
        pasv_.close();
        pasv_ = {};
        port_ = addr;
        reply(200, "PORT command successful.");
    }

    // open_data: the data connection that PASV or PORT prepared; reply_error 425 if there is
    // none or it cannot be made.
    net::conn open_data() {
        try {
            if (pasv_) {
                const net::listener l = std::exchange(pasv_, {});
                l.set_deadline(std::chrono::steady_clock::now() + data_wait);
                net::conn c = l.accept();
                l.close();
                if (host_of(c.remote_addr()) != host_of(ctrl_.remote_addr())) {
                    c.close();  // someone else's connection: not this client's data
                    throw reply_error{425, "Can't open data connection: not from the client's address."};
                }
                return c;
            }
            if (port_) return net::dial("tcp", *std::exchange(port_, std::nullopt));
        } catch (const net::error& e) {
            throw reply_error{425, "Can't open data connection: " + std::string(e.what()) + "."};
        }
        throw reply_error{425, "Use PORT or PASV first."};
    }

    // transfer: opens the data connection, says 150 what, runs move(data) and says 226 - or
    // 426 if the data connection failed on the way (a reply_error of move's goes through; the
    // data connection closes either way).
    template <class Move>
    void transfer(const std::string& what, Move&& move) {
        const net::conn data = open_data();
        reply(150, what);
        try {
            move(data);
        } catch (const net::error&) {
            data.close();
            throw reply_error{426, "Connection closed; transfer aborted."};
        }
        data.close();
        reply(226, "Transfer complete.");
    }

    void list(bool names_only, std::string arg) {
        while (arg.starts_with('-')) {  // options ("-la") are ls's: the listing is always "ls -l"
            const std::size_t space = arg.find(' ');
            arg = space == std::string::npos ? "" : arg.substr(space + 1);
        }
        const std::string given = arg.empty() ? "." : arg;
        const std::string path = resolve(given);
        fd dir = open_beneath(path, given, O_RDONLY);
        struct stat st{};
        ::fstat(dir.get(), &st);
        if (!S_ISDIR(st.st_mode)) {  // a file: its own line
            const std::string name = path.substr(path.rfind('/') + 1);
            transfer("Here comes the directory listing.", [&](const net::conn& data) {
                io::write_string(data, names_only ? printable(name) + "\r\n" : listing_line(st, name));
            });
            return;
        }
        DIR* d = ::fdopendir(dir.get());
        if (!d) throw reply_error{550, given + ": " + gocsp::net::detail::errno_text(errno) + "."};
        dir.release();  // closedir closes it now
        struct closer {
            DIR* d;
            ~closer() { ::closedir(d); }
        } close_dir{d};
        transfer("Here comes the directory listing.", [&](const net::conn& data) {
            for (bool more = true; more;) {
                std::string batch;
                more = gocsp::blocking([&] {
                    for (std::size_t n = 0; n < listing_batch; ++n) {
                        const dirent* e = ::readdir(d);
                        if (!e) return false;
                        const std::string name = e->d_name;
                        if (name == "." || name == "..") continue;
                        struct stat est{};
                        if (names_only) batch += printable(name) + "\r\n";
                        else if (::fstatat(::dirfd(d), e->d_name, &est, AT_SYMLINK_NOFOLLOW) == 0)
                            batch += listing_line(est, name);
                    }
                    return true;
                });
                if (!batch.empty()) io::write_string(data, batch);
            }
        });
    }

    void retrieve(const std::string& arg) {
        const fd f = open_beneath(resolve(arg), arg, O_RDONLY);
        struct stat st{};
        if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw reply_error{550, arg + ": not a regular file."};
        const std::string what = "Opening BINARY mode data connection for " + printable(arg) + " (" +
                                 std::to_string(st.st_size) + " bytes).";
        transfer(what, [&](const net::conn& data) {
            std::string buf(chunk, '\0');
            for (;;) {
                const auto [n, err] = gocsp::blocking([&] {
                    const ssize_t r = ::read(f.get(), buf.data(), buf.size());
                    return std::pair(r, errno);
                });
                if (n < 0) throw reply_error{451, arg + ": " + gocsp::net::detail::errno_text(err) + "."};
                if (n == 0) break;
                data.write(std::string_view(buf.data(), static_cast<std::size_t>(n)));
            }
        });
    }

    void store(const std::string& arg) {
        const fd f = open_beneath(resolve(arg), arg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        struct stat st{};
        if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw reply_error{550, arg + ": not a regular file."};
        transfer("Ok to send data.", [&](const net::conn& data) {
            std::string buf(chunk, '\0');
            for (std::size_t n; (n = data.read(buf)) > 0;) {
                const int err = gocsp::blocking([&] {  // 0, or why the write failed
                    for (std::string_view rest(buf.data(), n); !rest.empty();) {
                        const ssize_t w = ::write(f.get(), rest.data(), rest.size());
                        if (w < 0 && errno == EINTR) continue;
                        if (w <= 0) return w < 0 ? errno : EIO;
                        rest.remove_prefix(static_cast<std::size_t>(w));
                    }
                    return 0;
                });
                if (err != 0)  // e.g., no space left on device
                    throw reply_error{451, arg + ": " + gocsp::net::detail::errno_text(err) + "."};
            }
        });
    }

    net::conn ctrl_;
    std::string cwd_ = "/";
    bool user_ = false, logged_in_ = false;
    net::listener pasv_;               // the passive port, between PASV and the transfer
    std::optional<std::string> port_;  // the client's port, between PORT and the transfer
};

}  // namespace

int main(int argc, char** argv) {
    const int& port = flag::integer("port", 2121, "listen on localhost:`port`");
    const std::string& root = flag::string("root", ".", "serve the files below `directory`");
    flag::parse(argc, argv);
    if (!flag::args().empty()) {
        flag::print_usage();
        return 2;
    }
    root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) flag::invalid_value("root", "open " + root + ": " + gocsp::net::detail::errno_text(errno));

    const net::listener listener = must([&] { return net::listen("tcp", "localhost:" + std::to_string(port)); });
    for (;;) {
        const net::conn conn = accept_retrying(listener);  // on an error: logs it, waits, tries again
        gocsp::go([conn] { session(conn).serve(); });  // handle connections concurrently
    }
}
