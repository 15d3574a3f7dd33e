// Two shared libraries that each start gocsp, linked into one executable that starts it too:
// prints "one runtime" if all three ran on one runtime (or dies naming the second one started).
#include <gocsp/gocsp.hpp>

#include <cstdio>

extern "C" const void* gocsp_test_module_a();
extern "C" const void* gocsp_test_module_b();

int main() {
    gocsp::chan<int> c(1);
    gocsp::go([c]() mutable { c.send(1); });
    c.recv();
    const void* mine = &gocsp::detail::scheduler::get();
    const void* a = gocsp_test_module_a();
    const void* b = gocsp_test_module_b();
    std::printf("%s\n", mine == a && a == b ? "one runtime" : "more than one runtime");
    return 0;
}
