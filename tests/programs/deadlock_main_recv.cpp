// Go's classic: main receives from a channel nobody will ever send on, while another goroutine
// waits for main. Must end with Go's deadlock report and status 2.
#include <gocsp/gocsp.hpp>

int main() {
    gocsp::chan<int> ch(0), reply(0);
    gocsp::go([reply] { reply.recv(); });
    ch.recv();
    return 0;
}
