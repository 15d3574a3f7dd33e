/// \file
/// gocsp/panic.hpp - the exception that stands for a Go panic.
#pragma once

#include <stdexcept>
#include <string>

namespace gocsp {

/// panic_error: thrown where Go panics, with Go's message ("send on closed channel",
/// "close of closed channel", "close of nil channel", "sync: negative WaitGroup counter").
/// Escaping a goroutine, it ends the process with status 2, as an unrecovered panic does.
class panic_error : public std::logic_error {
public:
    /// panic_error(what): a panic whose message (what()) is what.
    explicit panic_error(const std::string& what) : std::logic_error(what) {}
    /// panic_error(what): the same, from a C string.
    explicit panic_error(const char* what) : std::logic_error(what) {}
};

}  // namespace gocsp
