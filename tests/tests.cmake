# The test executables (included by tests/CMakeLists.txt).
gocsp_add_test(NAME runtime SOURCES runtime_test.cpp WORKERS 1 2 8 TIMEOUT 300 LABELS runtime)
# Go's sync for goroutines: mutex, shared_mutex, once, cond, semaphore.
gocsp_add_test(NAME sync SOURCES sync_test.cpp WORKERS 1 2 8 TIMEOUT 120 LABELS sync)
# Conformance tests: Go's channel and select tests (test/chan/*.go, test/closedchan.go,
# src/runtime/chan_test.go), one file per property, in one executable, each case run with 1, 2
# and 8 workers. Iteration counts: tests/conformance/common.hpp (stress_iterations).
gocsp_add_test(NAME conformance
    SOURCES
        conformance/select3.cpp
        conformance/closedchan.cpp
        conformance/nonblock.cpp
        conformance/doubleselect.cpp
        conformance/select6.cpp
        conformance/select7.cpp
        conformance/fifo.cpp
        conformance/goroutines.cpp
        conformance/sieve1.cpp
        conformance/sieve2.cpp
        conformance/powser1.cpp
        conformance/chan_caps.cpp
        conformance/self_select.cpp
        conformance/select_stress.cpp
        conformance/select_fairness.cpp
        conformance/multi_consumer.cpp
        conformance/select_duplicate.cpp
        conformance/nonblock_recv_race.cpp
        conformance/nonblock_select_race.cpp
        conformance/select_dynamic.cpp
        conformance/chan_elements.cpp
    WORKERS 1 2 8 TIMEOUT 120 LABELS conformance)
# Built as two translation units (unity build: the runtime and Catch2 are compiled twice, not 21
# times), so the names a file defines at namespace scope must not clash with another file's.
set_target_properties(conformance PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 11)
# Channel direction rules: each line guarded in the source must fail to compile.
gocsp_add_compile_fail_test(NAME chan_directions
    SOURCE conformance/compile_fail_directions.cpp
    DEFINES
        RECV_ON_SEND_CHAN RECV_OK_ON_SEND_CHAN TRY_RECV_ON_SEND_CHAN RANGE_ON_SEND_CHAN
        RECV_CASE_ON_SEND_CHAN RECV_OPERATOR_ON_SEND_CHAN
        SEND_ON_RECV_CHAN TRY_SEND_ON_RECV_CHAN SEND_CASE_ON_RECV_CHAN SEND_OPERATOR_ON_RECV_CHAN
        CLOSE_RECV_CHAN
        RECV_CHAN_TO_CHAN SEND_CHAN_TO_CHAN SEND_CHAN_TO_RECV_CHAN RECV_CHAN_TO_SEND_CHAN
        RECV_CHAN_TO_CHAN_EXPLICIT SEND_CHAN_TO_CHAN_ASSIGN
    MATCHES "error")
# Spelling mistakes a user makes first get a message saying what to write: `gocsp::go(f);`
# (C++ reads a declaration), and a compiler set to C++17 (one error: gocsp needs C++20).
gocsp_add_compile_fail_test(NAME usage
    SOURCE conformance/compile_fail_usage.cpp
    DEFINES GO_ONE_NAME
    MATCHES "declares a variable named f|cannot use parentheses when declaring variable")
gocsp_add_compile_fail_test(NAME cxx17
    SOURCE conformance/compile_fail_usage.cpp
    DEFINES CXX17
    FLAGS -std=c++17
    MATCHES "gocsp needs C\\+\\+20")
# The run-time select forms documented in select.hpp compile (the control); a select over a
# vector of non-cases does not.
gocsp_add_compile_fail_test(NAME select_forms
    SOURCE conformance/compile_select_forms.cpp
    DEFINES SELECT_OVER_INTS
    MATCHES "error")
# Element types a channel rejects (moves or destruction that may throw, no zero value), lvalue
# sends of move-only values, capacities that are not integers; the accepted types compile.
gocsp_add_compile_fail_test(NAME chan_element_types
    SOURCE conformance/compile_fail_elements.cpp
    DEFINES
        THROWING_MOVE_CONSTRUCTOR THROWING_MOVE_ASSIGNMENT THROWING_DESTRUCTOR NO_DEFAULT_CONSTRUCTOR
        SEND_MOVE_ONLY_LVALUE TRY_SEND_MOVE_ONLY_LVALUE SEND_CASE_MOVE_ONLY_LVALUE
        FLOATING_CAPACITY BOOL_CAPACITY
    MATCHES "error")
gocsp_add_test(NAME time SOURCES time_test.cpp WORKERS 1 2 TIMEOUT 180 LABELS time)
gocsp_add_test(NAME debug SOURCES debug_test.cpp WORKERS 1 2 TIMEOUT 120 LABELS debug)
gocsp_add_test(NAME net SOURCES net_test.cpp WORKERS 1 2 TIMEOUT 180 LABELS net)
gocsp_add_test(NAME context SOURCES context_test.cpp WORKERS 1 2 8 TIMEOUT 120 LABELS context)
gocsp_add_test(NAME io SOURCES io_test.cpp WORKERS 1 2 TIMEOUT 180 LABELS io)
# Channel operations and wait groups give ThreadSanitizer its happens-before edges (meaningful in
# the TSan build; a plain value check elsewhere).
gocsp_add_test(NAME tsan_hb SOURCES tsan_hb_test.cpp WORKERS 2 TIMEOUT 120 LABELS sanitizer)
# The sanitizer builds catch deliberate bugs (a data race, a use after free) in gocsp programs.
if(GOCSP_SANITIZE MATCHES "thread|address")
    gocsp_add_test(NAME sanitizer_reports SOURCES sanitizer_test.cpp TIMEOUT 180 LABELS sanitizer)
endif()
# The adversarial suite: what users do off the paths above (extreme sizes and durations,
# element types that throw, bursts, plain threads that appear late), one file per area, built
# as one translation unit (the runtime is compiled once for all of them), header-only: the mode
# users get by default. Where Go's behaviour is the oracle, each test cites it.
file(GLOB _gocsp_adversarial_sources CONFIGURE_DEPENDS
    "${CMAKE_CURRENT_SOURCE_DIR}/adversarial/*.cpp")
gocsp_add_test(NAME adversarial SOURCES ${_gocsp_adversarial_sources}
    WORKERS 1 2 8 TIMEOUT 180 LABELS adversarial HEADER_ONLY)
set_target_properties(adversarial PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
# The same suite built as a user's build with no build type is: no optimisation and no NDEBUG,
# so the runtime's debug-build checks run (in the Release configuration only: the sanitizer
# configurations build with their own flags).
if(NOT GOCSP_SANITIZE)
    gocsp_add_test(NAME adversarial_debug SOURCES ${_gocsp_adversarial_sources}
        WORKERS 2 TIMEOUT 300 LABELS adversarial HEADER_ONLY)
    set_target_properties(adversarial_debug PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
    target_compile_options(adversarial_debug PRIVATE -O0 -UNDEBUG)
endif()
