// exec_self: starts gocsp, then replaces itself (same process id) with `exec_self again`, which
// starts gocsp again and prints "started twice". The first image's runtime is gone with it, so
// this is not a second runtime in one process.
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <cstring>
#include <unistd.h>

int main(int argc, char** argv) {
    gocsp::chan<int> c(1);
    gocsp::go([c]() mutable { c.send(1); });
    c.recv();
    if (argc > 1 && std::strcmp(argv[1], "again") == 0) {
        std::printf("started twice\n");
        return 0;
    }
    std::fflush(stdout);
    char again[] = "again";
    char* args[] = {argv[0], again, nullptr};
    ::execv("/proc/self/exe", args);
    std::perror("execv");
    return 1;
}
