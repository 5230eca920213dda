#pragma once
// The one error type of quicktools: a sentence a person can act on, and the exit code.
#include <stdexcept>
#include <string>

namespace quicktools {

// Exit codes, as the SPEC fixes them.
enum class ExitCode : int {
    ok = 0,
    failed = 1,        // the command could not do its work
    usage = 2,         // bad command line or bad input
    check_failed = 3,  // a check ran and found problems (verify, audit, events needing attention)
    refused = 4,       // a safety rule stopped the command
    interrupted = 130,
};

// Thrown by the core for anything a user can cause; caught once, in main.
class Error : public std::runtime_error {
public:
    Error(ExitCode code, const std::string& message) : std::runtime_error(message), m_code(code) {}
    explicit Error(const std::string& message) : Error(ExitCode::failed, message) {}
    ExitCode code() const noexcept { return m_code; }

private:
    ExitCode m_code;
};

// Bad input (a usage error): exit 2.
inline Error usage_error(const std::string& message) { return Error(ExitCode::usage, message); }
// A safety rule refused the command: exit 4.
inline Error refusal(const std::string& message) { return Error(ExitCode::refused, message); }

}  // namespace quicktools
