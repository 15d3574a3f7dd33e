// Runs a helper program (tests/programs/) as a child process and collects what it did.
#pragma once

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace gocsp_test {

struct child_result {
    int exit_code = -1;  // valid when !signaled
    int signal = 0;      // the signal that killed it, or 0
    bool timed_out = false;
    std::string out, err;
};

inline std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// run_program: runs GOCSP_TEST_PROGRAMS_DIR/<name> <args> with stdin from /dev/null (or
/// `input`, if given), killing it after timeout_s seconds.
inline child_result run_program(const std::string& name, const std::string& args = "", int timeout_s = 30,
                                const std::string& env = "", const std::string& input = "") {
    char dir[] = "/tmp/gocsp-child-XXXXXX";
    if (!::mkdtemp(dir)) return {};
    std::string d = dir;
    std::string in = "/dev/null";
    if (!input.empty()) {
        in = d + "/in";
        std::ofstream(in) << input;
    }
    // timeout(1) exits 124 on timeout; --kill-after makes sure a stuck child dies.
    std::string cmd = "env " + env + " timeout --kill-after=5 " + std::to_string(timeout_s) + " " +
                      std::string(GOCSP_TEST_PROGRAMS_DIR) + "/" + name + " " + args + " <" + in + " >" + d +
                      "/out 2>" + d + "/err; echo $? >" + d + "/rc";
    child_result r;
    int rc = std::system(cmd.c_str());
    (void)rc;
    int status = std::atoi(slurp(d + "/rc").c_str());
    r.out = slurp(d + "/out");
    r.err = slurp(d + "/err");
    if (status == 124) r.timed_out = true;
    if (status > 128 && status != 124) r.signal = status - 128;
    else r.exit_code = status;
    std::system(("rm -rf " + d).c_str());
    return r;
}

}  // namespace gocsp_test
