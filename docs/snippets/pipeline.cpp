// pipeline: three goroutines connected by two channels - counter -> squarer -> printer. Each
// stage closes its output when its input ends, so the end flows down the pipeline.
#include <gocsp/gocsp.hpp>

#include <cstdio>

int main() {
    gocsp::chan<int> naturals(0), squares(0);

    // Counter
    gocsp::go([naturals] {
        for (int x = 0; x < 5; ++x) naturals << x;
        naturals.close();
    });

    // Squarer
    gocsp::go([naturals, squares] {
        for (int x : naturals) squares << x * x;
        squares.close();
    });

    // Printer (in main)
    for (int x : squares) std::printf("%d\n", x);
}
