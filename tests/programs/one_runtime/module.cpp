// A shared library's use of gocsp on its own: gocsp_test_module_start() runs a goroutine,
// receives from it, and returns the address of the runtime it ran on. Compiled once per kind
// of module with -fvisibility=hidden (so this function stays inside each module that links
// it); GOCSP_TEST_DEFAULT_VISIBILITY gives gocsp's own names default visibility, the fix that
// docs/design.md ("One runtime per process") gives for such modules; the `compiled` kind
// instead compiles it with GOCSP_SEPARATE_COMPILATION against one shared compiled runtime (the
// other fix), without the pragma. module_entry.cpp names each module's entry point.
#ifdef GOCSP_TEST_DEFAULT_VISIBILITY
#pragma GCC visibility push(default)
#endif
#include <gocsp/gocsp.hpp>
#ifdef GOCSP_TEST_DEFAULT_VISIBILITY
#pragma GCC visibility pop
#endif

const void* gocsp_test_module_start() {
    gocsp::chan<int> c(0);
    gocsp::go([c]() mutable { c.send(1); });
    c.recv();
    return &gocsp::detail::scheduler::get();
}
