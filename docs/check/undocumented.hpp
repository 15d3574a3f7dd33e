// A public header as it might be written in a hurry: its overview is a plain comment, and one of
// its functions has no comment at all. docs/doxygen_catches_undocumented gives it to the
// reference check (run_doxygen.cmake), which must reject it for both.
#pragma once

namespace gocsp {

inline int undocumented_fixture_function(int x) { return x + 1; }

}  // namespace gocsp
