#include "quicktools/util/interrupt.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include "quicktools/error.hpp"

namespace quicktools::util {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<Interruptible*> g_connection{nullptr};

extern "C" void on_signal(int) {
    g_interrupted.store(true);
    // The sqlite3 shell and psql do the same from their SIGINT handlers: SQLite only sets a flag
    // that the running statement checks (it then fails with SQLITE_INTERRUPT); PostgreSQL is
    // sent a cancel request.
    if (Interruptible* c = g_connection.load(); c != nullptr) c->interrupt();
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

void set_interruptible(Interruptible* connection) {
    // The first connection opened is the command's own; helper connections (a backup reader)
    // do not take its place.
    Interruptible* expected = nullptr;
    g_connection.compare_exchange_strong(expected, connection);
}

void clear_interruptible(Interruptible* connection) {
    Interruptible* expected = connection;
    g_connection.compare_exchange_strong(expected, nullptr);
}

bool interrupted() { return g_interrupted.load(); }

void throw_if_interrupted() {
    if (interrupted())
        throw Error(ExitCode::interrupted, "interrupted: the transaction was rolled back, nothing changed");
}

void wait_until_readable(int fd) {
    for (;;) {
        throw_if_interrupted();
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, 100);
        if (ready > 0) return;
        if (ready < 0 && errno != EINTR) return;  // the read that follows reports the error
    }
}

std::size_t read_some(int fd, char* buffer, std::size_t size, std::string_view name) {
    for (;;) {
        wait_until_readable(fd);
        const ssize_t n = ::read(fd, buffer, size);
        throw_if_interrupted();
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) throw Error(fmt::format("cannot read {}: {}", name, std::strerror(errno)));
    }
}

void sleep_unless_interrupted(std::chrono::milliseconds duration) {
    // std::this_thread::sleep_for resumes after a signal, so the wait is cut into short slices.
    constexpr std::chrono::milliseconds slice{20};
    const auto until = std::chrono::steady_clock::now() + duration;
    for (auto now = std::chrono::steady_clock::now(); now < until && !interrupted();
         now = std::chrono::steady_clock::now())
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(slice, until - now));
}

}  // namespace quicktools::util
