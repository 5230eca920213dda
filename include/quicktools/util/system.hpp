#pragma once
// Small facts about the running process and the clock.
#include <chrono>
#include <string>

namespace quicktools::util {

// The operating-system user running the tool (SUDO_USER when run through sudo).
std::string os_user();

// A UTC timestamp as the web app (SQLAlchemy) writes DATETIME: 'YYYY-MM-DD HH:MM:SS.ffffff'.
std::string timestamp(std::chrono::system_clock::time_point t);
std::string now_timestamp();

// Same format for a Unix time in seconds.
std::string timestamp_from_unix(long long seconds);

// All of standard input. A read error throws Error; so does Ctrl-C or SIGTERM while waiting
// for it (exit 130), instead of the shorter text a stream would hand back.
std::string read_stdin();

}  // namespace quicktools::util
