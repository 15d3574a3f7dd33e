// One runtime per process: a second copy of the header-only runtime (a shared library or plugin
// built with -fvisibility=hidden) must stop the process with a message naming the fix, instead
// of running two schedulers whose channels break when passed between them. The modules and
// programs are built by tests/programs/one_runtime/one_runtime.cmake, in the builds without
// sanitizers only (linkage and visibility are all these cases test; see tests/CMakeLists.txt).
#include <catch2/catch.hpp>

#if !GOCSP_TEST_SANITIZED

#include <string>

#include "../support/child.hpp"

namespace adversarial_one_runtime {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string in_programs_dir(const std::string& file) { return std::string(GOCSP_TEST_PROGRAMS_DIR) + "/" + file; }

// The failure every second runtime must give: Go's fatal error status, one message that names
// the module that started the second runtime and how to build the modules.
void require_second_runtime_report(const gocsp_test::child_result& r, const std::string& module) {
    INFO("exit " << r.exit_code << ", signal " << r.signal << ", stdout: " << r.out << ", stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 2);
    REQUIRE(contains(r.err, "fatal error: gocsp: a second gocsp runtime started in this process"));
    REQUIRE(contains(r.err, module));
    REQUIRE(contains(r.err, "Build every module against one runtime"));
    REQUIRE(contains(r.err, "#pragma GCC visibility push(default)"));
    REQUIRE(contains(r.err, "one shared compiled runtime (GOCSP_SEPARATE_COMPILATION"));
    REQUIRE_FALSE(contains(r.out, "runtime"));
}

void require_one_runtime(const gocsp_test::child_result& r) {
    INFO("exit " << r.exit_code << ", signal " << r.signal << ", stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out == "one runtime\n");
}

}  // namespace adversarial_one_runtime

// Issue 20: two -fvisibility=hidden libraries plus the executable started three schedulers.
TEST_CASE("a second runtime from a shared library with hidden symbols stops the process", "[adversarial][one_runtime]") {
    adversarial_one_runtime::require_second_runtime_report(gocsp_test::run_program("two_modules_hidden"),
                                                           "libgocsp_hidden_a.so");
}

TEST_CASE("a second runtime from a plugin loaded with dlopen stops the process", "[adversarial][one_runtime]") {
    using adversarial_one_runtime::in_programs_dir;
    for (const char* scope : {"local", "global"}) {
        INFO("dlopen scope: " << scope);
        adversarial_one_runtime::require_second_runtime_report(
            gocsp_test::run_program("load_plugin", in_programs_dir("gocsp_plugin_hidden.so") + " " + scope),
            "gocsp_plugin_hidden.so");
    }
}

// The fix that the message and docs/design.md give: gocsp's names with default visibility in
// every module (here by #pragma GCC visibility push(default) in modules built hidden).
TEST_CASE("modules that give gocsp default visibility share one runtime", "[adversarial][one_runtime]") {
    using adversarial_one_runtime::in_programs_dir;
    adversarial_one_runtime::require_one_runtime(gocsp_test::run_program("two_modules_shared"));
    adversarial_one_runtime::require_one_runtime(
        gocsp_test::run_program("load_plugin", in_programs_dir("gocsp_plugin_shared.so") + " local"));
}

// The other fix: the compiled runtime built as one shared library that every module links.
// The modules keep -fvisibility=hidden without the pragma: the runtime's state lives in that
// library, reached through its exported names only, and the plugin's executable does not
// export its symbols.
TEST_CASE("modules that link one shared compiled runtime share it", "[adversarial][one_runtime]") {
    using adversarial_one_runtime::in_programs_dir;
    adversarial_one_runtime::require_one_runtime(gocsp_test::run_program("two_modules_compiled"));
    adversarial_one_runtime::require_one_runtime(
        gocsp_test::run_program("load_plugin_compiled", in_programs_dir("gocsp_plugin_compiled.so") + " local"));
}

// exec keeps the process id but not the runtime: the image that follows starts its own, and
// that is not a second one.
TEST_CASE("a program that execs itself starts its runtime again", "[adversarial][one_runtime]") {
    auto r = gocsp_test::run_program("exec_self");
    INFO("exit " << r.exit_code << ", stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out == "started twice\n");
}

#endif  // !GOCSP_TEST_SANITIZED
