// cancel: closing a channel is a broadcast - every goroutine receiving from it (or selecting on
// it) wakes at once, now and forever after. Workers stop when `done` closes.
#include <gocsp/gocsp.hpp>

#include <cstdio>

struct quit {};  // an empty element: the channel only signals

// cancelled polls done without blocking (Go: select { case <-done: return true; default: ... }).
bool cancelled(const gocsp::chan<quit>& done) {
    return gocsp::select(gocsp::recv_case(done), gocsp::default_case) == 0;
}

int main() {
    gocsp::chan<quit> done(0);
    gocsp::chan<int> results(0);
    gocsp::wait_group wg;

    for (int w = 0; w < 4; ++w) {
        wg.add(1);
        gocsp::go([&wg, done, results](int id) {
            for (int i = 0; !cancelled(done); ++i) {
                // Block on the send, but give up as soon as done is closed.
                if (gocsp::select(gocsp::recv_case(done), gocsp::send_case(results, id * 1000 + i)) == 0) break;
            }
            wg.done();
        }, w);
    }

    for (int i = 0; i < 10; ++i) results.recv();  // take ten results, then cancel the rest
    done.close();                                  // broadcast: every worker sees it
    wg.wait();
    std::printf("received 10 results; all 4 workers stopped\n");
}
