#pragma once
// Ctrl-C and SIGTERM: the running SQL statement is interrupted, the transaction rolls back,
// and the tool exits 130 with nothing half-done.
//
// Interrupting a connection while no statement runs has no effect (SQLite and PostgreSQL both
// document this), so a signal between two statements would be lost. The flag below is what counts: long loops
// check it, waits (a read from a pipe, a retry delay, an HTTP transfer) end on it, and a write
// transaction never commits once it is set.
#include <chrono>
#include <cstddef>
#include <string_view>

namespace quicktools::util {

// A database connection whose running statement a signal can stop (SQLite: its interrupt call;
// PostgreSQL: PQcancel). interrupt() runs inside the signal handler: it must be
// async-signal-safe and must not throw.
class Interruptible {
public:
    virtual void interrupt() noexcept = 0;

protected:
    ~Interruptible() = default;
};

// Installs the SIGINT/SIGTERM handlers (once, from main).
void install_interrupt_handlers();

// The connection whose statements a signal interrupts. The first one registered stays (the
// command's own); later ones (a backup's reader) are ignored.
void set_interruptible(Interruptible* connection);

// Forgets the connection if it is the registered one (when it closes).
void clear_interruptible(Interruptible* connection);

// True once SIGINT or SIGTERM arrived; long loops check it and throw.
bool interrupted();

// Throws Error(ExitCode::interrupted) if interrupted() is true.
void throw_if_interrupted();

// Waits until `fd` can be read without blocking (data, end of input or an error); throws
// Error(ExitCode::interrupted) on a signal. It looks at the flag at least every 100 ms, so a
// signal that came just before the wait (where a blocking read would miss it) still counts.
void wait_until_readable(int fd);

// Reads up to `size` bytes from `fd` into `buffer` once some can be read (wait_until_readable):
// the count, 0 at the end of the input. Throws Error(ExitCode::interrupted) on a signal and
// Error("cannot read NAME: ...") on a read error.
std::size_t read_some(int fd, char* buffer, std::size_t size, std::string_view name);

// Sleeps for `duration`, or less if a signal arrives (the caller then checks interrupted()).
void sleep_unless_interrupted(std::chrono::milliseconds duration);

}  // namespace quicktools::util
