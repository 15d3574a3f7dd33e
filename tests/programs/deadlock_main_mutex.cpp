// main waits for a gocsp::mutex it already holds, while goroutines wait on every other sync
// primitive. Must end with Go's deadlock report (status 2), each wait under its Go name.
#include <gocsp/gocsp.hpp>

#include <mutex>

int main() {
    gocsp::mutex mu, cond_mu;
    gocsp::shared_mutex rw;
    gocsp::cond c;
    gocsp::semaphore sem(1);
    mu.lock();
    rw.lock();
    sem.acquire();
    gocsp::go([&] { rw.lock_shared(); });  // sync.RWMutex.RLock
    gocsp::go([&] { rw.lock(); });         // sync.RWMutex.Lock
    gocsp::go([&] {
        std::unique_lock<gocsp::mutex> hold(cond_mu);
        c.wait(hold);                      // sync.Cond.Wait: nobody signals
    });
    gocsp::go([&] { sem.acquire(); });     // semacquire
    mu.lock();                             // sync.Mutex.Lock: main holds it already
    return 0;
}
