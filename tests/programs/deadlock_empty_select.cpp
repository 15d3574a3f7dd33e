// `select {}` in main with no other goroutine: a deadlock.
#include <gocsp/gocsp.hpp>

int main() {
    gocsp::select();
    return 0;
}
