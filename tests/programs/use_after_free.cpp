// A deliberate heap-use-after-free, for the AddressSanitizer build to catch
// (tests/sanitizer_test.cpp): one goroutine sends a pointer over a channel and then frees the
// object; the receiving goroutine reads through the pointer after being told it is gone. Under
// ASan the run must end with "ERROR: AddressSanitizer: heap-use-after-free" and a non-zero status.
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <memory>

int main() {
    gocsp::chan<int*> pointers(0);
    gocsp::chan<int> freed(0);
    gocsp::chan<int> result(0);
    gocsp::go([pointers, freed] {
        auto owner = std::make_unique<int>(42);
        pointers.send(owner.get());
        owner.reset();  // the bug: the receiver still holds the pointer
        freed.send(1);
    });
    gocsp::go([pointers, freed, result] {
        int* p = pointers.recv();
        freed.recv();
        result.send(*p);  // reads freed memory
    });
    std::printf("value = %d\n", result.recv());
    return 0;
}
