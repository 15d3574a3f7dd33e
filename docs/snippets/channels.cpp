// channels: an unbuffered channel carries values from main to a goroutine; close ends the
// goroutine's range loop, and a receive from the closed, drained channel gives the zero value.
#include <gocsp/gocsp.hpp>

#include <cstdio>

int main() {
    gocsp::chan<int> numbers(0);        // make(chan int)
    gocsp::chan<gocsp::empty> done(0);  // make(chan struct{}): no buffer space

    gocsp::go([numbers, done] {
        for (int x : numbers)  // for x := range numbers
            std::printf("received %d\n", x);
        std::printf("numbers closed\n");
        done << gocsp::empty{};  // done <- struct{}{}
    });

    for (int i = 1; i <= 3; ++i)
        numbers << i;  // each send waits until the goroutine has taken the value
    numbers.close();
    done.recv();  // <-done: wait for the goroutine

    auto [v, ok] = numbers.recv_ok();  // v, ok := <-numbers
    std::printf("after close: v=%d ok=%s\n", v, ok ? "true" : "false");
}
