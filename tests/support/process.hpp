// Drives a program as a child process with pipes, for the tests of the example programs: write to
// its stdin, read its stdout and stderr line by line with timeouts, close stdin, signal it, wait
// for it. Also a small blocking TCP client and a free-port picker for the network examples.
//
// Plain POSIX, no gocsp: a test that drives an example does not depend on the library it tests.
// Every wait has a timeout; the destructor kills a child still running.
#pragma once

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <cstdio>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

extern char** environ;

namespace gocsp_test {

using namespace std::chrono_literals;
using millis = std::chrono::milliseconds;

/// example_path: the path of example binary `name` in the build tree.
inline std::string example_path(const std::string& name) {
#ifdef GOCSP_EXAMPLES_DIR
    std::string path = GOCSP_EXAMPLES_DIR;  // appended, not operator+: g++ 12 -O3 warns falsely there
    path += '/';
    path += name;
    return path;
#else
    return name;
#endif
}

namespace detail {
/// Buffered, poll-driven reading of one pipe.
struct pipe_reader {
    int fd = -1;
    std::string buf;  // read but not yet consumed
    bool eof = false;

    // Reads what is available now (non-blocking fd); false when nothing new came.
    bool pump() {
        if (fd < 0 || eof) return false;
        char tmp[65536];
        bool got = false;
        for (;;) {
            ssize_t n = ::read(fd, tmp, sizeof tmp);
            if (n > 0) {
                buf.append(tmp, static_cast<size_t>(n));
                got = true;
                continue;
            }
            if (n == 0) {
                eof = true;
                return got;
            }
            if (errno == EINTR) continue;
            return got;  // EAGAIN
        }
    }
};
}  // namespace detail

/// A child process with its stdin, stdout and stderr connected to pipes.
class process {
public:
    enum stream { out = 1, err = 2 };

    /// Starts `path` with `args` (argv[1...]); `env` entries ("NAME=value") are added to (or
    /// override) this process's environment. Throws std::runtime_error when it cannot start.
    explicit process(const std::string& path, const std::vector<std::string>& args = {},
                     const std::vector<std::string>& env = {}) {
        int in_p[2], out_p[2], err_p[2];
        if (::pipe2(in_p, O_CLOEXEC) || ::pipe2(out_p, O_CLOEXEC) || ::pipe2(err_p, O_CLOEXEC))
            throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in_p[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err_p[1], 2);
        std::vector<std::string> argv_s{path};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<std::string> env_s;
        for (char** e = environ; *e; ++e) {
            std::string_view kv(*e);
            bool overridden = false;
            for (auto& o : env)
                if (auto eq = o.find('='); eq != std::string::npos && kv.substr(0, eq + 1) == o.substr(0, eq + 1))
                    overridden = true;
            if (!overridden) env_s.emplace_back(kv);
        }
        env_s.insert(env_s.end(), env.begin(), env.end());
        std::vector<char*> envp;
        for (auto& e : env_s) envp.push_back(e.data());
        envp.push_back(nullptr);
        int rc = ::posix_spawn(&pid_, path.c_str(), &fa, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        ::close(in_p[0]);
        ::close(out_p[1]);
        ::close(err_p[1]);
        if (rc != 0) {
            ::close(in_p[1]);
            ::close(out_p[0]);
            ::close(err_p[0]);
            throw std::runtime_error("spawn " + path + ": " + std::strerror(rc));
        }
        in_ = in_p[1];
        out_.fd = out_p[0];
        err_.fd = err_p[0];
        ::fcntl(out_.fd, F_SETFL, O_NONBLOCK);
        ::fcntl(err_.fd, F_SETFL, O_NONBLOCK);
    }

    process(const process&) = delete;
    process& operator=(const process&) = delete;

    ~process() {
        if (!status_) {
            ::kill(pid_, SIGKILL);
            int st;
            ::waitpid(pid_, &st, 0);
        }
        close_stdin();
        if (out_.fd >= 0) ::close(out_.fd);
        if (err_.fd >= 0) ::close(err_.fd);
    }

    pid_t pid() const { return pid_; }

    /// Writes all of `s` to the child's stdin; false if the child closed it.
    bool write(std::string_view s) {
        while (!s.empty() && in_ >= 0) {
            ssize_t n = ::write(in_, s.data(), s.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            s.remove_prefix(static_cast<size_t>(n));
        }
        return s.empty();
    }

    /// Closes the child's stdin (it sees end of file).
    void close_stdin() {
        if (in_ >= 0) ::close(in_);
        in_ = -1;
    }

    /// The next line (without its '\n') of stdout or stderr; nullopt at end of stream, or when no
    /// whole line arrives within `timeout`. A last line without '\n' is returned at end of stream.
    std::optional<std::string> read_line(millis timeout = 10s, stream which = out) {
        auto& r = which == out ? out_ : err_;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto nl = r.buf.find('\n'); nl != std::string::npos) {
                std::string line = r.buf.substr(0, nl);
                r.buf.erase(0, nl + 1);
                return line;
            }
            if (r.eof) {
                if (r.buf.empty()) return std::nullopt;
                std::string line = std::move(r.buf);
                r.buf.clear();
                return line;
            }
            if (!wait_input(deadline)) return std::nullopt;
        }
    }

    /// Reads stdout or stderr until `n` bytes are buffered, end of stream or the timeout, and
    /// returns (consumes) what was read.
    std::string read_some(size_t n, millis timeout = 10s, stream which = out) {
        auto& r = which == out ? out_ : err_;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (r.buf.size() < n && !r.eof && wait_input(deadline)) {
        }
        std::string s = r.buf.substr(0, std::min(n, r.buf.size()));
        r.buf.erase(0, s.size());
        return s;
    }

    /// Everything left on stdout or stderr up to end of stream (or the timeout), consumed.
    std::string read_all(millis timeout = 30s, stream which = out) {
        auto& r = which == out ? out_ : err_;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!r.eof && wait_input(deadline)) {
        }
        std::string s = std::move(r.buf);
        r.buf.clear();
        return s;
    }

    /// Waits up to `timeout` for the child to exit: its exit code, or 128 + the signal that
    /// killed it (as a shell reports it); nullopt if it is still running. Keeps draining its
    /// output meanwhile, so a chatty child cannot block on a full pipe.
    std::optional<int> wait(millis timeout = 30s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (status_) return status_;
            int st;
            pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                out_.pump();
                err_.pump();
                return status_;
            }
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            out_.pump();
            err_.pump();
            std::this_thread::sleep_for(5ms);
        }
    }

    /// Sends `sig` to the child.
    void kill(int sig = SIGTERM) {
        if (!status_) ::kill(pid_, sig);
    }

    /// Everything still buffered from stdout or stderr (read so far, not consumed by
    /// read_line), consumed. Call after wait() for the whole rest of the output.
    std::string take(stream which = out) {
        auto& r = which == out ? out_ : err_;
        r.pump();
        std::string s = std::move(r.buf);
        r.buf.clear();
        return s;
    }

private:
    // Waits for either pipe to become readable (buffering both), until the deadline; false on
    // timeout or when both are at end of stream.
    bool wait_input(std::chrono::steady_clock::time_point deadline) {
        auto left = std::chrono::duration_cast<millis>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) return false;
        pollfd fds[2] = {{out_.eof ? -1 : out_.fd, POLLIN, 0}, {err_.eof ? -1 : err_.fd, POLLIN, 0}};
        if (out_.eof && err_.eof) return false;
        int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (n < 0 && errno != EINTR) return false;
        out_.pump();
        err_.pump();
        return true;
    }

    pid_t pid_ = -1;
    int in_ = -1;
    detail::pipe_reader out_, err_;
    std::optional<int> status_;
};

/// measured_run: what one run of a program did (run_measured), with its peak resident memory.
struct measured_run {
    int status = -1;          // exit status (128 + signal if a signal ended it); -1 if it was killed
    std::string out, err;     // all of stdout and stderr
    long peak_rss = 0;        // bytes: the child's peak resident set (wait4's ru_maxrss)
    double seconds = 0;       // from start to end
    bool timed_out = false;   // killed for running past the timeout
    bool over_limit = false;  // killed for passing kill_above bytes of resident memory
};

/// run_measured: runs program path with args, stdin from /dev/null and stdout and stderr into
/// temporary files, and reaps it with wait4 to learn its peak resident memory. Kills it if it
/// runs past timeout, or if its resident memory (polled from /proc) passes kill_above bytes (0:
/// no limit) - a memory bomb that works must fail the test, not take the machine's memory.
inline measured_run run_measured(const std::string& path, const std::vector<std::string>& args,
                                 std::chrono::seconds timeout, long kill_above = 0) {
    auto read_all = [](std::FILE* f) {
        std::string text;
        char buf[65536];
        for (off_t at = 0;;) {
            const ssize_t n = ::pread(::fileno(f), buf, sizeof buf, at);
            if (n <= 0) break;
            text.append(buf, static_cast<std::size_t>(n));
            at += n;
        }
        std::fclose(f);
        return text;
    };
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    if (!out || !err) throw std::runtime_error("run_measured: tmpfile: " + std::string(std::strerror(errno)));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, ::fileno(out), 1);
    posix_spawn_file_actions_adddup2(&fa, ::fileno(err), 2);
    std::vector<std::string> argv_s{path};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const auto start = std::chrono::steady_clock::now();
    const int rc = ::posix_spawn(&pid, path.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("run_measured: posix_spawn " + path + ": " + std::strerror(rc));

    measured_run run;
    const long page = ::sysconf(_SC_PAGESIZE);
    for (;;) {
        int st = 0;
        rusage ru{};
        const pid_t r = ::wait4(pid, &st, WNOHANG, &ru);
        if (r == pid) {
            if (!run.timed_out && !run.over_limit) run.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            run.peak_rss = ru.ru_maxrss * 1024;
            break;
        }
        if (kill_above > 0) {
            long size = 0, resident = 0;
            if (std::FILE* statm = std::fopen(("/proc/" + std::to_string(pid) + "/statm").c_str(), "r")) {
                if (std::fscanf(statm, "%ld %ld", &size, &resident) != 2) resident = 0;
                std::fclose(statm);
            }
            if (resident * page > kill_above) run.over_limit = true;
        }
        if (std::chrono::steady_clock::now() - start >= timeout) run.timed_out = true;
        if (run.over_limit || run.timed_out) ::kill(pid, SIGKILL);
        std::this_thread::sleep_for(2ms);
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.out = read_all(out);
    run.err = read_all(err);
    return run;
}

/// A loopback TCP port that was free a moment ago (bound to port 0, read back, released).
inline int free_port() {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) || ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len)) {
        ::close(s);
        throw std::runtime_error("free_port: " + std::string(std::strerror(errno)));
    }
    ::close(s);
    return ntohs(a.sin_port);
}

/// A blocking TCP client for tests (no gocsp), with line reading under timeouts.
class tcp_client {
public:
    /// Connects to 127.0.0.1:port, retrying until `timeout` passes (the server may still be
    /// starting). Throws std::runtime_error if it never connects.
    explicit tcp_client(int port, millis timeout = 10s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons(static_cast<uint16_t>(port));
            if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) break;
            int e = errno;
            ::close(fd_);
            fd_ = -1;
            if (std::chrono::steady_clock::now() >= deadline)
                throw std::runtime_error("tcp_client: connect to port " + std::to_string(port) + ": " + std::strerror(e));
            std::this_thread::sleep_for(20ms);
        }
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    tcp_client(const tcp_client&) = delete;
    tcp_client& operator=(const tcp_client&) = delete;
    tcp_client(tcp_client&& o) noexcept : fd_(std::exchange(o.fd_, -1)), buf_(std::move(o.buf_)), eof_(o.eof_) {}
    ~tcp_client() { close(); }

    /// Writes all of `s`; false on error (e.g. the server closed the connection).
    bool write(std::string_view s) {
        while (!s.empty()) {
            ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            s.remove_prefix(static_cast<size_t>(n));
        }
        return true;
    }

    /// The next line (without '\n'); nullopt at end of stream or when none arrives in time.
    std::optional<std::string> read_line(millis timeout = 10s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto nl = buf_.find('\n'); nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return line;
            }
            if (eof_ || !fill(deadline)) return std::nullopt;
        }
    }

    /// Reads until end of stream (or the timeout) and returns everything not yet consumed.
    std::string read_all(millis timeout = 30s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!eof_ && fill(deadline)) {
        }
        return std::exchange(buf_, {});
    }

    /// True once the peer has closed its side and everything before it has been consumed.
    bool at_eof(millis timeout = 0ms) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (buf_.empty() && !eof_ && fill(deadline)) {
        }
        return buf_.empty() && eof_;
    }

    /// Half-closes: the server reads end of file; replies can still arrive.
    void close_write() { ::shutdown(fd_, SHUT_WR); }

    /// Closes abruptly: with `reset`, the peer sees a connection reset instead of end of file.
    void close(bool reset = false) {
        if (fd_ < 0) return;
        if (reset) {
            linger l{1, 0};
            ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        ::close(fd_);
        fd_ = -1;
    }

    int fd() const { return fd_; }

private:
    // Reads what arrives before the deadline into buf_; false on timeout.
    bool fill(std::chrono::steady_clock::time_point deadline) {
        auto left = std::chrono::duration_cast<millis>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms || fd_ < 0) return false;
        pollfd p{fd_, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n <= 0) return n < 0 && errno == EINTR;
        char tmp[65536];
        ssize_t r = ::recv(fd_, tmp, sizeof tmp, 0);
        if (r > 0) buf_.append(tmp, static_cast<size_t>(r));
        else if (r == 0 || (errno != EINTR && errno != EAGAIN)) eof_ = true;
        return true;
    }

    int fd_ = -1;
    std::string buf_;
    bool eof_ = false;
};

}  // namespace gocsp_test
