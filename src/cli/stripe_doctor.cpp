// `quicktools stripe doctor [--webhook-url URL]... [--pending-after DURATION] [API options]`:
// the key, the webhook endpoints and pending deliveries; exit 3 when something needs fixing.
#include <fmt/format.h>

#include <ctime>
#include <filesystem>

#include "api_options.hpp"
#include "commands.hpp"
#include "quicktools/stripe/doctor.hpp"
#include "quicktools/stripe/events_api.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

nlohmann::json doctor_json(const stripe::DoctorResult& r) {
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : r.findings)
        findings.push_back({{"check", f.check}, {"level", stripe::to_string(f.level)}, {"message", f.message}});
    return {{"ok", r.problems == 0},
            {"problems", r.problems},
            {"warnings", r.warnings},
            {"findings", findings},
            {"account", r.account},
            {"webhook_endpoints", r.webhook_endpoints},
            {"pending_events", r.pending_events}};
}

std::string doctor_text(const stripe::DoctorResult& r) {
    std::string out;
    for (const auto& f : r.findings)
        out +=
            fmt::format("{:<8} {}: {}\n", stripe::to_string(f.level), util::display(f.check), util::display(f.message));
    out += r.problems == 0 ? fmt::format("No problem found ({} warning{}).\n", r.warnings, r.warnings == 1 ? "" : "s")
                           : fmt::format("{} problem{} to fix, {} warning{}.\n", r.problems, r.problems == 1 ? "" : "s",
                                         r.warnings, r.warnings == 1 ? "" : "s");
    return out;
}

}  // namespace

void register_stripe_doctor(CLI::App& stripe, Context& ctx) {
    struct Options {
        std::vector<std::string> webhook_urls;
        std::string pending_after = "10m";
        ApiOptions api;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = stripe.add_subcommand(
        "doctor",
        "Check the Stripe setup: the key against the database's account, the webhook endpoints (enabled, "
        "the event types, the API version) and events whose webhook delivery is still pending; exit 3 when "
        "something needs fixing");
    cmd->add_option("--webhook-url", opts->webhook_urls,
                    "Check only the endpoint(s) with this URL, the app's (default: every endpoint of the mode)")
        ->type_name("URL");
    cmd->add_option("--pending-after", opts->pending_after,
                    "An event older than this whose webhook delivery is still pending is a problem (default 10m)")
        ->type_name("DURATION");
    add_api_options(*cmd, opts->api);
    cmd->footer(
        "Examples:\n  quicktools stripe doctor\n"
        "  quicktools --json stripe doctor --live --webhook-url https://app.example.com/stripe/webhook\n"
        "Each finding is one line: ok, warning or problem. Exit 0 when nothing needs fixing (warnings "
        "allowed), 3 when something does, 1 when Stripe cannot be reached.");
    cmd->callback([&ctx, opts] {
        stripe::DoctorOptions options;
        options.now = static_cast<std::int64_t>(std::time(nullptr));
        options.pending_age = stripe::parse_duration_seconds(opts->pending_after);
        options.pending_window = std::max<std::int64_t>(options.pending_window, options.pending_age + 86400);
        options.webhook_urls = opts->webhook_urls;
        auto api = connect_api(opts->api, ctx);
        std::error_code ec;
        // A SQLite file is looked at only if it is there; a PostgreSQL URI is always opened.
        if (db::is_postgres_uri(ctx.options.db_path) || std::filesystem::exists(ctx.options.db_path, ec)) {
            auto database = ctx.open(db::Access::read_only);
            options.database_found = database.has_table("quicktools_state");
            if (options.database_found) options.binding = stripe::read_account_binding(database);
        }
        const auto result = stripe::run_doctor(*api.client, options);
        ctx.emit(doctor_json(result), doctor_text(result));
        if (result.problems > 0) ctx.exit_code = ExitCode::check_failed;
    });
}

}  // namespace quicktools::cli
