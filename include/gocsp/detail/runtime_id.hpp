// gocsp/detail/runtime_id.hpp - one runtime per process: the check that a second copy of the
// header-only runtime does not start beside the first.
//
// Why a second runtime can start
//   Header-only, the runtime is reached through statics of inline functions (scheduler::get(),
//   config()). With default visibility the dynamic linker makes every module share one copy of
//   each (g++ emits them as STB_GNU_UNIQUE, which binds process-wide even across
//   dlopen(RTLD_LOCAL)). A shared library built with -fvisibility=hidden keeps its own copies, so
//   its first goroutine or channel starts a second scheduler: its own workers, timers and poller.
//   A goroutine parked on one runtime's channel and readied by the other's then runs on the
//   wrong workers, and nothing reports it. With the compiled runtime (GOCSP_SEPARATE_COMPILATION)
//   all that state is in the runtime's library and every module reaches it by name: modules that
//   link one shared compiled runtime share it, hidden or not; two shared libraries that each
//   link a static one are two runtimes.
//
// The marker
//   Modules with hidden symbols share nothing that is found by name, so the marker lives in the
//   kernel: the first runtime binds an abstract Unix socket named after the process,
//   "\0gocsp-runtime/<pid>/<pid namespace>". Binding is atomic, so two runtimes starting at the
//   same moment cannot both win; a second bind fails with EADDRINUSE, and the runtime that sees
//   it stops the process with a message that names its module and the fix.
//   - exec: the socket is close-on-exec, so a program that execs itself (same pid) starts clean.
//   - fork: a forked child is a new process; a pthread_atfork handler closes its copy of the
//     socket at once (the parent's name stays the parent's; a child that outlived it must not
//     keep it bound for a later process that gets the same pid).
//   - containers: the pid namespace's inode is in the name, so two processes with one pid in
//     different pid namespaces that share a network namespace do not collide.
//   - anything refused (no Unix sockets, a seccomp filter, out of file descriptors): the check
//     is skipped. It must never stop a program that runs one runtime.
//   The cost: one socket and one file descriptor for the process's life, taken once, when the
//   first runtime starts.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fatal.hpp"

namespace gocsp::detail {

/// claim_process_runtime: called once by the scheduler's constructor before any of its threads
/// start. Registers this runtime as the process's one runtime, or, if another module's runtime
/// already runs in this process, ends the process with "fatal error: gocsp: a second gocsp
/// runtime started in this process ..." (status 2), naming this module and the fix.
GOCSP_DECL void claim_process_runtime() noexcept;

#if GOCSP_DEFINE_RUNTIME

/// runtime_marker_fd: this runtime's bound marker socket, or -1. Each runtime's own on purpose:
/// a second runtime sees the first one's marker through the kernel, not through this variable.
GOCSP_DECL int& runtime_marker_fd() noexcept {
    static int fd = -1;
    return fd;
}

/// runtime_marker_after_fork: pthread_atfork's child handler; the child drops the parent's marker.
GOCSP_DECL void runtime_marker_after_fork() noexcept {
    int& fd = runtime_marker_fd();
    if (fd >= 0) ::close(fd);
    fd = -1;
}

/// module_of: the file name of the loaded object (executable or shared library) whose code
/// holds `address`, written to out (at most n bytes); "the executable" when it has no name.
GOCSP_DECL void module_of(const void* address, char* out, std::size_t n) noexcept {
    struct search {
        std::uintptr_t address;
        char* out;
        std::size_t n;
    } s{reinterpret_cast<std::uintptr_t>(address), out, n};
    std::snprintf(out, n, "%s", "the executable");
    ::dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* arg) -> int {
            auto* s = static_cast<search*>(arg);
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_LOAD) continue;
                const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
                if (s->address < start || s->address - start >= ph.p_memsz) continue;
                if (info->dlpi_name && info->dlpi_name[0] != '\0') {
                    std::snprintf(s->out, s->n, "%s", info->dlpi_name);
                } else {
                    char exe[512];
                    const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
                    if (len > 0) std::snprintf(s->out, s->n, "%.*s", static_cast<int>(len), exe);
                }
                return 1;
            }
            return 0;
        },
        &s);
}

GOCSP_DECL void claim_process_runtime() noexcept {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;  // no marker possible: skip the check
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    char pidns[64] = "";
    const ssize_t len = ::readlink("/proc/self/ns/pid", pidns, sizeof pidns - 1);
    if (len > 0) pidns[len] = '\0';
    // sun_path[0] stays '\0': an abstract name, gone with the last descriptor, no file.
    const int n = std::snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "gocsp-runtime/%ld/%s",
                                static_cast<long>(::getpid()), pidns);
    const auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + static_cast<std::size_t>(n));
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), size) == 0) {
        runtime_marker_fd() = fd;
        ::pthread_atfork(nullptr, nullptr, [] { runtime_marker_after_fork(); });
        return;
    }
    const int err = errno;
    ::close(fd);
    if (err != EADDRINUSE) return;  // refused for another reason: skip the check

    char module[512];
    module_of(reinterpret_cast<const void*>(&claim_process_runtime), module, sizeof module);
    char msg[2048];
    std::snprintf(msg, sizeof msg,
                  "gocsp: a second gocsp runtime started in this process (in %s; another module "
                  "already runs one). A module that hides gocsp's symbols (built with "
                  "-fvisibility=hidden) gets its own copy of the header-only runtime (as does a "
                  "shared library that links a static compiled runtime), and channels passed "
                  "between two runtimes break. Build every module against one runtime: link each "
                  "with one shared compiled runtime (GOCSP_SEPARATE_COMPILATION in every module "
                  "and <gocsp/impl/src.hpp> in one shared library; CMake: a library made by "
                  "gocsp_add_runtime_library(<name> SHARED)), or give gocsp default visibility in "
                  "each (no -fvisibility=hidden, or #pragma GCC visibility push(default) around "
                  "the gocsp includes), link an executable that loads such plugins with -rdynamic "
                  "(CMake: ENABLE_EXPORTS), and with clang load them with dlopen(RTLD_GLOBAL). "
                  "See docs/design.md, \"One runtime per process\".",
                  module);
    fatal(msg);
}

#endif  // GOCSP_DEFINE_RUNTIME

}  // namespace gocsp::detail
