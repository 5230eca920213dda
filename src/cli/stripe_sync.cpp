// `quicktools stripe sync [--since DURATION] [--dry-run] [API options]`: fetch the events
// Stripe's Events API lists since the last sync and apply them as `stripe replay` does.
#include <fmt/format.h>

#include "api_options.hpp"
#include "commands.hpp"
#include "stripe_render.hpp"
#include "quicktools/stripe/events_api.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/sync.hpp"
#include "quicktools/util/system.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

nlohmann::json cursor_json(const std::optional<stripe::SyncCursor>& c) {
    if (!c) return nullptr;
    return {{"event_id", c->event_id}, {"created", c->created}};
}

nlohmann::json to_json(const stripe::SyncResult& r) {
    auto doc = replay_json(r.replay, r.dry_run);
    doc["start"] = r.start;
    doc["since"] = r.since ? nlohmann::json(*r.since) : nlohmann::json(nullptr);
    doc["pages"] = r.pages;
    doc["cursor_before"] = cursor_json(r.cursor_before);
    doc["cursor_after"] = cursor_json(r.cursor_after);
    for (const auto& w : r.warnings) doc["warnings"].push_back(w);
    return doc;
}

std::string to_text(const stripe::SyncResult& r, bool verbose) {
    std::string from;
    if (r.start == "cursor")
        from = fmt::format("since {} UTC (the last sync's newest event {}, less {} minutes of overlap)",
                           util::timestamp_from_unix(*r.since).substr(0, 19), util::display(r.cursor_before->event_id),
                           stripe::sync_overlap_seconds / 60);
    else
        from = fmt::format("since {} UTC{}", util::timestamp_from_unix(*r.since).substr(0, 19),
                           r.start == "default" ? " (no earlier sync: all Stripe still lists)" : "");
    std::string out =
        fmt::format("Listed {} events {} in {} page{}.\n", r.replay.events, from, r.pages, r.pages == 1 ? "" : "s");
    out += replay_text(r.replay, r.dry_run, verbose);
    if (r.cursor_after && !r.dry_run)
        out +=
            fmt::format("Cursor: {}{}.\n", util::display(r.cursor_after->event_id),
                        r.cursor_before && r.cursor_before->event_id == r.cursor_after->event_id ? " (unchanged)" : "");
    return out;
}

}  // namespace

void register_stripe_sync(CLI::App& stripe, Context& ctx) {
    struct Options {
        ListingOptions listing;
        std::string metrics_file;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = stripe.add_subcommand(
        "sync",
        "Fetch the events Stripe's Events API lists since the last sync and apply them as `stripe replay` "
        "does; the cursor is stored with them, so the next run (cron) resumes where this one stopped");
    add_listing_options(*cmd, opts->listing,
                        "List events from this long ago (90m, 36h, 7d, 2w) instead of after the stored cursor; "
                        "Stripe keeps 30 days");
    add_metrics_option(*cmd, opts->metrics_file);
    cmd->footer(
        "Examples:\n  quicktools stripe sync\n  quicktools stripe sync --since 7d --dry-run\n"
        "  */15 * * * * quicktools --db /srv/app/quicktools.db -q stripe sync --live \\\n"
        "      --metrics-file /var/lib/node_exporter/textfile/quicktools_sync.prom || alert\n"
        "Without a stored cursor it lists the last 30 days; with one, from an hour before the newest event "
        "it applied (events can appear late), within the 30 days. Events applied before (by replay, the web "
        "app's webhook or an earlier sync) are not applied again.\n"
        "Exit 3 when any event needs attention (listed in the report), 1 when Stripe cannot be reached "
        "(nothing applied, cursor unchanged).");
    cmd->callback([&ctx, opts] {
        run_with_metrics(opts->metrics_file, "stripe_sync", ctx, [&] {
            auto listing = start_listing(opts->listing, ctx);
            auto& api = listing.api;
            stripe::SyncOptions options;
            options.since_seconds = listing.since_seconds;
            options.dry_run = listing.dry_run;
            options.max_pages = opts->listing.max_pages;
            options.now = listing.now;
            options.replay = listing.replay;
            auto database = ctx.open(db::Access::read_write);
            options.bind = stripe::binding_to_record(stripe::check_account(database, *api.client));
            const auto result = stripe::sync_events(database, *api.client, options);
            for (const auto& w : result.warnings) ctx.note("warning: " + w);
            ctx.emit(to_json(result), to_text(result, ctx.options.verbose > 0));
            if (result.replay.attention_total > 0) ctx.exit_code = ExitCode::check_failed;
            auto samples = replay_metrics(result.replay);
            samples.push_back({"quicktools_stripe_sync_pages", {}, static_cast<double>(result.pages)});
            if (result.cursor_after)
                samples.push_back({"quicktools_stripe_sync_cursor_timestamp_seconds",
                                   {},
                                   static_cast<double>(result.cursor_after->created)});
            return samples;
        });
    });
}

}  // namespace quicktools::cli
