// examples/accept.hpp - the accept loop of the chapter-8 servers (clock1, clock2, reverb1, reverb2,
// chat), with the back-off of Go's net/http server.
//
//     for (;;) {
//         net::conn conn = accept_retrying(listener);
//         gocsp::go(handle_conn, conn);
//     }
//
// The book's servers log a failed accept and try again at once. When the failure lasts - the
// process is out of file descriptors ("accept4: too many open files") and the client waits in
// the listen queue - that is a busy loop writing some 150,000 log lines a second. Go's net/http
// server instead waits before the next try, 5 ms after the first failure, doubling after each
// failure in a row up to 1 s, and logs each failure once with the wait; accept_retrying does the
// same, so a lasting failure costs one log line a second once the wait has grown.
#pragma once

#include "flags.hpp"

#include <gocsp/gocsp.hpp>

#include <algorithm>
#include <chrono>
#include <string>

/// accept_retrying: the next connection of l. After a failed accept it logs "<error>; retrying
/// in <wait>" (log_print) and sleeps for the wait before trying again: 5 ms after the first
/// failure, twice the last wait after each further failure in a row, at most 1 s (Go's
/// net/http Server.Serve). Returns only with a connection.
inline gocsp::net::conn accept_retrying(const gocsp::net::listener& l) {
    using namespace std::chrono_literals;
    std::chrono::nanoseconds wait = 0s;
    for (;;) {
        try {
            return l.accept();
        } catch (const gocsp::net::error& err) {  // e.g., too many open files, connection aborted
            wait = wait == 0s ? std::chrono::nanoseconds(5ms) : std::min<std::chrono::nanoseconds>(wait * 2, 1s);
            log_print(error_text(err) + "; retrying in " + flag::format_duration(wait));
            gocsp::time::sleep(wait);
        }
    }
}
