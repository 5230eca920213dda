// `quicktools stripe reconcile [--since DURATION] [--dry-run] [API options]`: compare what
// Stripe lists (completed Checkout Sessions, refunds, disputes of a window) with the database
// and apply what is missing by the replay's rules.
#include <fmt/format.h>

#include "api_options.hpp"
#include "commands.hpp"
#include "stripe_render.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/events_api.hpp"
#include "quicktools/stripe/reconcile.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::cli {
namespace {

nlohmann::json reconcile_json(const stripe::ReconcileResult& r) {
    auto doc = replay_json(r.applied, r.dry_run);
    doc["ok"] = r.attention_total() == 0;
    doc["attention_total"] = r.attention_total();
    doc["since"] = r.since;
    doc["pages"] = r.pages;
    doc["listed"] = {
        {"checkout_sessions", r.sessions_listed}, {"refunds", r.refunds_listed}, {"disputes", r.disputes_listed}};
    doc["in_sync"] = r.in_sync;
    doc["unpaid"] = r.unpaid;
    doc["local_checked"] = r.local_checked;
    doc["credits_shortfall"] = r.applied.credits_shortfall;
    auto unconfirmed = nlohmann::json::array();
    for (const auto& u : r.unconfirmed)
        unconfirmed.push_back(
            {{"session_id", u.session_id}, {"user_id", u.user_id}, {"pack", u.pack}, {"reason", u.reason}});
    doc["unconfirmed"] = unconfirmed;
    return doc;
}

// The replay's metrics for what was applied, the listed objects per outcome, and everything
// left for a person (events needing attention and unconfirmed sessions).
std::vector<MetricSample> reconcile_metrics(const stripe::ReconcileResult& r) {
    auto samples = replay_metrics(r.applied);
    for (auto& s : samples)
        if (s.name == "quicktools_attention_items") s.value = static_cast<double>(r.attention_total());
    const std::pair<const char*, std::int64_t> items[] = {
        {"in_sync", r.in_sync}, {"unpaid", r.unpaid}, {"unconfirmed", static_cast<std::int64_t>(r.unconfirmed.size())}};
    for (const auto& [outcome, n] : items)
        samples.push_back({"quicktools_last_run_items", {{"outcome", outcome}}, static_cast<double>(n)});
    return samples;
}

std::string plural(std::int64_t n, const char* one, const char* many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

// The replay's report, worded for objects applied rather than events replayed.
std::string applied_text(const stripe::ReplayResult& applied, bool dry_run, bool verbose) {
    auto text = replay_text(applied, dry_run, verbose);
    for (const std::string_view from : {"Would replay ", "Replayed "})
        if (text.compare(0, from.size(), from) == 0) {
            text.replace(0, from.size(), dry_run ? "Would apply " : "Applied ");
            break;
        }
    return text;
}

std::string reconcile_text(const stripe::ReconcileResult& r, bool verbose) {
    std::string out =
        fmt::format("Listed {}, {} and {} created since {} UTC ({}); asked for {} credited here but not listed.\n",
                    plural(r.sessions_listed, "completed checkout session", "completed checkout sessions"),
                    plural(r.refunds_listed, "refund", "refunds"), plural(r.disputes_listed, "dispute", "disputes"),
                    util::timestamp_from_unix(r.since).substr(0, 19), plural(r.pages, "page", "pages"),
                    plural(r.local_checked, "session", "sessions"));
    out += fmt::format("Already in the database: {}; waiting for an asynchronous payment: {}.\n", r.in_sync, r.unpaid);
    if (r.applied.events == 0)
        out += r.dry_run ? "Nothing would be applied.\n" : "Nothing to apply: the database agrees with Stripe.\n";
    else
        out += applied_text(r.applied, r.dry_run, verbose);
    if (!r.unconfirmed.empty()) {
        out += fmt::format("Credited here but not confirmed by Stripe ({}):\n", r.unconfirmed.size());
        for (const auto& u : r.unconfirmed)
            out += fmt::format("  {} (user {}, {} pack): {}\n", u.session_id, u.user_id, u.pack, u.reason);
    }
    return out;
}

}  // namespace

void register_stripe_reconcile(CLI::App& stripe, Context& ctx) {
    struct Options {
        ListingOptions listing;
        std::string metrics_file;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = stripe.add_subcommand(
        "reconcile",
        "Compare the Checkout Sessions, refunds and disputes Stripe lists for a window with the database: credit "
        "paid sessions no event reported, apply missing refunds and disputes, report what Stripe does not confirm");
    add_listing_options(*cmd, opts->listing,
                        "The window: objects created this long ago or later (90m, 36h, 7d, 2w; default 30d, at "
                        "most a year; any age, unlike the Events API)");
    add_metrics_option(*cmd, opts->metrics_file);
    cmd->footer(
        "Examples:\n  quicktools stripe reconcile --dry-run\n  quicktools stripe reconcile --since 90d --live\n"
        "Everything is listed first (a failure changes nothing), then applied in one transaction by the rules "
        "of `stripe replay`: a credited session is recorded, so its own event is a duplicate later; a re-run "
        "changes nothing more.\n"
        "Exit 3 when anything needs a person (an object that cannot be applied, a session credited here that "
        "Stripe does not confirm as paid), 1 when Stripe cannot be reached (nothing applied).");
    cmd->callback([&ctx, opts] {
        run_with_metrics(opts->metrics_file, "stripe_reconcile", ctx, [&] {
            auto listing = start_listing(opts->listing, ctx);
            auto& api = listing.api;
            stripe::ReconcileOptions options;
            if (listing.since_seconds) options.since_seconds = *listing.since_seconds;
            options.dry_run = listing.dry_run;
            options.list.max_pages = opts->listing.max_pages;
            options.now = listing.now;
            options.replay = listing.replay;
            auto database = ctx.open(db::Access::read_write);
            options.bind = stripe::binding_to_record(stripe::check_account(database, *api.client));
            const auto result = stripe::reconcile(database, *api.client, options);
            for (const auto& w : result.applied.warnings) ctx.note("warning: " + w);
            ctx.emit(reconcile_json(result), reconcile_text(result, ctx.options.verbose > 0));
            if (result.attention_total() > 0) ctx.exit_code = ExitCode::check_failed;
            return reconcile_metrics(result);
        });
    });
}

}  // namespace quicktools::cli
