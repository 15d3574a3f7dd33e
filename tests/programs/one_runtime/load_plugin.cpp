// load_plugin <plugin.so> [global]: starts gocsp, then dlopens the plugin (RTLD_LOCAL, or
// RTLD_GLOBAL) and calls its entry point gocsp_test_plugin, which starts gocsp in the plugin's
// copy of the runtime unless the two share one. Prints "one runtime" or "more than one runtime".
#include <gocsp/gocsp.hpp>

#include <cstdio>
#include <cstring>
#include <dlfcn.h>

int main(int argc, char** argv) {
    if (argc < 2) return 64;
    gocsp::chan<int> c(1);
    gocsp::go([c]() mutable { c.send(1); });
    c.recv();
    const void* mine = &gocsp::detail::scheduler::get();
    const int scope = argc > 2 && std::strcmp(argv[2], "global") == 0 ? RTLD_GLOBAL : RTLD_LOCAL;
    void* plugin = ::dlopen(argv[1], RTLD_NOW | scope);
    if (!plugin) {
        std::fprintf(stderr, "dlopen: %s\n", ::dlerror());
        return 1;
    }
    auto entry = reinterpret_cast<const void* (*)()>(::dlsym(plugin, "gocsp_test_plugin"));
    if (!entry) return 1;
    std::printf("%s\n", entry() == mine ? "one runtime" : "more than one runtime");
    return 0;
}
