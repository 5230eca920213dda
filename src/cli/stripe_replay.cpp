// `quicktools stripe replay FILE... [--dry-run] [--live] [--retry] [--batch N]`: apply Stripe events from JSON.
#include <fmt/format.h>

#include <cstdlib>
#include <limits>
#include <optional>

#include "api_options.hpp"
#include "commands.hpp"
#include "stripe_render.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/form.hpp"
#include "quicktools/stripe/replay.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::cli {

void register_stripe_replay(CLI::App& stripe, Context& ctx) {
    struct Options {
        std::vector<std::string> inputs;
        bool dry_run = false;
        bool live = false;
        bool retry = false;
        std::optional<std::string> api_key_file;
        std::string metrics_file;
        std::int64_t batch = 0;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = stripe.add_subcommand(
        "replay",
        "Apply Stripe events from JSON files or stdin: credit paid Checkout Sessions, take back refunded "
        "packs, report disputes; each event and each session applies once");
    cmd->add_option("FILE", opts->inputs,
                    "JSON with events: one event, an array, a list object as GET /v1/events returns it, or NDJSON "
                    "('-' is stdin)")
        ->type_name("FILE");
    cmd->add_flag("--dry-run", opts->dry_run, "Show what would happen; change nothing");
    cmd->add_flag("--live", opts->live, "Expect live-mode events (without it, live events need attention)");
    cmd->add_option("--api-key-file", opts->api_key_file,
                    "Fetch thin events (GET /v1/events/{id}) with the key in FILE; STRIPE_API_KEY does the same")
        ->type_name("FILE");
    cmd->add_flag("--retry", opts->retry,
                  "Also try again the events stored as needing attention (for example after adding a missing user)");
    cmd->add_option("--batch", opts->batch,
                    "Commit every N events of an input on their own (a re-run skips the committed ones); default: "
                    "each input in one transaction")
        ->type_name("N")
        ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));
    add_metrics_option(*cmd, opts->metrics_file);
    cmd->footer(
        "Examples:\n  quicktools stripe replay events.json\n  stripe events list --limit 100 | quicktools stripe "
        "replay --dry-run -\n  quicktools stripe replay --retry\n"
        "Exit 3 when any event needs attention (listed in the report).");
    cmd->callback([&ctx, opts] {
        run_with_metrics(opts->metrics_file, "stripe_replay", ctx, [&] {
            if (opts->inputs.empty() && !opts->retry)
                throw usage_error(
                    "name a FILE of events ('-' for stdin), or give --retry to try the stored ones again");
            auto database = ctx.open(db::Access::read_write);
            stripe::require_mode(database, opts->live);
            auto progress = ctx.progress("stripe replay: events");
            stripe::ReplayOptions options;
            options.livemode = opts->live ? stripe::Livemode::live : stripe::Livemode::test;
            options.actor = util::os_user();
            options.batch = opts->dry_run ? 0 : opts->batch;
            // Thin events carry no object: with a key, each is fetched from Stripe. The client is
            // made at the first one, so a replay without thin events never needs a key.
            const char* env_key = std::getenv("STRIPE_API_KEY");
            std::optional<ApiConnection> api;
            if (opts->api_key_file || (env_key != nullptr && *env_key != '\0'))
                options.fetch_event = [&](const std::string& id, std::string& why) -> std::string {
                    try {
                        if (!api) {
                            ApiOptions api_options;
                            api_options.live = opts->live;
                            api_options.api_key_file = opts->api_key_file;
                            api = connect_api(api_options, ctx);
                        }
                        return api->client->get("/v1/events/" + stripe::percent_encode(id)).body.dump();
                    } catch (const Error& e) {
                        if (e.code() == ExitCode::interrupted) throw;
                        why = e.what();
                        return {};
                    }
                };
            std::int64_t before = 0;
            std::int64_t last = 0;
            options.progress = [&](std::int64_t done) {
                if (done < last) before += last;
                last = done;
                progress.advance(before + done);
            };
            const auto retry = opts->retry ? stripe::RetryStored::yes : stripe::RetryStored::no;
            const auto result =
                stripe::replay_inputs(database, opts->inputs, retry, opts->dry_run ? DryRun::yes : DryRun::no, options);
            progress.finish();
            auto doc = replay_json(result, opts->dry_run);
            doc["inputs"] = opts->inputs;
            ctx.emit(doc, replay_text(result, opts->dry_run, ctx.options.verbose > 0));
            if (result.attention_total > 0) ctx.exit_code = ExitCode::check_failed;
            return replay_metrics(result);
        });
    });
}

}  // namespace quicktools::cli
