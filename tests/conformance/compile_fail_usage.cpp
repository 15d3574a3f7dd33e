// Mistakes of spelling that must fail to compile with a message that says what to write. The
// control (nothing defined) compiles; each guarded line must fail, with the message checked.
//   GO_ONE_NAME   `gocsp::go(f);` - C++ reads it as declaring a variable f
//   (and, compiled with -std=c++17, the whole file: gocsp needs C++20)
#include <gocsp/gocsp.hpp>

void worker() {}

int main() {
    gocsp::go{worker};  // what to write instead
#ifdef GO_ONE_NAME
    gocsp::go(worker);
#endif
    return 0;
}
