/// \file
/// gocsp/impl/src.hpp - the compiled runtime: include it in exactly one translation unit.
///
/// gocsp is header-only by default, and then every translation unit that uses it compiles the
/// runtime (the scheduler, the poller, timers, net, ...) again. A program of many units compiles
/// faster with the runtime compiled once:
///   1. define `GOCSP_SEPARATE_COMPILATION` in every translation unit of the program (and of every
///      library in it that uses gocsp), e.g. with `-DGOCSP_SEPARATE_COMPILATION`;
///   2. compile one source file holding `#include <gocsp/impl/src.hpp>` and link it in.
/// The CMake target `gocsp::runtime` does both: link it instead of `gocsp::gocsp`. Built as a
/// shared library, it gives a process of several libraries one runtime (a header-only runtime
/// in a library built with hidden visibility is a second runtime, and stops the process at
/// start-up with a message naming this fix).
///
/// Every unit must agree on the mode: a unit without the macro defines the runtime's functions
/// inline, which the linker would mix with the compiled ones.
#pragma once

#if !defined(GOCSP_SEPARATE_COMPILATION)
#error "gocsp/impl/src.hpp compiles the runtime for GOCSP_SEPARATE_COMPILATION: define it (in every translation unit)"
#endif
#if defined(GOCSP_CONFIG_INCLUDED)
#error "include <gocsp/impl/src.hpp> before any other gocsp header (in a file of its own)"
#endif

#define GOCSP_BUILDING_RUNTIME 1
#include "../gocsp.hpp"
