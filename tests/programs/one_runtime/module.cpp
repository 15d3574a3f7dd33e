// A shared library that uses gocsp on its own: its entry point (named by GOCSP_TEST_ENTRY) runs
// a goroutine, receives from it, and returns the address of the runtime it ran on. Built with
// -fvisibility=hidden; GOCSP_TEST_DEFAULT_VISIBILITY gives gocsp's own names default visibility,
// the fix that docs/design.md ("One runtime per process") gives for such modules.
#ifdef GOCSP_TEST_DEFAULT_VISIBILITY
#pragma GCC visibility push(default)
#endif
#include <gocsp/gocsp.hpp>
#ifdef GOCSP_TEST_DEFAULT_VISIBILITY
#pragma GCC visibility pop
#endif

extern "C" __attribute__((visibility("default"))) const void* GOCSP_TEST_ENTRY() {
    gocsp::chan<int> c(0);
    gocsp::go([c]() mutable { c.send(1); });
    c.recv();
    return &gocsp::detail::scheduler::get();
}
