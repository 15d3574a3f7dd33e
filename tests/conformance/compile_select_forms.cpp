// Checks that the forms of a run-time select documented in gocsp/select.hpp compile - Go's
// reflect.Select over a slice of cases: `gocsp::select(cases)` with cases a std::vector of
// select_case (non-const or const), a std::array, or a std::span, qualified or found by
// argument-dependent lookup. (Registered as a compile test:
// the control must compile; the one guarded line, a select over something that is not a case
// list, must not.)
#include <gocsp/chan.hpp>
#include <gocsp/select.hpp>

#include <array>
#include <span>
#include <sys/select.h>
#include <vector>

int main() {
    gocsp::chan<int> a(1), b(1);
    int v = 0;
    std::vector<gocsp::select_case> cases;
    cases.push_back(gocsp::recv_case(a, v));
    cases.push_back(gocsp::send_case(b, v));
    cases.push_back(gocsp::default_case);
    std::size_t i = gocsp::select(cases);  // the form shown in select.hpp
    const std::vector<gocsp::select_case>& const_cases = cases;
    i += gocsp::select(const_cases);
    std::array<gocsp::select_case, 2> fixed{gocsp::recv_case(a, v), gocsp::default_case};
    i += gocsp::select(fixed);
    i += gocsp::select(std::span<const gocsp::select_case>(cases));
    // Unqualified, beside POSIX ::select: argument-dependent lookup finds gocsp::select.
    i += select(recv_case(a, v), send_case(b, v));
    i += select(cases);
#ifdef SELECT_OVER_INTS
    std::vector<int> not_cases{1, 2};
    i += gocsp::select(not_cases);
#endif
    return static_cast<int>(i);
}
