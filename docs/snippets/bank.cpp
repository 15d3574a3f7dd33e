// bank: the book's concurrent bank (section 9.2) with a gocsp::mutex, and a lazily loaded
// table behind a gocsp::once: 100 goroutines deposit and look up at once.
#include <gocsp/gocsp.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

namespace bank {

gocsp::mutex mu;  // guards balance
int balance = 0;

void deposit(int amount) {
    std::lock_guard<gocsp::mutex> hold(mu);  // mu.Lock(); defer mu.Unlock()
    int b = balance;
    gocsp::sleep_for(std::chrono::microseconds(10));  // parks holding mu: allowed
    balance = b + amount;
}

int get_balance() {
    std::lock_guard<gocsp::mutex> hold(mu);
    return balance;
}

gocsp::once rates_loaded;
std::map<std::string, int> rates;  // written once, then only read

int rate(const std::string& currency) {
    rates_loaded.call([] {
        std::puts("loading rates");  // printed once, however many goroutines ask
        rates = {{"EUR", 108}, {"GBP", 126}, {"USD", 100}};
    });
    return rates.at(currency);
}

}  // namespace bank

int main() {
    gocsp::wait_group wg;
    for (int i = 1; i <= 100; ++i) {
        wg.add(1);
        gocsp::go(
            [&wg](int amount) {
                bank::deposit(amount * bank::rate("USD") / 100);
                wg.done();
            },
            i);
    }
    wg.wait();
    std::printf("balance: %d\n", bank::get_balance());
}
