// wait_group: loop in parallel - one goroutine per item, results over a channel, and a closer
// goroutine that closes the channel once a wait_group says every worker is done.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <vector>

long process(int item) {
    gocsp::sleep_for(std::chrono::milliseconds(item));  // some work that takes a while
    return static_cast<long>(item) * item;
}

int main() {
    std::vector<int> items{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    gocsp::chan<long> sizes(0);
    gocsp::wait_group wg;  // number of working goroutines

    for (int item : items) {
        wg.add(1);  // before the goroutine starts, never inside it
        gocsp::go([&wg, sizes](int it) {
            sizes << process(it);
            wg.done();
        }, item);  // the argument is copied, like Go's go f(item)
    }

    gocsp::go([&wg, sizes] {  // closer
        wg.wait();
        sizes.close();
    });

    long total = 0;
    for (long size : sizes) total += size;
    std::printf("total = %ld\n", total);
}
