#pragma once
// Ctrl-C and SIGTERM: the running SQL statement is interrupted, the transaction rolls back,
// and the tool exits 130 with nothing half-done.
struct sqlite3;

namespace quicktools::util {

// Installs the SIGINT/SIGTERM handlers (once, from main).
void install_interrupt_handlers();

// The connection whose statements a signal interrupts (nullptr for none).
void set_interruptible(sqlite3* connection);

// Forgets the connection if it is the registered one (when it closes).
void clear_interruptible(sqlite3* connection);

// True once SIGINT or SIGTERM arrived; long loops check it and throw.
bool interrupted();

// Throws Error(ExitCode::interrupted) if interrupted() is true.
void throw_if_interrupted();

}  // namespace quicktools::util
