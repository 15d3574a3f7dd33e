// Adversarial tests of the network layer: deadlines at the far ends of any clock, IPv6 zones,
// service names for ports. Go's oracle: net (ipsock.go, lookup.go, port.go, tcpsock.go) and
// time (a deadline too far ahead never passes).
#include <catch2/catch.hpp>

#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstring>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <optional>
#include <string>

namespace adversarial_net {

namespace net = gocsp::net;
using namespace std::chrono_literals;
using std::chrono::system_clock;

/// hours_point: a time point whose count is in hours (converting its extremes to nanoseconds
/// overflows).
using hours_point = std::chrono::time_point<system_clock, std::chrono::hours>;

/// error_of: the message f throws as net::error, or "" if it throws nothing.
template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const net::error& e) {
        return e.what();
    }
    return "";
}

/// starts_with: whether text starts with prefix.
inline bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

/// port_of: the port of a "host:port" address.
inline std::string port_of(const std::string& addr) { return addr.substr(addr.rfind(':') + 1); }

/// connected_pair: a dialed conn and the listener's side of it.
struct connected_pair {
    net::conn near, far;
};
inline connected_pair connect_pair(const net::listener& ln, const std::string& address) {
    gocsp::chan<net::conn> accepted(1);
    gocsp::go([ln, accepted] { accepted.send(ln.accept()); });
    net::conn c = net::dial("tcp", address);
    return {c, accepted.recv()};
}

/// ipv6_loopback: whether this machine has ::1.
inline bool ipv6_loopback() { return error_of([] { net::listen("tcp6", "[::1]:0").close(); }).empty(); }

/// link_local: a usable link-local IPv6 address of some interface and that interface's name.
struct zoned_address {
    std::string ip, zone;
};
inline std::optional<zoned_address> link_local() {
    ifaddrs* all = nullptr;
    if (::getifaddrs(&all) != 0) return std::nullopt;
    std::optional<zoned_address> found;
    for (ifaddrs* a = all; a && !found; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET6 || !(a->ifa_flags & IFF_UP)) continue;
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
        if (!IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;
        char text[INET6_ADDRSTRLEN] = "";
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        found = zoned_address{text, a->ifa_name};
    }
    ::freeifaddrs(all);
    return found;
}

}  // namespace adversarial_net

// Go: SetDeadline(t) with t far ahead never times out (the deadline saturates); one far in the
// past times out at once. Here a time point in hours overflowed on its way to nanoseconds.
TEST_CASE("network deadlines at the far ends of a clock: far ahead never pass, far behind pass at once",
          "[adversarial][net]") {
    using namespace adversarial_net;
    auto ln = net::listen("tcp", "127.0.0.1:0");
    const connected_pair pair = connect_pair(ln, ln.addr());
    const net::conn c = pair.near, peer = pair.far;

    // A reader with a read deadline far ahead (of three clocks and two periods) stays parked.
    c.set_read_deadline(system_clock::time_point::max());
    c.set_read_deadline(std::chrono::steady_clock::time_point::max());
    c.set_read_deadline(hours_point::max());
    gocsp::chan<std::string> result(1);
    gocsp::go([c, result] {
        std::string r = error_of([&] {
            char b[8];
            result.send(std::string(b, c.read(b)));
        });
        if (!r.empty()) result.send("error: " + r);
    });
    gocsp::time::timer quiet(200ms);
    REQUIRE(gocsp::select(gocsp::recv_case(result), gocsp::recv_case(quiet.c)) == 1);
    peer.write("x");
    REQUIRE(result.recv() == "x");

    // Writes too (a whole set_deadline).
    c.set_deadline(hours_point::max());
    c.write("y");
    char b[1];
    REQUIRE(peer.read(b) == 1);

    // Far in the past: an i/o timeout at once, even with data waiting.
    peer.write("z");
    c.set_read_deadline(hours_point::min());
    const std::string what = error_of([&] { c.read(b); });
    REQUIRE(what == "read tcp " + c.local_addr() + "->" + c.remote_addr() + ": i/o timeout");
    c.set_read_deadline(net::time_point{});
    REQUIRE(c.read(b) == 1);

    // accept with a deadline far ahead.
    ln.set_deadline(hours_point::max());
    gocsp::chan<std::string> accepted(1);
    gocsp::go([ln, accepted] {
        std::string r = error_of([&] { accepted.send(ln.accept().remote_addr()); });
        if (!r.empty()) accepted.send("error: " + r);
    });
    gocsp::time::timer quiet2(200ms);
    REQUIRE(gocsp::select(gocsp::recv_case(accepted), gocsp::recv_case(quiet2.c)) == 1);
    auto c2 = net::dial("tcp", ln.addr());
    REQUIRE(accepted.recv() == c2.local_addr());
    c2.close();
    c.close();
    peer.close();
    ln.close();
}

// Go: Dial("tcp", "[fe80::1%lo]:9") keeps the zone (ipsock.go's splitHostZone, the scope id from
// the interface's name or number); TCPAddr.String prints it back: "[fe80::1%lo]:9". Here the
// zone was dropped, so a link-local dial failed with "connect: invalid argument", and "::1%lo"
// was "no such host".
TEST_CASE("IPv6 zones: dial and listen take them, addresses print them as Go does", "[adversarial][net]") {
    using namespace adversarial_net;
    if (!ipv6_loopback()) {
        WARN("no IPv6 loopback on this machine; skipping");
        return;
    }
    const unsigned lo = ::if_nametoindex("lo");
    if (lo == 0) {
        WARN("no interface named lo; skipping");
        return;
    }

    // ::1 with a zone, by name and by number: the kernel ignores the zone of a loopback
    // address, and the peer's address (getpeername) has none - Go prints "[::1]:port".
    auto ln = net::listen("tcp6", "[::1%lo]:0");
    REQUIRE(starts_with(ln.addr(), "[::1]:"));
    for (const std::string& zone : {std::string("lo"), std::to_string(lo)}) {
        INFO("zone " << zone);
        const connected_pair pair = connect_pair(ln, "[::1%" + zone + "]:" + port_of(ln.addr()));
        const net::conn c = pair.near, peer = pair.far;
        REQUIRE(c.remote_addr() == ln.addr());
        c.write("z");
        char b[1];
        REQUIRE(peer.read(b) == 1);
        c.close();
        peer.close();
    }
    ln.close();

    // A link-local address on lo (it has none): the zone reaches connect, which fails for lack
    // of a route rather than for lack of a zone, and the message keeps the zone as written.
    const std::string what = error_of([] { net::dial("tcp", "[fe80::1%lo]:9").close(); });
    INFO(what);
    if (!what.empty()) {
        CHECK(starts_with(what, "dial tcp [fe80::1%lo]:9: connect: "));
        CHECK(what.find("invalid argument") == std::string::npos);
    }

    // A real link-local address, if an interface has one: listen and dial with its zone; every
    // address read back carries the interface's name.
    const auto ll = link_local();
    if (!ll) {
        WARN("no link-local IPv6 address on this machine; skipping that part");
        return;
    }
    const std::string host = "[" + ll->ip + "%" + ll->zone + "]";
    const std::string listen_error = error_of([&] { net::listen("tcp6", host + ":0").close(); });
    if (listen_error.find("cannot assign requested address") != std::string::npos) {
        WARN("the link-local address " << host << " is not usable yet (" << listen_error << "); skipping");
        return;
    }
    REQUIRE(listen_error.empty());
    auto ln_ll = net::listen("tcp6", host + ":0");
    REQUIRE(ln_ll.addr() == host + ":" + port_of(ln_ll.addr()));
    const connected_pair pair = connect_pair(ln_ll, ln_ll.addr());
    const net::conn c = pair.near, peer = pair.far;
    CHECK(c.remote_addr() == ln_ll.addr());
    CHECK(starts_with(c.local_addr(), host + ":"));
    CHECK(peer.remote_addr() == c.local_addr());
    c.close();
    peer.close();
    ln_ll.close();
}

// Go: a port may be a service name, found in the services database or Go's own short list
// (LookupPort; lookup.go's services map), in any case; an unknown one fails "lookup
// tcp/<name>: unknown port"; a number out of range "address <port>: invalid port"; an empty port
// is 0 (port.go's parsePort, golang.org/issue/13610).
TEST_CASE("service names as ports, as Go's LookupPort", "[adversarial][net]") {
    using namespace adversarial_net;
    // The port a name stands for shows in the address dialed (refused or not).
    auto dialed_address = [](const std::string& address) {
        std::string remote;
        const std::string what = error_of([&] {
            auto c = net::dial("tcp4", address);
            remote = c.remote_addr();
            c.close();
        });
        return what.empty() ? remote : what;
    };
    auto check_port = [&](const std::string& address, const std::string& expect) {
        INFO(address);
        const std::string got = dialed_address(address);
        INFO(got);
        CHECK((got == expect || starts_with(got, "dial tcp4 " + expect + ": connect: ")));
    };
    auto body = [&] {
        check_port("localhost:http", "127.0.0.1:80");
        check_port("127.0.0.1:HTTPS", "127.0.0.1:443");
        check_port("127.0.0.1:+22", "127.0.0.1:22");
        if (const servent* s = ::getservbyname("domain", "tcp")) {  // from the database alone
            check_port("127.0.0.1:domain", "127.0.0.1:" + std::to_string(ntohs(static_cast<uint16_t>(s->s_port))));
        }
        CHECK(error_of([] { net::dial("tcp", "localhost:nosuchservice"); }) ==
              "dial tcp: lookup tcp/nosuchservice: unknown port");
        CHECK(error_of([] { net::listen("tcp6", "[::1]:No-Such"); }) == "listen tcp6: lookup tcp/No-Such: unknown port");
        CHECK(error_of([] { net::dial("tcp", "127.0.0.1:70000"); }) == "dial tcp: address 70000: invalid port");
        CHECK(error_of([] { net::dial("tcp", "127.0.0.1:-1"); }) == "dial tcp: address -1: invalid port");
        // An empty port is port 0: listening picks a free one.
        auto ln = net::listen("tcp", "127.0.0.1:");
        CHECK(port_of(ln.addr()) != "0");
        ln.close();
    };
    SECTION("goroutine") {
        gocsp::wait_group wg;
        wg.add(1);
        gocsp::go([&] {
            body();
            wg.done();
        });
        wg.wait();
    }
    SECTION("main thread") { body(); }
}
