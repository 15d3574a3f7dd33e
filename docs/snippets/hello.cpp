// hello: main starts a goroutine and waits for its message on a channel.
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <string>

int main() {
    gocsp::chan<std::string> messages(0);  // make(chan string): unbuffered

    gocsp::go([messages] {  // go func() { messages <- "hello, goroutine" }()
        messages << "hello, goroutine";
    });

    std::string msg = messages.recv();  // main is a plain thread: it blocks here
    std::printf("%s\n", msg.c_str());
}
