/// \file
/// gocsp/source_location.hpp - the call site of a `go` statement.
///
/// std::source_location needs __builtin_source_location, which clang 14 lacks; the
/// __builtin_FILE/LINE/FUNCTION trio works as a default argument on both g++ and clang.
#pragma once

namespace gocsp {

/// source_location: file, line and function of a call site, captured by a defaulted argument.
struct source_location {
    /// file: the source file's name.
    const char* file = "?";
    /// line: the line number, from 1.
    unsigned line = 0;
    /// function: the enclosing function's name.
    const char* function = "?";

    /// current: the location of the caller when used as a default argument.
    static constexpr source_location current(const char* file = __builtin_FILE(),
                                             unsigned line = __builtin_LINE(),
                                             const char* function = __builtin_FUNCTION()) noexcept {
        return source_location{file, line, function};
    }
};

}  // namespace gocsp
