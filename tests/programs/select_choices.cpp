// A goroutine makes 64 selects between two ready channels and prints its choices as a string of
// 0s and 1s. Go seeds select's random choice at start-up, so two runs of one program differ.
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <string>

int main() {
    gocsp::chan<std::string> result(1);
    gocsp::go([result] {
        gocsp::chan<int> a(1), b(1);
        std::string choices;
        for (int i = 0; i < 64; ++i) {
            a.send(0);
            b.send(1);
            int v = -1;
            gocsp::select(gocsp::recv_case(a, v), gocsp::recv_case(b, v));
            choices += static_cast<char>('0' + v);
            (v == 0 ? b : a).recv();  // drain the other one
        }
        result.send(choices);
    });
    std::printf("%s\n", result.recv().c_str());
    return 0;
}
