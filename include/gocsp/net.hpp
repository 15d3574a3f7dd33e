/// \file
/// gocsp/net.hpp - Go's net package for TCP: listen, dial, conn, listener.
///
///     namespace net = gocsp::net;
///     net::listener ln = net::listen("tcp", "localhost:8000");
///     for (;;) {
///         net::conn c = ln.accept();
///         gocsp::go([c] {                      // the conn is a shared handle: copy it in
///             gocsp::io::copy(c, c);           // echo until the client closes (io.hpp)
///             c.close();
///         });
///     }
///
///     net::conn c = net::dial("tcp", "localhost:8000");
///     c.write("hello\n");
///     char buf[64];
///     std::size_t n = c.read(buf);             // 0: the peer closed its side
///
/// Blocking: every call that waits (accept, dial, read, write) parks the calling goroutine on
/// the runtime's poller (epoll); its worker runs other goroutines meanwhile. On a plain thread
/// (main(), a std::thread) the thread blocks instead. No call here blocks a worker thread: host
/// names are resolved with getaddrinfo on the blocking pool (blocking.hpp).
///
/// Errors: gocsp::net::error, a std::runtime_error with Go's message, an error_kind and the
/// errno. For example:
///
///     dial tcp 127.0.0.1:8000: connect: connection refused                    refused
///     read tcp 127.0.0.1:41000->127.0.0.1:8000: i/o timeout                   timeout
///     read tcp 127.0.0.1:41000->127.0.0.1:8000: use of closed network connection   closed
///     read tcp 127.0.0.1:41000->127.0.0.1:8000: read: connection reset by peer     reset
///     write tcp 127.0.0.1:41000->127.0.0.1:8000: write: broken pipe          broken_pipe
///     listen tcp 127.0.0.1:8000: bind: address already in use                 address
/// The end of a stream is not an error: read returns 0.
///
/// Contexts: dial, read, write and accept have overloads taking a gocsp::context first (Go's
/// DialContext, and the same for the others). When the context ends during the call - or has
/// ended before it - the call stops at once and throws net::error as Go's net reports a context's
/// end: kind canceled, "operation was canceled", for context::canceled; kind timeout, "i/o
/// timeout", for context::deadline_exceeded. For example:
///
///     dial tcp 127.0.0.1:8000: operation was canceled                        canceled
///     read tcp 127.0.0.1:41000->127.0.0.1:8000: operation was canceled       canceled
/// The connection stays usable (its deadlines are untouched); bytes a cancelled write had sent
/// stay sent. A call that completes before it notices the context's end returns normally.
///
/// Addresses are "host:port". host: an IPv4 literal ("127.0.0.1"), an IPv6 literal in brackets
/// ("[::1]"), with a zone if it needs one ("[fe80::1%eth0]", by interface name or number),
/// "localhost", a host name (resolved with getaddrinfo), or empty (listen: every interface; dial:
/// this machine). port: a number from 0 to 65535 (empty means 0), or a service name ("http")
/// looked up in the services database (/etc/services, on the blocking pool) and, failing that, in
/// Go's short built-in list; listening on port 0 picks a free port, which listener::addr() tells.
/// Networks: "tcp" (IPv4 or IPv6), "tcp4", "tcp6". "localhost" is 127.0.0.1 (and, for dial on
/// "tcp", ::1 if 127.0.0.1 fails), without a lookup. Addresses read back (local_addr, remote_addr,
/// addr, messages) are written as Go writes them, zones included: "[fe80::1%eth0]:80".
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "blocking.hpp"
#include "context.hpp"
#include "detail/fd.hpp"
#include "detail/fd_cancel.hpp"

namespace gocsp::net {

/// error_kind: what went wrong, to tell errors apart without parsing messages.
enum class error_kind {
    closed,       // use of closed network connection: this side closed it (before or during the call)
    timeout,      // a deadline passed ("i/o timeout"), or the system timed out (ETIMEDOUT)
    refused,      // connection refused (ECONNREFUSED): nobody listens there
    reset,        // connection reset by peer (ECONNRESET)
    broken_pipe,  // broken pipe (EPIPE): writing after the peer closed
    address,      // a bad, unknown or busy address, or an unknown network
    system,       // another system error; see sys_errno()
    canceled,     // the call's context was cancelled ("operation was canceled")
};

/// to_string: the kind's name, as written above ("closed", "timeout", ...).
const char* to_string(error_kind k) noexcept;

/// error: what every failing call in gocsp::net throws. what() is Go's message.
class error : public std::runtime_error {
public:
    /// error(kind, sys_errno, what): what() is Go's message; sys_errno is 0 if no call failed.
    error(error_kind kind, int sys_errno, const std::string& what)
        : std::runtime_error(what), kind_(kind), errno_(sys_errno) {}
    /// kind: the class of failure.
    error_kind kind() const noexcept { return kind_; }
    /// sys_errno: the errno of the system call that failed, or 0 (closed, a deadline, a bad address).
    int sys_errno() const noexcept { return errno_; }
    /// timeout: kind() == error_kind::timeout (Go's net.Error.Timeout()).
    bool timeout() const noexcept { return kind_ == error_kind::timeout; }

private:
    error_kind kind_;
    int errno_;
};

/// time_point: the deadline type (any clock's time_point is accepted too). The zero value -
/// time_point{} - means "no deadline", as Go's zero time.Time.
using time_point = std::chrono::system_clock::time_point;

class conn;
namespace detail {
struct conn_state;
conn dial(const context* ctx, std::string_view network, std::string_view address);
using gocsp::detail::deadline_ns;
}  // namespace detail

/// conn: a TCP connection (Go's net.Conn). A shared handle: copies refer to the same
/// connection - pass it to goroutines by value. The connection closes on close(), or when the
/// last copy goes away. One goroutine may read while another writes; concurrent reads (or
/// writes) take turns, each whole. A default-constructed conn is nil: every call on it throws
/// (kind system, EINVAL) except close, which does nothing.
class GOCSP_API conn {
public:
    conn() noexcept = default;

    /// read: reads up to buf.size() bytes into buf; returns how many, at least 1 - or 0 at the
    /// end of the stream (the peer closed or half-closed its side), or when buf is empty.
    /// Parks until data arrives. Throws net::error: closed (before or during the call),
    /// timeout (the read deadline passed, even if data is waiting), reset, ...
    std::size_t read(std::span<char> buf) const;
    /// read(ctx, buf): read, that also stops when ctx ends (see the top of this file).
    std::size_t read(const context& ctx, std::span<char> buf) const;

    /// write: writes all of data, parking while the socket buffer is full. Throws net::error
    /// if it cannot (closed, timeout, broken_pipe, reset, ...); some bytes may have gone out.
    void write(std::string_view data) const;
    /// write(ctx, data): write, that also stops when ctx ends (see the top of this file).
    void write(const context& ctx, std::string_view data) const;

    /// close: closes the connection. Goroutines blocked in read or write on it wake and throw
    /// kind closed, as does every later call. Returns false (and does nothing) if it was
    /// already closed or the conn is nil. Never blocks, never throws.
    bool close() const noexcept;

    /// close_write: half-close (shutdown(SHUT_WR), Go's CloseWrite): the peer reads the end of
    /// the stream; this side can still read. Throws net::error (closed, ...).
    void close_write() const;
    /// close_read: shutdown(SHUT_RD): later reads return 0. Throws net::error.
    void close_read() const;

    /// local_addr / remote_addr: "127.0.0.1:41000", "[::1]:8000" (Go's Addr().String()).
    std::string local_addr() const;
    /// remote_addr: the peer's address (local_addr: this side's).
    std::string remote_addr() const;

    /// set_deadline: read and write deadline. A call waiting when its deadline passes, and
    /// every call made after, throws kind timeout - until the deadline is moved. t may be a
    /// time_point of any clock; time_point{} removes the deadline, and one too far ahead for
    /// 64-bit nanoseconds (time_point::max()) never passes, as in Go. Throws kind closed.
    void set_deadline(time_point t) const { set_deadline_ns(both, detail::deadline_ns(t)); }
    /// set_deadline: the same, for a time_point of any clock.
    template <class Clock, class Duration>
    void set_deadline(std::chrono::time_point<Clock, Duration> t) const {
        set_deadline_ns(both, detail::deadline_ns(t));
    }
    /// set_read_deadline: the deadline of reads only (as set_deadline).
    void set_read_deadline(time_point t) const { set_deadline_ns(reads, detail::deadline_ns(t)); }
    /// set_read_deadline: the same, for a time_point of any clock.
    template <class Clock, class Duration>
    void set_read_deadline(std::chrono::time_point<Clock, Duration> t) const {
        set_deadline_ns(reads, detail::deadline_ns(t));
    }
    /// set_write_deadline: the deadline of writes only (as set_deadline).
    void set_write_deadline(time_point t) const { set_deadline_ns(writes, detail::deadline_ns(t)); }
    /// set_write_deadline: the same, for a time_point of any clock.
    template <class Clock, class Duration>
    void set_write_deadline(std::chrono::time_point<Clock, Duration> t) const {
        set_deadline_ns(writes, detail::deadline_ns(t));
    }

    /// native_handle: the socket, for setsockopt and the like (-1 if nil or closed). Do not
    /// read, write or close it directly.
    int native_handle() const noexcept;

    /// operator bool: not nil.
    explicit operator bool() const noexcept { return state_ != nullptr; }
    /// ==: the same connection (identity, like Go's interface comparison).
    friend bool operator==(const conn& a, const conn& b) noexcept { return a.state_ == b.state_; }

private:
    friend class listener;
    friend conn dial(std::string_view network, std::string_view address);
    friend conn detail::dial(const context* ctx, std::string_view network, std::string_view address);
    explicit conn(std::shared_ptr<detail::conn_state> s) noexcept : state_(std::move(s)) {}
    static constexpr unsigned reads = 1, writes = 2, both = 3;  // pd_set_deadline's modes
    void set_deadline_ns(unsigned modes, std::int64_t when) const;
    void shutdown(int how) const;
    detail::conn_state& state(const char* op) const;

    std::shared_ptr<detail::conn_state> state_;
};

/// listener: a listening TCP socket (Go's net.Listener). A shared handle, like conn; closes on
/// close() or when the last copy goes away.
class GOCSP_API listener {
public:
    listener() noexcept = default;

    /// accept: waits for the next connection and returns it. Parks meanwhile. Throws
    /// net::error: closed (the listener was closed before or during the call), timeout (its
    /// deadline), or a system error (e.g. too many open files, kind system, errno EMFILE).
    conn accept() const;
    /// accept(ctx): accept, that also stops when ctx ends (see the top of this file).
    conn accept(const context& ctx) const;

    /// close: stops listening; a goroutine blocked in accept throws kind closed. Returns false
    /// if already closed (or nil). Never blocks, never throws.
    bool close() const noexcept;

    /// addr: the address listened on, "127.0.0.1:8000" - with the port chosen if 0 was asked.
    std::string addr() const;

    /// set_deadline: a deadline for accept (as conn::set_deadline).
    void set_deadline(time_point t) const { set_deadline_ns(detail::deadline_ns(t)); }
    /// set_deadline: the same, for a time_point of any clock.
    template <class Clock, class Duration>
    void set_deadline(std::chrono::time_point<Clock, Duration> t) const { set_deadline_ns(detail::deadline_ns(t)); }

    /// native_handle: the listening socket (-1 if nil or closed).
    int native_handle() const noexcept;

    /// operator bool: not nil.
    explicit operator bool() const noexcept { return state_ != nullptr; }
    /// ==: the same listener (identity).
    friend bool operator==(const listener& a, const listener& b) noexcept { return a.state_ == b.state_; }

private:
    friend listener listen(std::string_view network, std::string_view address);
    explicit listener(std::shared_ptr<detail::conn_state> s) noexcept : state_(std::move(s)) {}
    void set_deadline_ns(std::int64_t when) const;
    detail::conn_state& state(const char* op) const;
    conn accept_impl(const std::atomic<bool>* cancel) const;

    std::shared_ptr<detail::conn_state> state_;
};

/// listen: listens on address (Go's net.Listen). network: "tcp", "tcp4" or "tcp6". Sets
/// SO_REUSEADDR, as Go does; the empty host listens on every interface ("[::]" for "tcp", IPv4
/// and IPv6 both). Throws net::error (address: bad address, address already in use, unknown
/// network; system: ...). A host name other than localhost is resolved on the blocking pool.
listener listen(std::string_view network, std::string_view address);

/// dial: connects to address (Go's net.Dial), parking until connected. Tries each address the
/// host resolves to, in order; throws the first failure if none works, e.g. refused:
/// "dial tcp 127.0.0.1:8000: connect: connection refused". TCP_NODELAY is set, as in Go.
conn dial(std::string_view network, std::string_view address);

/// dial(ctx, network, address): dial that also stops when ctx ends, name resolution included
/// (Go's Dialer.DialContext; see the top of this file). Addresses are not tried once ctx ended.
conn dial(const context& ctx, std::string_view network, std::string_view address);

// =============================================================================================
// Implementation
// =============================================================================================

namespace detail {

/// errno_text: Go's wording of an errno (defined below).
GOCSP_DECL std::string errno_text(int e);

}  // namespace detail

#if GOCSP_DEFINE_RUNTIME

GOCSP_DECL const char* to_string(error_kind k) noexcept {
    switch (k) {
        case error_kind::closed: return "closed";
        case error_kind::timeout: return "timeout";
        case error_kind::refused: return "refused";
        case error_kind::reset: return "reset";
        case error_kind::broken_pipe: return "broken_pipe";
        case error_kind::address: return "address";
        case error_kind::system: return "system";
        case error_kind::canceled: return "canceled";
    }
    return "?";
}

namespace detail {

using gocsp::detail::fd_core;
using gocsp::detail::io_result;
using gocsp::detail::io_status;

/// conn_state: what a conn or listener handle shares: the fd and the names used in messages.
struct conn_state {
    fd_core fd;
    std::string net;    // "tcp", "tcp4" or "tcp6", as given
    std::string laddr;  // local address
    std::string raddr;  // remote address (empty for a listener)

    conn_state(int fd_, gocsp::detail::poll_desc* pd, std::string n) noexcept
        : fd(fd_, gocsp::detail::fd_kind::socket, pd, true), net(std::move(n)) {}
};

/// errno_text: Go's wording of an errno: strerror, starting lower-case ("connection refused").
GOCSP_DECL std::string errno_text(int e) {
    char buf[128];
    const char* s;
    // The GNU strerror_r returns the message; the XSI one fills buf. Support both.
    auto pick = [&](auto r) {
        if constexpr (std::is_same_v<decltype(r), int>) s = r == 0 ? buf : "unknown error";
        else s = r;
    };
    pick(::strerror_r(e, buf, sizeof buf));
    std::string text = s;
    if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z' && !(text.size() > 1 && text[1] >= 'A' && text[1] <= 'Z'))
        text[0] = static_cast<char>(text[0] - 'A' + 'a');
    return text;
}

GOCSP_DECL error_kind kind_of(int e) noexcept {
    switch (e) {
        case ECONNREFUSED: return error_kind::refused;
        case ECONNRESET: return error_kind::reset;
        case EPIPE: return error_kind::broken_pipe;
        case ETIMEDOUT: return error_kind::timeout;
        case EADDRINUSE:
        case EADDRNOTAVAIL:
        case EAFNOSUPPORT: return error_kind::address;
        default: return error_kind::system;
    }
}

/// op_error: Go's net.OpError message: "<op> <net> [<source>->]<addr>: <detail>".
[[noreturn]] GOCSP_DECL void throw_op(const char* op, const std::string& net, const std::string& source,
                                  const std::string& addr, error_kind kind, int err, const std::string& detail) {
    std::string what = std::string(op) + " " + net;
    if (!source.empty()) what += " " + source + "->" + addr;
    else if (!addr.empty()) what += " " + addr;
    what += ": " + detail;
    throw error(kind, err, what);
}

/// throw_status: the error of an operation that ended with r (syscall: the call named when a
/// system call failed). A conn's messages name both ends ("read tcp L->R: ..."), a listener's
/// (no remote address) only its own ("accept tcp 127.0.0.1:80: ...").
[[noreturn]] GOCSP_DECL void throw_status(const char* op, const char* syscall, const conn_state& s, const io_result& r) {
    const std::string source = s.raddr.empty() ? std::string() : s.laddr;
    const std::string& addr = s.raddr.empty() ? s.laddr : s.raddr;
    switch (r.status) {
        case io_status::closed:
            throw_op(op, s.net, source, addr, error_kind::closed, 0, "use of closed network connection");
        case io_status::timeout:
            throw_op(op, s.net, source, addr, error_kind::timeout, 0, "i/o timeout");
        case io_status::canceled:  // a context's end, as Go's net maps it (mapErr)
            if (r.err == ETIMEDOUT) throw_op(op, s.net, source, addr, error_kind::timeout, 0, "i/o timeout");
            throw_op(op, s.net, source, addr, error_kind::canceled, 0, "operation was canceled");
        default:
            throw_op(op, s.net, source, addr, kind_of(r.err), r.err, std::string(syscall) + ": " + errno_text(r.err));
    }
}

/// zone_name: the IPv6 zone of scope id `scope` as Go prints it: the interface's name, its
/// number if no interface has it, "" for none (0).
GOCSP_DECL std::string zone_name(std::uint32_t scope) {
    if (scope == 0) return "";
    char name[IF_NAMESIZE] = "";
    if (::if_indextoname(scope, name)) return name;
    return std::to_string(scope);
}

/// zone_index: the scope id of IPv6 zone `zone`, as Go finds it: the interface of that name,
/// else the number zone starts with, else 0.
GOCSP_DECL std::uint32_t zone_index(const std::string& zone) {
    if (const unsigned index = ::if_nametoindex(zone.c_str())) return index;
    std::uint32_t n = 0;
    for (char c : zone) {
        if (c < '0' || c > '9' || n > 0xFFFFFF) break;
        n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    return n;
}

/// sockaddr_string: "1.2.3.4:80", "[::1]:80", "[fe80::1%eth0]:80" (IPv4-mapped IPv6 addresses
/// as IPv4), as Go prints a TCPAddr. zone, if not empty, stands for the scope id's name.
GOCSP_DECL std::string sockaddr_string(const sockaddr* sa, const std::string& zone = "") {
    char host[INET6_ADDRSTRLEN] = "";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        return std::string(host) + ":" + std::to_string(port);
    }
    if (sa->sa_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            ::inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host, sizeof host);
            return std::string(host) + ":" + std::to_string(port);
        }
        ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        const std::string z = zone.empty() ? zone_name(in6->sin6_scope_id) : zone;
        return "[" + std::string(host) + (z.empty() ? "" : "%" + z) + "]:" + std::to_string(port);
    }
    return "?";
}

GOCSP_DECL std::string local_name(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
    return sockaddr_string(reinterpret_cast<sockaddr*>(&ss));
}

/// peer_name: the connected peer's address, or "" if the socket has none.
GOCSP_DECL std::string peer_name(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
    return sockaddr_string(reinterpret_cast<sockaddr*>(&ss));
}

struct endpoint {
    sockaddr_storage ss{};
    socklen_t len = 0;
    std::string zone;  // an IPv6 zone as written in the address ("eth0", "2"), for messages
    int family() const noexcept { return ss.ss_family; }
    const sockaddr* sa() const noexcept { return reinterpret_cast<const sockaddr*>(&ss); }
    std::string str() const { return sockaddr_string(sa(), zone); }
};

GOCSP_DECL endpoint make_v4(const in_addr& a, std::uint16_t port) {
    endpoint e;
    auto* in = reinterpret_cast<sockaddr_in*>(&e.ss);
    in->sin_family = AF_INET;
    in->sin_addr = a;
    in->sin_port = htons(port);
    e.len = sizeof(sockaddr_in);
    return e;
}
GOCSP_DECL endpoint make_v6(const in6_addr& a, std::uint16_t port, std::uint32_t scope = 0) {
    endpoint e;
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&e.ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = a;
    in6->sin6_port = htons(port);
    in6->sin6_scope_id = scope;
    e.len = sizeof(sockaddr_in6);
    return e;
}

/// lookup_port: the TCP port of a service name (Go's lookupPort): the services database
/// (/etc/services, through NSS, on the blocking pool: NSS may ask a server), then the few that
/// Go knows without one. Names are matched in lower case, as Go does. -1 if unknown.
GOCSP_DECL int lookup_port(const std::string& service) {
    std::string name = service;
    for (char& c : name)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const int port = blocking([&] {
        servent entry{};
        servent* found = nullptr;
        char buf[4096];
        if (::getservbyname_r(name.c_str(), "tcp", &entry, buf, sizeof buf, &found) != 0 || !found) return -1;
        return static_cast<int>(ntohs(static_cast<std::uint16_t>(found->s_port)));
    });
    if (port >= 0) return port;
    // Go's built-in table, for systems without a services database.
    static constexpr std::pair<std::string_view, int> known[] = {
        {"ftp", 21},     {"ftps", 990},  {"gopher", 70}, {"http", 80},         {"https", 443},
        {"imap2", 143},  {"imap3", 220}, {"imaps", 993}, {"pop3", 110},        {"pop3s", 995},
        {"smtp", 25},    {"ssh", 22},    {"telnet", 23}, {"submissions", 465},
    };
    for (const auto& [known_name, known_port] : known)
        if (name == known_name) return known_port;
    return -1;
}

/// parse_port: the port of service, as Go's LookupPort finds it: a decimal number (an optional
/// sign; empty is 0) or a service name (lookup_port). Fails (address) with Go's messages:
/// "address 70000: invalid port", "lookup tcp/nosuch: unknown port".
template <class Fail>
std::uint16_t parse_port(std::string_view service, Fail fail) {
    std::string_view digits = service;
    const bool negative = !digits.empty() && digits[0] == '-';
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    const bool numeric = std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    long port = 0;
    if (numeric) {
        for (char c : digits)
            if (port <= 65535) port = port * 10 + (c - '0');  // more only tells "too large"
        if (negative && port != 0) port = -1;
    } else {
        port = lookup_port(std::string(service));
        if (port < 0) fail("lookup tcp/" + std::string(service) + ": unknown port");
    }
    if (port < 0 || port > 65535) fail("address " + std::string(service) + ": invalid port");
    return static_cast<std::uint16_t>(port);
}

[[noreturn]] GOCSP_DECL void throw_address(const char* op, const std::string& net, const std::string& detail) {
    throw error(error_kind::address, 0, std::string(op) + " " + net + ": " + detail);
}

/// resolve: the endpoints of "host:port" for op ("dial" or "listen") on network net.
/// Throws net::error (kind address) on a bad address, unknown network or host.
GOCSP_DECL std::vector<endpoint> resolve(const char* op, std::string_view net, std::string_view address,
                                     const context* ctx = nullptr) {
    const std::string n(net);
    auto fail = [&](const std::string& detail) { throw_address(op, n, detail); };
    const bool want4 = net == "tcp" || net == "tcp4";
    const bool want6 = net == "tcp" || net == "tcp6";
    if (!want4 && !want6) fail("unknown network " + n);

    // Split "host:port" (Go's SplitHostPort).
    std::string_view host, port;
    const std::string addr(address);
    if (!address.empty() && address[0] == '[') {
        const auto close = address.find(']');
        if (close == std::string_view::npos) fail("address " + addr + ": missing ']' in address");
        if (close + 1 >= address.size() || address[close + 1] != ':')
            fail("address " + addr + ": missing port in address");
        host = address.substr(1, close - 1);
        port = address.substr(close + 2);
    } else {
        const auto colon = address.rfind(':');
        if (colon == std::string_view::npos) fail("address " + addr + ": missing port in address");
        host = address.substr(0, colon);
        if (host.find(':') != std::string_view::npos) fail("address " + addr + ": too many colons in address");
        port = address.substr(colon + 1);
    }
    const std::uint16_t port16 = parse_port(port, fail);
    const bool listening = std::string_view(op) == "listen";

    std::vector<endpoint> out;
    const std::string h(host);
    in_addr a4{};
    in6_addr a6{};
    // An IPv6 literal may name its zone: "fe80::1%eth0" (an interface's name or number).
    const auto percent = h.rfind('%');
    const std::string zone = percent == std::string::npos ? "" : h.substr(percent + 1);
    const bool zoned_v6 = !zone.empty() && ::inet_pton(AF_INET6, h.substr(0, percent).c_str(), &a6) == 1;
    if (h.empty()) {
        if (listening) {
            if (want6) out.push_back(make_v6(in6addr_any, port16));
            if (want4) out.push_back(make_v4(in_addr{htonl(INADDR_ANY)}, port16));
        } else {
            if (want4) out.push_back(make_v4(in_addr{htonl(INADDR_LOOPBACK)}, port16));
            if (want6) out.push_back(make_v6(in6addr_loopback, port16));
        }
    } else if (h == "localhost") {
        if (want4) out.push_back(make_v4(in_addr{htonl(INADDR_LOOPBACK)}, port16));
        if (want6) out.push_back(make_v6(in6addr_loopback, port16));
    } else if (::inet_pton(AF_INET, h.c_str(), &a4) == 1) {
        if (!want4) fail("address " + h + ": no suitable address found");
        out.push_back(make_v4(a4, port16));
    } else if (zoned_v6 || ::inet_pton(AF_INET6, h.c_str(), &a6) == 1) {
        if (!want6) fail("address " + h + ": no suitable address found");
        out.push_back(make_v6(a6, port16, zoned_v6 ? zone_index(zone) : 0));
        if (zoned_v6) out.back().zone = zone;
    } else {
        // A name: getaddrinfo may block for seconds (DNS), so it runs on the blocking pool.
        addrinfo hints{};
        hints.ai_family = want4 && want6 ? AF_UNSPEC : want4 ? AF_INET : AF_INET6;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        int rc;
        if (ctx) {
            // The lookup may outlive this call if ctx ends first: it owns what it uses, and its
            // result is freed wherever it lands.
            using owned = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;
            std::pair<int, owned> got{0, owned(nullptr, &::freeaddrinfo)};
            try {
                got = blocking(*ctx, [h, hints] {
                    addrinfo* r = nullptr;
                    const int code = ::getaddrinfo(h.c_str(), nullptr, &hints, &r);
                    return std::pair<int, owned>(code, owned(r, &::freeaddrinfo));
                });
            } catch (const context_error& e) {
                throw error(e.timeout() ? error_kind::timeout : error_kind::canceled, 0,
                            std::string(op) + " " + n + ": lookup " + h + ": " +
                                (e.timeout() ? "i/o timeout" : "operation was canceled"));
            }
            rc = got.first;
            res = got.second.release();
        } else {
            rc = blocking([&] { return ::getaddrinfo(h.c_str(), nullptr, &hints, &res); });
        }
        if (rc != 0) {
            const bool unknown = rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_FAIL;
            fail("lookup " + h + ": " + (unknown ? std::string("no such host") : std::string(::gai_strerror(rc))));
        }
        for (addrinfo* ai = res; ai; ai = ai->ai_next) {
            if (ai->ai_family == AF_INET && want4)
                out.push_back(make_v4(reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, port16));
            else if (ai->ai_family == AF_INET6 && want6) {
                const auto* in6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
                out.push_back(make_v6(in6->sin6_addr, port16, in6->sin6_scope_id));  // keeps a zone
            }
        }
        ::freeaddrinfo(res);
        if (out.empty()) fail("lookup " + h + ": no such host");
    }
    return out;
}

/// new_socket: a non-blocking, close-on-exec TCP socket, or -1 with errno.
GOCSP_DECL int new_socket(int family) noexcept { return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

GOCSP_DECL void set_nodelay(int fd) noexcept {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/// make_state: wraps a connected or listening socket (registers it with the poller). Closes fd
/// and throws on failure.
GOCSP_DECL std::shared_ptr<conn_state> make_state(int fd, const std::string& net, const char* op,
                                              const std::string& addr) {
    gocsp::detail::poll_desc* pd = gocsp::detail::pd_open(fd);
    if (!pd) {
        const int err = errno;
        ::close(fd);
        throw_op(op, net, "", addr, kind_of(err), err, "epoll_ctl: " + errno_text(err));
    }
    try {
        return std::make_shared<conn_state>(fd, pd, net);
    } catch (...) {
        gocsp::detail::pd_close(pd, fd);
        ::close(fd);
        throw;
    }
}

using gocsp::detail::op_cancel;

}  // namespace detail

// --- conn -------------------------------------------------------------------------------------

GOCSP_DECL detail::conn_state& conn::state(const char* op) const {
    if (!state_) throw error(error_kind::system, EINVAL, std::string(op) + ": invalid argument (nil conn)");
    return *state_;
}

GOCSP_DECL std::size_t conn::read(std::span<char> buf) const {
    auto& s = state("read");
    detail::io_result r = s.fd.read(buf.data(), buf.size());
    if (r.status != detail::io_status::ok) detail::throw_status("read", "read", s, r);
    return r.n;
}

GOCSP_DECL std::size_t conn::read(const context& ctx, std::span<char> buf) const {
    auto& s = state("read");
    detail::io_result r;
    {
        detail::op_cancel cancel(ctx, s.fd, gocsp::detail::io_mode::read);
        r = detail::op_cancel::finish(s.fd.read(buf.data(), buf.size(), &cancel.raised), ctx);
    }
    if (r.status != detail::io_status::ok) detail::throw_status("read", "read", s, r);
    return r.n;
}

GOCSP_DECL void conn::write(const context& ctx, std::string_view data) const {
    auto& s = state("write");
    detail::io_result r;
    {
        detail::op_cancel cancel(ctx, s.fd, gocsp::detail::io_mode::write);
        r = detail::op_cancel::finish(s.fd.write(data.data(), data.size(), &cancel.raised), ctx);
    }
    if (r.status != detail::io_status::ok) detail::throw_status("write", "write", s, r);
}

GOCSP_DECL void conn::write(std::string_view data) const {
    auto& s = state("write");
    detail::io_result r = s.fd.write(data.data(), data.size());
    if (r.status != detail::io_status::ok) detail::throw_status("write", "write", s, r);
}

GOCSP_DECL bool conn::close() const noexcept { return state_ && state_->fd.close(); }

GOCSP_DECL void conn::shutdown(int how) const {
    auto& s = state("close");
    if (int err = s.fd.shutdown(how)) {
        const auto status = err == EBADF ? detail::io_status::closed : detail::io_status::error;
        detail::throw_status("close", "shutdown", s, {0, status, err});
    }
}

GOCSP_DECL void conn::close_write() const { shutdown(SHUT_WR); }
GOCSP_DECL void conn::close_read() const { shutdown(SHUT_RD); }

GOCSP_DECL std::string conn::local_addr() const { return state("local_addr").laddr; }
GOCSP_DECL std::string conn::remote_addr() const { return state("remote_addr").raddr; }

GOCSP_DECL void conn::set_deadline_ns(unsigned modes, std::int64_t when) const {
    auto& s = state("set_deadline");
    if (!s.fd.set_deadline(modes, when))
        detail::throw_status("set", "setdeadline", s, {0, detail::io_status::closed, 0});
}

GOCSP_DECL int conn::native_handle() const noexcept {
    return state_ && !state_->fd.closing() ? state_->fd.fd() : -1;
}

// --- listener ---------------------------------------------------------------------------------

GOCSP_DECL detail::conn_state& listener::state(const char* op) const {
    if (!state_) throw error(error_kind::system, EINVAL, std::string(op) + ": invalid argument (nil listener)");
    return *state_;
}

GOCSP_DECL conn listener::accept() const { return accept_impl(nullptr); }

GOCSP_DECL conn listener::accept(const context& ctx) const {
    auto& s = state("accept");
    detail::op_cancel cancel(ctx, s.fd, gocsp::detail::io_mode::read);
    try {
        return accept_impl(&cancel.raised);
    } catch (const error& e) {
        if (e.kind() == error_kind::canceled && ctx.err().timeout())
            detail::throw_status("accept", "accept", s, {0, detail::io_status::timeout, 0});
        throw;
    }
}

GOCSP_DECL conn listener::accept_impl(const std::atomic<bool>* cancel) const {
    auto& s = state("accept");
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = -1;
    detail::io_result r = s.fd.accept(fd, reinterpret_cast<sockaddr*>(&ss), &len, cancel);
    if (r.status != detail::io_status::ok) detail::throw_status("accept", "accept", s, r);
    detail::set_nodelay(fd);
    std::string raddr = detail::sockaddr_string(reinterpret_cast<sockaddr*>(&ss));
    auto c = detail::make_state(fd, s.net, "accept", s.laddr);
    c->laddr = detail::local_name(fd);
    c->raddr = std::move(raddr);
    return conn(std::move(c));
}

GOCSP_DECL bool listener::close() const noexcept { return state_ && state_->fd.close(); }

GOCSP_DECL std::string listener::addr() const { return state("addr").laddr; }

GOCSP_DECL void listener::set_deadline_ns(std::int64_t when) const {
    auto& s = state("set_deadline");
    if (!s.fd.set_deadline(1, when))
        detail::throw_status("set", "setdeadline", s, {0, detail::io_status::closed, 0});
}

GOCSP_DECL int listener::native_handle() const noexcept {
    return state_ && !state_->fd.closing() ? state_->fd.fd() : -1;
}

// --- listen, dial -----------------------------------------------------------------------------

GOCSP_DECL listener listen(std::string_view network, std::string_view address) {
    const std::string net(network);
    const auto eps = detail::resolve("listen", network, address);
    int first_err = 0;
    std::string first_addr, first_call;
    for (const auto& ep : eps) {
        auto fail = [&](const char* call, int fd) {
            if (!first_err) {
                first_err = errno;
                first_addr = ep.str();
                first_call = call;
            }
            if (fd >= 0) ::close(fd);
        };
        const int fd = detail::new_socket(ep.family());
        if (fd < 0) {
            fail("socket", fd);
            continue;
        }
        int one = 1, zero = 0;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ep.family() == AF_INET6 && network == "tcp")  // the wildcard: IPv4 too
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (ep.family() == AF_INET6 && network == "tcp6")
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (::bind(fd, ep.sa(), ep.len) != 0) {
            const bool in_use = errno == EADDRINUSE;
            fail("bind", fd);
            if (in_use) break;  // as Go: a busy port fails; it does not move to another address
            continue;
        }
        if (::listen(fd, SOMAXCONN) != 0) {
            fail("listen", fd);
            continue;
        }
        auto s = detail::make_state(fd, net, "listen", ep.str());
        s->laddr = detail::local_name(fd);
        return listener(std::move(s));
    }
    detail::throw_op("listen", net, "", first_addr, detail::kind_of(first_err), first_err,
                     first_call + ": " + detail::errno_text(first_err));
}

namespace detail {
/// dial: net::dial, stopping when *ctx ends if ctx is not null.
GOCSP_DECL conn dial(const context* ctx, std::string_view network, std::string_view address) {
    const std::string net(network);
    auto canceled = [&] {  // Go's mapErr(ctx.Err())
        const bool timeout = ctx->err().timeout();
        throw_op("dial", net, "", std::string(address), timeout ? error_kind::timeout : error_kind::canceled, 0,
                 timeout ? "i/o timeout" : "operation was canceled");
    };
    if (ctx && ctx->err()) canceled();
    const auto eps = resolve("dial", network, address, ctx);
    std::exception_ptr first;
    for (const auto& ep : eps) {
        if (ctx && ctx->err()) canceled();
        try {
            auto fail = [&](const char* call) {
                const int err = errno;
                detail::throw_op("dial", net, "", ep.str(), detail::kind_of(err), err,
                                 std::string(call) + ": " + detail::errno_text(err));
            };
            const int fd = detail::new_socket(ep.family());
            if (fd < 0) fail("socket");
            int rc;
            {
                gocsp::detail::syscall_scope in_call;  // on loopback the handshake runs in this call
                rc = ::connect(fd, ep.sa(), ep.len);
            }
            if (rc != 0 && errno != EINPROGRESS && errno != EINTR) {
                const int err = errno;
                ::close(fd);
                errno = err;
                fail("connect");
            }
            auto s = detail::make_state(fd, net, "dial", ep.str());
            s->raddr = ep.str();  // laddr still empty: messages read "dial tcp <raddr>: ..."
            if (rc != 0) {
                io_result r;
                if (ctx) {
                    op_cancel cancel(*ctx, s->fd, gocsp::detail::io_mode::write);
                    r = op_cancel::finish(s->fd.connect_wait(&cancel.raised), *ctx);
                } else {
                    r = s->fd.connect_wait();
                }
                if (r.status != io_status::ok) throw_status("dial", "connect", *s, r);
            }
            detail::set_nodelay(fd);
            s->laddr = detail::local_name(fd);
            if (std::string peer = detail::peer_name(fd); !peer.empty()) s->raddr = std::move(peer);  // as Go
            return conn(std::move(s));
        } catch (const error& e) {
            if (e.kind() == error_kind::canceled || (e.timeout() && ctx && ctx->err())) throw;  // no more tries
            if (!first) first = std::current_exception();
        }
    }
    std::rethrow_exception(first);
}
}  // namespace detail

GOCSP_DECL conn dial(std::string_view network, std::string_view address) { return detail::dial(nullptr, network, address); }

GOCSP_DECL conn dial(const context& ctx, std::string_view network, std::string_view address) {
    return detail::dial(&ctx, network, address);
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::net
