// examples/flags.hpp - the little of Go's flag and log packages that the example programs use:
// command-line flags parsed the way Go's flag.Parse does, and log.Print/log.Fatal's output.
//
//     int& port = flag::integer("port", 8000, "listen on localhost:`port`");   // flag.Int
//     auto& delay = flag::duration("delay", 1s, "pause between echoes");        // flag.Duration
//     bool& check = flag::boolean("check-leaks", false, "report leaks at exit"); // flag.Bool
//     flag::parse(argc, argv);                                                  // flag.Parse()
//     for (const std::string& a : flag::args()) ...                             // flag.Args()
//     flag::parse_help(argc, argv);   // a program without flags: answers only -h and -help
//     if (delay < 0s) flag::invalid_value("delay", "negative pause");  // a value out of range
//
//     log_print("done");        // "2026/11/28 03:00:00 done" on stderr        (log.Println)
//     log_fatal(err.what());    // the same, then exit status 1                (log.Fatal)
//     log_fatal(error_text(e)); // a system error in Go's words ("... no space left on device")
//     auto conn = must([&] { return net::dial("tcp", addr); });   // if err != nil { log.Fatal(err) }
//
// Flag syntax, as Go's: -name, --name, -name=value and -name value (a boolean takes no separate
// value: -name=false). Parsing stops at the first argument that is not a flag, or after "--".
// An unknown flag, a missing or bad value prints Go's message on stderr, e.g.
//     flag provided but not defined: -x
//     invalid value "abc" for flag -port: parse error
// then the usage ("Usage of <program>:" and each flag with its default), and exits with status
// 2; -h and -help print the usage and exit 0. Every example answers -h and -help: one with
// flags through parse, one without (whose Go original never calls flag.Parse) through parse_help,
// which leaves its other arguments to it. Durations are written as Go writes them: "300ms",
// "1.5s", "1m30s" (units ns, us, µs, ms, s, m, h).
//
// The flags live in one process-wide set (Go's flag.CommandLine); the references returned stay
// valid for the life of the program.
#pragma once

#include <gocsp/net.hpp>  // errno_text: Go's wording of an errno

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unistd.h>
#include <utility>
#include <vector>

namespace flag {

/// integer: an int flag (Go's flag.Int): `-name 8000`, also 0x1f40, 0o17500 or 017500.
int& integer(const std::string& name, int value, const std::string& usage);
/// boolean: a bool flag (Go's flag.Bool): `-name` sets it; `-name=false` clears it (1, 0, t, f,
/// true, false, TRUE, FALSE, True, False are accepted).
bool& boolean(const std::string& name, bool value, const std::string& usage);
/// string: a string flag (Go's flag.String).
std::string& string(const std::string& name, const std::string& value, const std::string& usage);
/// duration: a duration flag (Go's flag.Duration): `-name 300ms`.
std::chrono::nanoseconds& duration(const std::string& name, std::chrono::nanoseconds value, const std::string& usage);

/// parse: parses the flags in argv[1...] (Go's flag.Parse). On a usage error prints the error
/// and the usage on stderr and exits with status 2; -h or -help: the usage, exit status 0.
void parse(int argc, char** argv);

/// parse_help: for a program that takes no flags and reads its arguments itself (its Go original
/// never calls flag.Parse): if argv[1] asks for help (-h, -help, --h or --help), prints the
/// usage ("Usage of <program>:", no flags) on stderr and exits with status 0, as flag.Parse
/// would; every other argument is left alone.
void parse_help(int argc, char** argv);

/// args: the arguments left after the flags (Go's flag.Args).
const std::vector<std::string>& args();

/// print_usage: "Usage of <program>:" and each flag, sorted by name, on stderr (Go's default
/// flag.Usage). A name in back quotes in a flag's usage text names its value in the listing.
void print_usage();

/// format_duration: d as Go's time.Duration.String writes it ("1.5s", "1m0s", "300ms").
std::string format_duration(std::chrono::nanoseconds d);

/// invalid_value: rejects the value parse gave flag `name` because the program cannot use it
/// (out of its range, say), as Go's flag package rejects a value its Set method refuses: prints
/// `invalid value "<value>" for flag -<name>: <why>` and the usage on stderr, then exits with
/// status 2. <value> is the flag's text on the command line (its default if it had none).
[[noreturn]] void invalid_value(const std::string& name, const std::string& why);

}  // namespace flag

/// error_text: err's message in Go's words. A std::system_error of a failed system call says
/// "<op> <file>: " and C's text for the errno ("write /dev/stdout: No space left on device");
/// Go's text, which error_text puts in its place, starts lower-case ("... no space left on
/// device"), as every other error message of the examples does. Any other exception: what().
std::string error_text(const std::exception& err);

/// log_print: writes "2006/01/02 15:04:05 " (local time) and msg on stderr, adding a newline if
/// msg has none, in one write (Go's log.Print and log.Println with the standard logger).
void log_print(std::string_view msg);

/// log_fatal: log_print(msg), then exit with status 1 (Go's log.Fatal).
[[noreturn]] void log_fatal(std::string_view msg);

/// must: f()'s result; if f throws a std::exception, log_fatal(error_text(e)) instead (Go's
/// `v, err := f(); if err != nil { log.Fatal(err) }`).
template <class F>
auto must(F&& f) -> decltype(f());

// =============================================================================================
// Implementation
// =============================================================================================

namespace flag {
namespace detail {

/// value: a flag's typed value (Go's flag.Value). set returns "" or why text is no value.
struct value {
    virtual ~value() = default;
    virtual std::string set(std::string_view text) = 0;
    virtual std::string get() const = 0;  // as Go prints it
    virtual const char* type_name() const = 0;  // "int", "duration", ... ("" for a boolean)
    virtual std::string zero() const = 0;       // get() of the type's zero value
    virtual bool is_bool() const { return false; }
};

template <class T, class Traits>
struct typed_value final : value {
    T v;
    explicit typed_value(T init) : v(std::move(init)) {}
    std::string set(std::string_view text) override { return Traits::parse(text, v); }
    std::string get() const override { return Traits::format(v); }
    const char* type_name() const override { return Traits::type_name; }
    std::string zero() const override { return Traits::format(T{}); }
    bool is_bool() const override { return std::is_same_v<T, bool>; }
};

inline const char* parse_error = "parse error";
inline const char* range_error = "value out of range";

struct int_traits {
    static constexpr const char* type_name = "int";
    static std::string format(int v) { return std::to_string(v); }
    // Go's strconv.ParseInt(text, 0, 64) then a range check: a sign, then decimal, 0x hex,
    // 0o or 0 octal, 0b binary.
    static std::string parse(std::string_view text, int& out) {
        std::string_view s = text;
        bool neg = false;
        if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
            neg = s[0] == '-';
            s.remove_prefix(1);
        }
        int base = 10;
        if (s.size() > 1 && s[0] == '0') {
            const char p = static_cast<char>(s[1] | 0x20);
            base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
            s.remove_prefix(p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
        }
        if (s.empty()) return parse_error;
        std::uint64_t v = 0;
        bool overflow = false;
        for (char c : s) {
            const int lc = c | 0x20;
            const int d = c >= '0' && c <= '9' ? c - '0' : lc >= 'a' && lc <= 'z' ? lc - 'a' + 10 : 99;
            if (d >= base) return parse_error;
            v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
            if (v > (std::uint64_t{1} << 40)) overflow = true;
        }
        const std::int64_t sv = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
        if (overflow || sv < INT32_MIN || sv > INT32_MAX) return range_error;
        out = static_cast<int>(sv);
        return "";
    }
};

struct bool_traits {
    static constexpr const char* type_name = "";
    static std::string format(bool v) { return v ? "true" : "false"; }
    static std::string parse(std::string_view s, bool& out) {
        for (std::string_view t : {"1", "t", "T", "true", "TRUE", "True"})
            if (s == t) return out = true, "";
        for (std::string_view f : {"0", "f", "F", "false", "FALSE", "False"})
            if (s == f) return out = false, "";
        return parse_error;
    }
};

struct string_traits {
    static constexpr const char* type_name = "string";
    static std::string format(const std::string& v) { return v; }
    static std::string parse(std::string_view s, std::string& out) {
        out = s;
        return "";
    }
};

struct duration_traits {
    static constexpr const char* type_name = "duration";
    static std::string format(std::chrono::nanoseconds d) { return format_duration(d); }
    // Go's time.ParseDuration: a sign, then one or more <decimal><unit>; "0" alone is allowed.
    static std::string parse(std::string_view s, std::chrono::nanoseconds& out) {
        bool neg = false;
        if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
            neg = s[0] == '-';
            s.remove_prefix(1);
        }
        if (s == "0") return out = std::chrono::nanoseconds(0), "";
        if (s.empty()) return parse_error;
        long double total = 0;
        while (!s.empty()) {
            std::size_t i = 0;
            long double v = 0, scale = 1;
            bool digits = false;
            for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, digits = true) v = v * 10 + (s[i] - '0');
            if (i < s.size() && s[i] == '.')
                for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, digits = true) v += (s[i] - '0') / (scale *= 10);
            if (!digits) return parse_error;
            s.remove_prefix(i);
            std::size_t u = 0;
            while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
            const std::string_view unit = s.substr(0, u);
            s.remove_prefix(u);
            long double ns = 0;
            if (unit == "ns") ns = 1;
            else if (unit == "us" || unit == "µs" || unit == "μs") ns = 1e3;
            else if (unit == "ms") ns = 1e6;
            else if (unit == "s") ns = 1e9;
            else if (unit == "m") ns = 60e9;
            else if (unit == "h") ns = 3600e9;
            else return parse_error;  // a missing or unknown unit
            total += v * ns;
        }
        if (total > 9.2e18L) return parse_error;  // Go: "invalid duration" for an overflow
        const auto n = static_cast<std::int64_t>(total);
        out = std::chrono::nanoseconds(neg ? -n : n);
        return "";
    }
};

struct entry {
    std::string usage;
    std::string def;  // the default, as get() printed it when the flag was defined
    std::unique_ptr<value> v;
    std::string given;  // the value's text on the command line, as parse found it
};

struct command_line {
    std::string program = "program";
    std::map<std::string, entry, std::less<>> flags;  // sorted by name, as Go prints them
    std::vector<std::string> args;
};

inline command_line& the_command_line() {
    static command_line cl;
    return cl;
}

template <class Traits, class T>
T& define(const std::string& name, T init, const std::string& usage) {
    auto v = std::make_unique<typed_value<T, Traits>>(std::move(init));
    T& ref = v->v;
    auto [it, fresh] = the_command_line().flags.try_emplace(name);
    if (!fresh) {  // Go panics: "flag redefined: <name>"
        std::fprintf(stderr, "flag redefined: %s\n", name.c_str());
        std::abort();
    }
    it->second = entry{usage, v->get(), std::move(v), ""};
    return ref;
}

/// is_help: name, a flag's name (what follows the minuses, up to any '='), is one that asks for
/// the usage when no flag of that name is defined ("h" or "help", as in Go's flag package).
inline bool is_help(std::string_view name) { return name == "h" || name == "help"; }

/// fail: Go's failf: the message, then the usage, exit status 2.
[[noreturn]] inline void fail(const std::string& message) {
    std::fprintf(stderr, "%s\n", message.c_str());
    print_usage();
    std::exit(2);
}

/// quote: text in double quotes, as Go's %q prints a plain string.
inline std::string quote(std::string_view text) {
    std::string q = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q + "\"";
}

}  // namespace detail

inline int& integer(const std::string& name, int value, const std::string& usage) {
    return detail::define<detail::int_traits>(name, value, usage);
}
inline bool& boolean(const std::string& name, bool value, const std::string& usage) {
    return detail::define<detail::bool_traits>(name, value, usage);
}
inline std::string& string(const std::string& name, const std::string& value, const std::string& usage) {
    return detail::define<detail::string_traits>(name, value, usage);
}
inline std::chrono::nanoseconds& duration(const std::string& name, std::chrono::nanoseconds value,
                                          const std::string& usage) {
    return detail::define<detail::duration_traits>(name, value, usage);
}

inline const std::vector<std::string>& args() { return detail::the_command_line().args; }

inline void print_usage() {
    auto& cl = detail::the_command_line();
    std::string out = "Usage of " + cl.program + ":\n";
    for (const auto& [name, e] : cl.flags) {
        // The value's name: a `quoted` word of the usage text (the quotes dropped), else the type.
        std::string usage = e.usage, value_name = e.v->type_name();
        if (auto open = usage.find('`'); open != std::string::npos)
            if (auto close = usage.find('`', open + 1); close != std::string::npos) {
                value_name = usage.substr(open + 1, close - open - 1);
                usage.erase(close, 1);
                usage.erase(open, 1);
            }
        std::string line = "  -" + name;
        if (!value_name.empty()) line += " " + value_name;
        line += line.size() <= 4 ? "\t" : "\n    \t";  // a one-letter boolean stays on its line
        for (char c : usage) line += c == '\n' ? std::string("\n    \t") : std::string(1, c);
        if (e.def != e.v->zero())
            line += " (default " + (e.v->type_name() == std::string_view("string") ? detail::quote(e.def) : e.def) + ")";
        out += line + "\n";
    }
    std::fputs(out.c_str(), stderr);
}

inline void parse(int argc, char** argv) {
    auto& cl = detail::the_command_line();
    if (argc > 0) cl.program = argv[0];
    int i = 1;
    for (; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.size() < 2 || arg[0] != '-') break;  // not a flag ("-" alone neither)
        const std::size_t minuses = arg[1] == '-' ? 2 : 1;
        if (minuses == 2 && arg.size() == 2) {  // "--" ends the flags
            ++i;
            break;
        }
        std::string_view name = arg.substr(minuses);
        if (name.empty() || name[0] == '-' || name[0] == '=') detail::fail("bad flag syntax: " + std::string(arg));
        std::string_view text;
        const std::size_t eq = name.find('=');
        const bool has_value = eq != std::string_view::npos;
        if (has_value) {
            text = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const auto it = cl.flags.find(name);
        if (it == cl.flags.end()) {
            if (detail::is_help(name)) {
                print_usage();
                std::exit(0);
            }
            detail::fail("flag provided but not defined: -" + std::string(name));
        }
        detail::value& v = *it->second.v;
        if (v.is_bool()) {
            if (auto why = v.set(has_value ? text : "true"); !why.empty())
                detail::fail("invalid boolean value " + detail::quote(text) + " for -" + std::string(name) + ": " + why);
            it->second.given = has_value ? text : "true";
            continue;
        }
        if (!has_value) {
            if (i + 1 >= argc) detail::fail("flag needs an argument: -" + std::string(name));
            text = argv[++i];
        }
        if (auto why = v.set(text); !why.empty())
            detail::fail("invalid value " + detail::quote(text) + " for flag -" + std::string(name) + ": " + why);
        it->second.given = text;
    }
    cl.args.assign(argv + i, argv + argc);
}

inline void parse_help(int argc, char** argv) {
    if (argc > 0) detail::the_command_line().program = argv[0];
    if (argc < 2) return;
    std::string_view arg = argv[1];
    arg.remove_prefix(arg.starts_with("--") ? 2 : arg.starts_with("-") ? 1 : 0);
    if (arg.size() == std::string_view(argv[1]).size()) return;  // not a flag
    if (detail::is_help(arg.substr(0, arg.find('=')))) {
        print_usage();
        std::exit(0);
    }
}

inline std::string format_duration(std::chrono::nanoseconds d) {
    const std::int64_t n = d.count();
    if (n == 0) return "0s";
    std::uint64_t u = n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
    // v / 10^prec, with the fraction's trailing zeros dropped.
    auto decimal = [](std::uint64_t v, int prec) {
        std::uint64_t p = 1;
        for (int k = 0; k < prec; ++k) p *= 10;
        std::string s = std::to_string(v / p);
        if (std::uint64_t f = v % p) {
            std::string digits = std::to_string(f);
            digits.insert(0, static_cast<std::size_t>(prec) - digits.size(), '0');
            digits.erase(digits.find_last_not_of('0') + 1);
            s += "." + digits;
        }
        return s;
    };
    std::string s;
    if (u < 1'000) s = std::to_string(u) + "ns";
    else if (u < 1'000'000) s = decimal(u, 3) + "µs";
    else if (u < 1'000'000'000) s = decimal(u, 6) + "ms";
    else {
        constexpr std::uint64_t minute = 60'000'000'000;
        s = decimal(u % minute, 9) + "s";
        if (std::uint64_t minutes = u / minute) {
            s = std::to_string(minutes % 60) + "m" + s;
            if (std::uint64_t hours = minutes / 60) s = std::to_string(hours) + "h" + s;
        }
    }
    return n < 0 ? "-" + s : s;
}

inline void invalid_value(const std::string& name, const std::string& why) {
    const auto& flags = detail::the_command_line().flags;
    const auto it = flags.find(name);
    const std::string text = it == flags.end() ? "" : it->second.given.empty() ? it->second.def : it->second.given;
    detail::fail("invalid value " + detail::quote(text) + " for flag -" + name + ": " + why);
}

}  // namespace flag

inline std::string error_text(const std::exception& err) {
    std::string text = err.what();
    const auto* sys = dynamic_cast<const std::system_error*>(&err);
    if (!sys || (sys->code().category() != std::generic_category() && sys->code().category() != std::system_category()))
        return text;
    const std::string c_words = ": " + sys->code().message();
    if (text.size() >= c_words.size() && text.compare(text.size() - c_words.size(), c_words.size(), c_words) == 0)
        text.replace(text.size() - c_words.size(), c_words.size(), ": " + gocsp::net::detail::errno_text(sys->code().value()));
    return text;
}

inline void log_print(std::string_view msg) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S ", &local);
    std::string line = stamp;
    line += msg;
    if (line.back() != '\n') line += '\n';
    // One write, so that lines from several goroutines never mix (Go's logger holds a lock).
    for (std::string_view rest = line; !rest.empty();) {
        const ssize_t n = ::write(2, rest.data(), rest.size());
        if (n <= 0) break;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
}

[[noreturn]] inline void log_fatal(std::string_view msg) {
    log_print(msg);
    std::exit(1);
}

template <class F>
auto must(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const std::exception& err) {
        log_fatal(error_text(err));
    }
}
