// select_default: with several cases ready, select picks one at random; with none ready, a
// default case runs at once - a select with a default never blocks.
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <string>

int main() {
    // A buffer of one is either empty or full, so exactly one case is ready each time:
    // the loop alternates between sending and receiving, and prints the even numbers.
    gocsp::chan<int> ch(1);
    for (int i = 0; i < 10; ++i) {
        int x = 0;
        switch (gocsp::select(gocsp::recv_case(ch, x), gocsp::send_case(ch, i))) {
            case 0: std::printf("%d\n", x); break;
            case 1: break;
        }
    }

    // Polling: nobody sends on messages, so the default case runs.
    gocsp::chan<std::string> messages(0);
    std::string msg;
    switch (gocsp::select(gocsp::recv_case(messages, msg), gocsp::default_case)) {
        case 0: std::printf("received %s\n", msg.c_str()); break;
        case 1: std::printf("no message received\n"); break;
    }
}
