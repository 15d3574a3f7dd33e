// maxprocs_affinity: restricts itself to one of the CPUs it may run on, then prints the number
// of workers gocsp chose by default - as Go's GOMAXPROCS defaults to the CPUs the process may
// use (runtime.NumCPU), not the machine's cores.
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <cstdlib>
#include <sched.h>

int main() {
    ::unsetenv("GOCSP_MAXPROCS");  // the default, whatever the test runner set
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 3;
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &allowed)) {
            CPU_SET(c, &one);
            break;
        }
    if (::sched_setaffinity(0, sizeof one, &one) != 0) return 3;
    std::printf("%d\n", gocsp::maxprocs());
}
