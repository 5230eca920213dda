#pragma once
// Small facts about the running process and the clock.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace quicktools::util {

// The operating-system user running the tool (SUDO_USER when run through sudo).
std::string os_user();

// A UTC timestamp as the web app (SQLAlchemy) writes DATETIME: 'YYYY-MM-DD HH:MM:SS.ffffff'.
std::string timestamp(std::chrono::system_clock::time_point t);
std::string now_timestamp();

// Same format for a Unix time in seconds; throws Error outside the years 1 to 9999 (checked
// before converting, so no time point overflows).
std::string timestamp_from_unix(long long seconds);

// All of standard input, at most `max_bytes` of it. A read error throws Error; so does Ctrl-C or
// SIGTERM while waiting for it (exit 130), instead of the shorter text a stream would hand back;
// more than `max_bytes` throws usage_error naming `what` ("the API key file") and the limit
// (nothing is kept past it).
std::string read_stdin(std::size_t max_bytes, std::string_view what);

// All of a file ("-" is stdin), at most `max_bytes`: the same errors as read_stdin, and
// usage_error when it cannot be opened. Reads through read_some, so /dev/zero or a FIFO that never
// ends stops at the limit instead of growing.
std::string read_file(const std::string& path, std::size_t max_bytes, std::string_view what);

// "12 MiB", "64 KiB", "300 bytes": a size limit for a message.
std::string size_text(std::size_t bytes);

}  // namespace quicktools::util
