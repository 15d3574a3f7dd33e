// context: a request with a deadline and a value, fanned out with an errgroup: the first
// failure cancels the others, and the deadline bounds them all.
#include <gocsp/gocsp.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

const gocsp::context_key<std::string> request_id{"request id"};

// fetch pretends to ask a slow server: it takes `cost`, unless ctx ends first.
std::string fetch(const gocsp::context& ctx, const std::string& what, std::chrono::milliseconds cost) {
    if (gocsp::context_error err = gocsp::sleep_for(ctx, cost)) throw err;  // canceled, or too late
    if (what == "missing") throw std::runtime_error("missing: not found");
    return what + " for " + *ctx.value(request_id);
}

// page fetches three parts at once; the first failure cancels the others.
void page(const gocsp::context& parent, const std::array<std::string, 3>& parts) {
    auto [g, ctx] = gocsp::errgroup::with_context(parent);
    std::array<std::string, 3> results;
    for (std::size_t i = 0; i < parts.size(); ++i)
        g.go([ctx = ctx, &results, &parts, i] { results[i] = fetch(ctx, parts[i], i == 0 ? 1h : 10ms); });
    if (std::exception_ptr err = g.wait()) {
        try {
            std::rethrow_exception(err);
        } catch (const std::exception& e) {
            std::printf("page failed: %s\n", e.what());
        }
        return;
    }
    for (const std::string& r : results) std::printf("%s\n", r.c_str());
}

int main() {
    auto [timed, cancel] = gocsp::with_timeout(gocsp::background(), 200ms);
    const gocsp::context ctx = gocsp::with_value(timed, request_id, "request 42");

    page(ctx, {"header", "missing", "footer"});  // "missing" fails: the 1 h fetch is cancelled
    page(ctx, {"header", "body", "footer"});     // the 1 h fetch runs into the deadline
    std::printf("ctx: %s\n", ctx.err().what());
    cancel();  // always: it frees the timer at once
}
