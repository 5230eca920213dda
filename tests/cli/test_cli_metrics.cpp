#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "cli/metrics.hpp"

using namespace quicktools;
using quicktools::cli::MetricSample;

TEST_SUITE("metrics file") {
    TEST_CASE("families grouped, HELP and TYPE once, label values escaped") {
        const std::vector<MetricSample> samples = {
            {"quicktools_last_run_events", {{"outcome", "credited"}}, 2},
            {"quicktools_attention_items", {}, 1},
            {"quicktools_last_run_events", {{"outcome", "a \"b\" \\ c\nd"}}, 0.5},
        };
        const auto text = cli::render_metrics("stripe_sync", true, 3, 1767225600.25, 1.5, 0, samples);
        CHECK(text.find("# HELP quicktools_last_run_events Events the last run handled, per outcome.\n"
                        "# TYPE quicktools_last_run_events gauge\n"
                        "quicktools_last_run_events{command=\"stripe_sync\",outcome=\"credited\"} 2\n"
                        "quicktools_last_run_events{command=\"stripe_sync\",outcome=\"a \\\"b\\\" \\\\ c\\nd\"} 0.5\n"
                        "# HELP quicktools_attention_items") != std::string::npos);
        CHECK(text.find("quicktools_last_success_timestamp_seconds{command=\"stripe_sync\"} 1767225600.25\n") !=
              std::string::npos);
        CHECK(text.find("quicktools_last_run_exit_code{command=\"stripe_sync\"} 3\n") != std::string::npos);
        CHECK(text.back() == '\n');
    }

    TEST_CASE("a failed run keeps the previous success time and leaves out the run's counts") {
        const auto text = cli::render_metrics("credits_audit", false, 1, 1767225700, 0.25, 1767225600,
                                              {{"quicktools_audit_violations", {}, 4}});
        CHECK(text.find("quicktools_last_run_success{command=\"credits_audit\"} 0\n") != std::string::npos);
        CHECK(text.find("quicktools_last_success_timestamp_seconds{command=\"credits_audit\"} 1767225600\n") !=
              std::string::npos);
        CHECK(text.find("quicktools_audit_violations") == std::string::npos);
        const auto none = cli::render_metrics("credits_audit", false, 1, 1767225700, 0.25, 0, {});
        CHECK(none.find("quicktools_last_success_timestamp_seconds") == std::string::npos);
    }

    TEST_CASE("a metric without a HELP text is a programming error") {
        CHECK_THROWS_AS(cli::render_metrics("x", true, 0, 1, 1, 0, {{"quicktools_made_up", {}, 1}}), std::logic_error);
        CHECK(cli::metric_help("quicktools_made_up").empty());
    }

    TEST_CASE("the previous success time is read for the same command only") {
        const auto path = (std::filesystem::temp_directory_path() / "quicktools_unit_metrics.prom").string();
        cli::write_file_atomically(path, cli::render_metrics("stripe_sync", true, 0, 1767225600.5, 1, 0, {}));
        CHECK(cli::previous_success_time(path, "stripe_sync") == doctest::Approx(1767225600.5));
        CHECK(cli::previous_success_time(path, "stripe_replay") == 0);
        CHECK(cli::previous_success_time(path + ".none", "stripe_sync") == 0);
        std::remove(path.c_str());
    }
}
