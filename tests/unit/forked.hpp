#pragma once
// For tests that raise SIGINT or SIGTERM: the tool's interrupt flag is process-wide and never
// cleared, so each such test runs in a forked child and reports back through its exit status.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "quicktools/error.hpp"
#include "quicktools/util/interrupt.hpp"

namespace quicktools::testing {

// Runs `body` in a forked child with the tool's signal handlers; its return value (or 98 for
// an exception that escaped) is the child's exit status. A child still running after 30 s is
// killed, and the case fails.
inline int in_child(const std::function<int()>& body) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::alarm(30);  // a child that hangs (a read that never ends) dies of SIGALRM: the case fails
        int code = 98;
        try {
            util::install_interrupt_handlers();
            code = body();
        } catch (...) {
        }
        std::_Exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

// The message of the Error(ExitCode::interrupted) that `work` throws, or "" when it finishes;
// any other exception goes on (in_child then exits 98).
inline std::string interruption(const std::function<void()>& work) {
    try {
        work();
    } catch (const Error& e) {
        if (e.code() == ExitCode::interrupted) return e.what();
        throw;
    }
    return {};
}

}  // namespace quicktools::testing
