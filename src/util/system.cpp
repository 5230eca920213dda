#include "quicktools/util/system.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "quicktools/error.hpp"
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
    // Years 1 to 9999: the format's range, and far inside what the time point holds.
    if (seconds <= -62'135'596'800 || seconds >= 253'402'300'800)
        throw Error(fmt::format("the Unix time {} is outside the years 1 to 9999", seconds));
    return timestamp(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
}

namespace {

std::string read_fd(int fd, const std::string& name, std::size_t max_bytes, std::string_view what) {
    std::string text;
    char buffer[1 << 16];
    while (const std::size_t n = read_some(fd, buffer, sizeof buffer, name)) {
        if (text.size() + n > max_bytes)
            throw usage_error(fmt::format("{} {} is larger than the {} allowed; is it the right file?", what, name,
                                          size_text(max_bytes)));
        text.append(buffer, n);
    }
    return text;
}

}  // namespace

std::string size_text(std::size_t bytes) {
    if (bytes >= (1U << 20) && bytes % (1U << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
    if (bytes >= (1U << 10) && bytes % (1U << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
    return fmt::format("{} bytes", bytes);
}

std::string read_stdin(std::size_t max_bytes, std::string_view what) {
    return read_fd(STDIN_FILENO, "stdin", max_bytes, what);
}

std::string read_file(const std::string& path, std::size_t max_bytes, std::string_view what) {
    if (path == "-") return read_stdin(max_bytes, what);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw usage_error(fmt::format("cannot read {} {}: {}", what, path, std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        throw usage_error(fmt::format("cannot read {} {}: it is a directory", what, path));
    }
    try {
        auto text = read_fd(fd, path, max_bytes, what);
        ::close(fd);
        return text;
    } catch (...) {
        ::close(fd);
        throw;
    }
}

}  // namespace quicktools::util
