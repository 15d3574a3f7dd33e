// directional: the pipeline again, with each stage a function whose parameters say which way
// its channels go. A chan<T> converts to send_chan<T> and recv_chan<T>, never back.
#include <gocsp/gocsp.hpp>

#include <cstdio>

void counter(gocsp::send_chan<int> out) {  // out chan<- int
    for (int x = 0; x < 5; ++x) out << x;
    out.close();
}

void squarer(gocsp::send_chan<int> out, gocsp::recv_chan<int> in) {
    for (int v : in) out << v * v;
    out.close();
    // in.close() would not compile: only the sending side may close.
}

void printer(gocsp::recv_chan<int> in) {  // in <-chan int
    for (int v : in) std::printf("%d\n", v);
}

int main() {
    gocsp::chan<int> naturals(0), squares(0);
    gocsp::go(counter, naturals);
    gocsp::go(squarer, squares, naturals);
    printer(squares);
}
