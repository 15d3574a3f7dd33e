// Checks the direction rules of Go's channel types (the Go spec's "Channel types"; the compiler
// rejections Go's test/chan/perm.go checks): a send-only channel cannot be received from, a
// receive-only channel cannot be sent on or closed, and the directional views do not convert
// back to a bidirectional channel or to each other. Each #ifdef block holds one line that must not
// compile; built without any define (the control), the file compiles. Blocks that declare a name
// have a scope of their own, so that all of them can be compiled at once (tests/CMakeLists.txt,
// gocsp_add_compile_fail_test) without one block's name colliding with another's.
#include <gocsp/chan.hpp>
#include <gocsp/select.hpp>

#include <utility>

int main() {
    gocsp::chan<int> c(1);
    gocsp::send_chan<int> s = c;  // allowed: chan<T> -> send_chan<T>
    gocsp::recv_chan<int> r = c;  // allowed: chan<T> -> recv_chan<T>
    int v = 0;
    bool ok = false;

    // The control: what each view does allow.
    s.send(1);
    (void)s.try_send(2);
    s << 3;
    (void)gocsp::select(gocsp::send_case(s, v), gocsp::default_case);
    (void)r.recv();
    (void)r.recv_ok();
    (void)r.try_recv();
    (void)(r >> v);
    for (int x : r) (void)x;
    (void)gocsp::select(gocsp::recv_case(r, v, ok), gocsp::default_case);
    (void)s.len();
    (void)r.cap();
    s.close();

    // Receiving on a send-only channel.
#ifdef RECV_ON_SEND_CHAN
    (void)s.recv();
#endif
#ifdef RECV_OK_ON_SEND_CHAN
    (void)s.recv_ok();
#endif
#ifdef TRY_RECV_ON_SEND_CHAN
    (void)s.try_recv();
#endif
#ifdef RANGE_ON_SEND_CHAN
    for (int x : s) (void)x;
#endif
#ifdef RECV_CASE_ON_SEND_CHAN
    (void)gocsp::select(gocsp::recv_case(s, v), gocsp::default_case);
#endif
#ifdef RECV_OPERATOR_ON_SEND_CHAN
    (void)(s >> v);
#endif

    // Sending on a receive-only channel.
#ifdef SEND_ON_RECV_CHAN
    r.send(1);
#endif
#ifdef TRY_SEND_ON_RECV_CHAN
    (void)r.try_send(1);
#endif
#ifdef SEND_CASE_ON_RECV_CHAN
    (void)gocsp::select(gocsp::send_case(r, v), gocsp::default_case);
#endif
#ifdef SEND_OPERATOR_ON_RECV_CHAN
    r << 1;
#endif

    // Closing a receive-only channel.
#ifdef CLOSE_RECV_CHAN
    r.close();
#endif

    // Conversions back, or across.
#ifdef RECV_CHAN_TO_CHAN
    {
        gocsp::chan<int> back = r;
        (void)back;
    }
#endif
#ifdef SEND_CHAN_TO_CHAN
    {
        gocsp::chan<int> back = s;
        (void)back;
    }
#endif
#ifdef SEND_CHAN_TO_RECV_CHAN
    {
        gocsp::recv_chan<int> across = s;
        (void)across;
    }
#endif
#ifdef RECV_CHAN_TO_SEND_CHAN
    {
        gocsp::send_chan<int> across = r;
        (void)across;
    }
#endif
#ifdef RECV_CHAN_TO_CHAN_EXPLICIT
    {
        auto back = static_cast<gocsp::chan<int>>(r);
        (void)back;
    }
#endif
#ifdef SEND_CHAN_TO_CHAN_ASSIGN
    c = s;
#endif
    return 0;
}
