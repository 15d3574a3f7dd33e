// examples/reverb.hpp - the echo of the reverb servers (reverb1, reverb2, reverb3; gopl.io/ch8/
// reverb1 and reverb2): a shout answered three times, loud, normal and soft, with a pause
// between. Each program keeps its own handle_conn, which is its lesson.
#pragma once

#include <gocsp/gocsp.hpp>

#include <cctype>
#include <chrono>
#include <string>

namespace reverb {

/// to_upper: Go's strings.ToUpper, for ASCII letters.
inline std::string to_upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

/// to_lower: Go's strings.ToLower, for ASCII letters.
inline std::string to_lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// echo: the book's echo: writes "\t SHOUT", then after delay "\t Shout", then after delay
/// "\t shout" to c (fmt.Fprintln(c, "\t", s) writes "\t s\n"). A client that has gone ends it
/// quietly, as the book ignores the errors.
inline void echo(gocsp::net::conn c, const std::string& shout, std::chrono::nanoseconds delay) {
    namespace io = gocsp::io;
    try {
        io::fprintf(c, "\t %s\n", to_upper(shout).c_str());
        gocsp::time::sleep(delay);
        io::fprintf(c, "\t %s\n", shout.c_str());
        gocsp::time::sleep(delay);
        io::fprintf(c, "\t %s\n", to_lower(shout).c_str());
    } catch (const gocsp::net::error&) {
        // NOTE: ignoring errors (the client has gone)
    }
}

}  // namespace reverb
