// main() becomes goroutine 1 while the process may open no more files: the runtime is already
// running (started from a plain thread), then main lowers its RLIMIT_NOFILE to the lowest free
// descriptor and makes its first gocsp call, which binds main to the main thread's worker m0.
// glibc finds the main thread's stack (pthread_getattr_np) by reading /proc/self/maps, which
// fails there ("too many open files"); main must still park and resume, here on a sleep and on a
// channel a goroutine sends on (run on the main thread while main waits).
//
// Prints "main resumed" and exits 0. (When main's record was left without a stack, m0 took it
// for a goroutine that had not started yet and gave it none: a crash on main's first wake-up.)
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

namespace {

// lowest_free_fd: the descriptor the next open would get.
int lowest_free_fd() {
    int fd = 0;
    while (::fcntl(fd, F_GETFD) != -1) ++fd;
    return fd;
}

}  // namespace

int main() {
    // The runtime's threads and poller exist before the limit (a plain thread's go() starts them
    // without binding main).
    std::thread([] {
        gocsp::chan<int> started(1);
        gocsp::go([started] { started.send(1); });
        started.recv();
    }).join();

    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return 64;
    const rlimit none_left{static_cast<rlim_t>(lowest_free_fd()), files.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &none_left) != 0) return 64;
    if (FILE* f = std::fopen("/proc/self/maps", "r")) {  // the limit must bite
        std::fclose(f);
        return 65;
    }

    gocsp::time::sleep(std::chrono::milliseconds(5));  // binds main, parks it, wakes it
    gocsp::chan<int> answer(0);
    gocsp::go([answer] { answer.send(42); });
    const int got = answer.recv();

    if (::setrlimit(RLIMIT_NOFILE, &files) != 0) return 64;
    std::printf("main resumed: %d\n", got);
    return 0;
}
