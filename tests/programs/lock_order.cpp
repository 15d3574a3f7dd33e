// The runtime's lock-rank check (spinlock.hpp), switched on here whatever the build type:
//   lock_order wrong   takes a channel-rank lock while holding a timer heap's: fatal error, 2
//   lock_order right   the documented order, and two channel locks in address order: status 0
#define GOCSP_RUNTIME_CHECKS 1
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    using gocsp::detail::lock_rank;
    using gocsp::detail::spinlock;
    const bool wrong = argc > 1 && std::strcmp(argv[1], "wrong") == 0;
    spinlock heap{lock_rank::timer_heap};
    spinlock chans[2] = {spinlock{lock_rank::primitive}, spinlock{lock_rank::primitive}};
    if (wrong) {
        heap.lock();
        chans[0].lock();
        std::puts("not caught");
        return 0;
    }
    chans[0].lock();
    chans[1].lock();
    heap.lock();
    heap.unlock();
    chans[1].unlock();
    chans[0].unlock();
    std::puts("ok");
    return 0;
}
