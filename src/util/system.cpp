#include "quicktools/util/system.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "quicktools/util/interrupt.hpp"

namespace quicktools::util {

std::string os_user() {
    if (const char* sudo = std::getenv("SUDO_USER"); sudo != nullptr && *sudo != '\0') return sudo;
    if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) return pw->pw_name;
    if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
    return fmt::format("uid {}", ::geteuid());
}

std::string timestamp(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto seconds = time_point_cast<std::chrono::seconds>(t);
    const auto micros = duration_cast<microseconds>(t - seconds).count();
    const std::time_t tt = system_clock::to_time_t(seconds);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    return fmt::format("{:%Y-%m-%d %H:%M:%S}.{:06d}", tm, micros);
}

std::string now_timestamp() { return timestamp(std::chrono::system_clock::now()); }

std::string timestamp_from_unix(long long seconds) {
    return timestamp(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
}

std::string read_stdin() {
    std::string text;
    char buffer[1 << 16];
    while (const std::size_t n = read_some(STDIN_FILENO, buffer, sizeof buffer, "stdin")) text.append(buffer, n);
    return text;
}

}  // namespace quicktools::util
