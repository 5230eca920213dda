#include "metrics.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <stdexcept>

namespace quicktools::cli {
namespace {

struct MetricsFamily {
    std::string_view name;
    std::string_view help;
};

// Every metric the commands write, gauges all: the values describe the last run.
constexpr MetricsFamily metrics_families[] = {
    {"quicktools_last_run_timestamp_seconds", "When the command's last run ended (Unix time)."},
    {"quicktools_last_success_timestamp_seconds",
     "When the command last ran successfully, exit 0 or 3 (Unix time); absent until it has."},
    {"quicktools_last_run_success", "1 if the command's last run did its work (exit 0 or 3), else 0."},
    {"quicktools_last_run_exit_code", "The exit code of the command's last run."},
    {"quicktools_run_duration_seconds", "How long the command's last run took."},
    {"quicktools_last_run_events", "Events the last run handled, per outcome."},
    {"quicktools_last_run_items", "Items the last run compared, per outcome."},
    {"quicktools_attention_items", "Items the last run left for a person (exit 3 when above 0)."},
    {"quicktools_last_run_credits", "Credits the last run added, clawed back and restored."},
    {"quicktools_stripe_sync_cursor_timestamp_seconds",
     "The created time of the newest event stripe sync has applied (Unix time)."},
    {"quicktools_stripe_sync_pages", "Pages of events the last stripe sync listed."},
    {"quicktools_audit_users_checked", "Users the last credits audit checked."},
    {"quicktools_audit_violations",
     "Users the last credits audit found failing (the invariant, a negative balance or both)."},
    {"quicktools_audit_violations_by_problem",
     "Users the last credits audit found failing, per problem (a user can have both)."},
};

std::string metrics_escape(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string metrics_value(double v) {
    if (std::isfinite(v) && std::fabs(v) < 1e15 && v == std::floor(v))
        return fmt::format("{}", static_cast<long long>(v));
    return fmt::format("{}", v);
}

std::string metrics_labels(std::string_view command, const std::vector<std::pair<std::string, std::string>>& labels) {
    std::string out = fmt::format("{{command=\"{}\"", metrics_escape(command));
    for (const auto& [name, value] : labels) out += fmt::format(",{}=\"{}\"", name, metrics_escape(value));
    return out + "}";
}

// Shown with -q too: a job whose metrics stop changing should say why.
void metrics_warn(const Context& ctx, const Error& e) { ctx.err << "quicktools: warning: " << e.what() << '\n'; }

double metrics_now() {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return static_cast<double>(ms) / 1000.0;
}

}  // namespace

std::string_view metric_help(std::string_view name) {
    for (const auto& f : metrics_families)
        if (f.name == name) return f.help;
    return {};
}

void add_metrics_option(CLI::App& cmd, std::string& path) {
    cmd.add_option("--metrics-file", path,
                   "Write the run's metrics to PATH in Prometheus' text format (node_exporter's textfile "
                   "collector), atomically, also when the run fails")
        ->type_name("PATH");
}

std::string render_metrics(std::string_view command, bool success, int exit_code, double now_seconds,
                           double duration_seconds, double previous_success, const std::vector<MetricSample>& samples) {
    std::vector<MetricSample> all = {
        {"quicktools_last_run_timestamp_seconds", {}, now_seconds},
        {"quicktools_last_run_success", {}, success ? 1.0 : 0.0},
        {"quicktools_last_run_exit_code", {}, static_cast<double>(exit_code)},
        {"quicktools_run_duration_seconds", {}, std::round(duration_seconds * 1000.0) / 1000.0},
    };
    if (success)
        all.push_back({"quicktools_last_success_timestamp_seconds", {}, now_seconds});
    else if (previous_success > 0)
        all.push_back({"quicktools_last_success_timestamp_seconds", {}, previous_success});
    if (success) all.insert(all.end(), samples.begin(), samples.end());
    // Each family once, its samples together, in the order of first appearance.
    std::vector<std::string> order;
    for (const auto& s : all) {
        if (metric_help(s.name).empty()) throw std::logic_error("no # HELP text for metric " + s.name);
        if (std::find(order.begin(), order.end(), s.name) == order.end()) order.push_back(s.name);
    }
    std::string out;
    for (const auto& name : order) {
        out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, metric_help(name), name);
        for (const auto& s : all)
            if (s.name == name)
                out += fmt::format("{}{} {}\n", name, metrics_labels(command, s.labels), metrics_value(s.value));
    }
    return out;
}

double previous_success_time(const std::string& path, std::string_view command) {
    std::ifstream in(path);
    if (!in) return 0;
    const std::string prefix = "quicktools_last_success_timestamp_seconds" + metrics_labels(command, {}) + " ";
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(prefix, 0) != 0) continue;
        char* end = nullptr;
        const std::string rest = line.substr(prefix.size());
        const double v = std::strtod(rest.c_str(), &end);
        if (end != rest.c_str() && std::isfinite(v) && v > 0) return v;
    }
    return 0;
}

void write_file_atomically(const std::string& path, const std::string& content) {
    const std::filesystem::path target(path);
    const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    std::string temp = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) throw Error(fmt::format("cannot write the metrics file {}: {}", path, std::strerror(errno)));
    const auto fail = [&](const char* step) {
        const int err = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        throw Error(fmt::format("cannot write the metrics file {} ({}): {}", path, step, std::strerror(err)));
    };
    std::size_t done = 0;
    while (done < content.size()) {
        const auto n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd, 0644) != 0) fail("chmod");
    if (::fsync(fd) != 0) fail("fsync");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw Error(fmt::format("cannot write the metrics file {}: {}", path, std::strerror(err)));
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw Error(fmt::format("cannot write the metrics file {} (rename): {}", path, std::strerror(err)));
    }
}

void run_with_metrics(const std::string& path, std::string_view command, Context& ctx,
                      const std::function<std::vector<MetricSample>()>& body) {
    if (path.empty()) {
        body();
        return;
    }
    {
        const std::filesystem::path target(path);
        const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec))
            throw usage_error(fmt::format("--metrics-file {}: the directory {} does not exist", path, dir.string()));
        if (std::filesystem::is_directory(target, ec))
            throw usage_error(fmt::format("--metrics-file {}: that is a directory", path));
    }
    const auto started = std::chrono::steady_clock::now();
    const auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    const auto write = [&](bool success, int exit_code, const std::vector<MetricSample>& samples) {
        write_file_atomically(path, render_metrics(command, success, exit_code, metrics_now(), elapsed(),
                                                   previous_success_time(path, command), samples));
    };
    std::vector<MetricSample> samples;
    try {
        samples = body();
    } catch (const Error& e) {
        try {
            write(false, static_cast<int>(e.code()), {});
        } catch (const Error& w) {
            metrics_warn(ctx, w);
        }
        throw;
    } catch (...) {
        try {
            write(false, static_cast<int>(ExitCode::failed), {});
        } catch (const Error& w) {
            metrics_warn(ctx, w);
        }
        throw;
    }
    const bool success = ctx.exit_code == ExitCode::ok || ctx.exit_code == ExitCode::check_failed;
    try {
        write(success, static_cast<int>(ctx.exit_code), samples);
    } catch (const Error& w) {
        metrics_warn(ctx, w);
        if (ctx.exit_code == ExitCode::ok) ctx.exit_code = ExitCode::failed;
    }
}

}  // namespace quicktools::cli
