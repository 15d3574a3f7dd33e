// The Catch2 runner (its main and implementation) shared by every gocsp test executable. It
// uses nothing of gocsp, so one object serves the tests that link the compiled runtime and the
// header-only ones alike; the leak check every test case runs under is leak_listener.cpp.
//
// Catch2's implementation is the costliest unit of the test suite to compile (about 17
// CPU-seconds at -O3 with g++ 12, 50 with AddressSanitizer at -O1), and nothing in it is timed:
// tests/CMakeLists.txt compiles it once, at -O0.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
