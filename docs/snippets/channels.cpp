// channels: an unbuffered channel carries values from main to a goroutine; close ends the
// goroutine's range loop, and a receive from the closed, drained channel gives the zero value.
#include <gocsp/gocsp.hpp>

#include <cstdio>

struct done_signal {};  // Go's struct{}: an empty element costs no buffer space

int main() {
    gocsp::chan<int> numbers(0);        // make(chan int)
    gocsp::chan<done_signal> done(0);   // make(chan struct{})

    gocsp::go([numbers, done] {
        for (int x : numbers)  // for x := range numbers
            std::printf("received %d\n", x);
        std::printf("numbers closed\n");
        done << done_signal{};  // done <- struct{}{}
    });

    for (int i = 1; i <= 3; ++i)
        numbers << i;  // each send waits until the goroutine has taken the value
    numbers.close();
    done.recv();  // <-done: wait for the goroutine

    auto [v, ok] = numbers.recv_ok();  // v, ok := <-numbers
    std::printf("after close: v=%d ok=%s\n", v, ok ? "true" : "false");
}
