#pragma once
// --metrics-file PATH: a command's last run in Prometheus' text exposition format, for
// node_exporter's textfile collector (cron and systemd jobs). The file is replaced atomically
// (a temporary file in the same directory, then rename; mode 0644), also when the run fails.
//
// Every file has the run's metrics, labelled command="<name>":
//   quicktools_last_run_timestamp_seconds, quicktools_last_run_success (1/0),
//   quicktools_last_run_exit_code, quicktools_run_duration_seconds, and
//   quicktools_last_success_timestamp_seconds (on a failure: kept from the previous file, or left out)
// and, after a run that did its work, the samples the command adds (see metric_help for the names).
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quicktools/cli/context.hpp"

namespace quicktools::cli {

struct MetricSample {
    std::string name;                                         // quicktools_..., one of metric_help's
    std::vector<std::pair<std::string, std::string>> labels;  // besides command="..."
    double value = 0;
};

// The # HELP text of a metric name the commands write; empty for a name that is not one of them.
// One text per name, so files of several commands merge in node_exporter.
std::string_view metric_help(std::string_view name);

// Adds --metrics-file PATH to a command.
void add_metrics_option(CLI::App& cmd, std::string& path);

// The whole file: command is the label value ("stripe_sync"); success means the command did its
// work (exit 0 or 3); previous_success is the last success time to keep after a failure (<= 0:
// none). Throws std::logic_error for a metric name metric_help does not know.
std::string render_metrics(std::string_view command, bool success, int exit_code, double now_seconds,
                           double duration_seconds, double previous_success, const std::vector<MetricSample>& samples);

// The last success time of `command` in the file at `path` (0 when there is none or no file).
double previous_success_time(const std::string& path, std::string_view command);

// Writes `content` to `path` atomically with mode 0644. Throws Error naming the path.
void write_file_atomically(const std::string& path, const std::string& content);

// Runs `body`, which does the command's work and returns its samples, and then, when `path`
// is not empty, writes the metrics file: after success, after exit 3 (ctx.exit_code), and
// after a failure (the exception is rethrown after the file is written). A directory that does
// not exist is a usage error before anything runs; a file that cannot be written is a warning
// on stderr and exit 1 for a run that otherwise succeeded.
void run_with_metrics(const std::string& path, std::string_view command, Context& ctx,
                      const std::function<std::vector<MetricSample>()>& body);

}  // namespace quicktools::cli
