// Unlocks a lock nobody holds: "mutex" (gocsp::mutex), "rwmutex" (shared_mutex::unlock),
// "rwmutex_r" (shared_mutex::unlock_shared). Go's fatal error, status 2, nothing on stdout.
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    const char* which = argc > 1 ? argv[1] : "mutex";
    gocsp::mutex mu;
    gocsp::shared_mutex rw;
    if (std::strcmp(which, "mutex") == 0) {
        mu.lock();
        mu.unlock();
        mu.unlock();
    } else if (std::strcmp(which, "rwmutex") == 0) {
        rw.lock_shared();
        rw.unlock();  // read-locked, not write-locked
    } else {
        rw.unlock_shared();
    }
    std::puts("survived");
    return 0;
}
