// `quicktools stripe replay FILE... [--dry-run] [--live] [--retry]`: apply Stripe events from JSON.
#include <fmt/format.h>

#include <algorithm>

#include "commands.hpp"
#include "quicktools/stripe/replay.hpp"
#include "quicktools/util/progress.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::cli {
namespace {

constexpr std::size_t text_attention_limit = 50;

nlohmann::json to_json(const stripe::ReplayResult& r, bool dry_run, const std::vector<std::string>& inputs) {
    nlohmann::json counts = nlohmann::json::object();
    for (auto o : stripe::all_outcomes) counts[std::string(stripe::to_string(o))] = r.count(o);
    nlohmann::json attention = nlohmann::json::array();
    for (const auto& a : r.attention)
        attention.push_back(
            {{"id", a.event_id}, {"type", a.type}, {"outcome", stripe::to_string(a.outcome)}, {"reason", a.reason}});
    return {{"ok", r.attention_total == 0},
            {"attention_total", r.attention_total},
            {"dry_run", dry_run},
            {"inputs", inputs},
            {"events", r.events},
            {"counts", counts},
            {"retried", r.retried},
            {"credits_added", r.credits_added},
            {"credits_clawed_back", r.credits_clawed_back},
            {"attention", attention}};
}

std::string to_text(const stripe::ReplayResult& r, bool dry_run, bool verbose) {
    std::string counts;
    for (auto o : stripe::all_outcomes)
        if (r.count(o) > 0 || o == stripe::Outcome::credited)
            counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", r.count(o), stripe::to_string(o));
    std::string text = fmt::format("{} {} events: {}.\n", dry_run ? "Would replay" : "Replayed", r.events, counts);
    text += fmt::format("Credits added: {}; taken back by refunds: {}{}.\n", r.credits_added, r.credits_clawed_back,
                        r.retried > 0 ? fmt::format("; events tried again: {}", r.retried) : "");
    if (!r.attention.empty()) {
        text += fmt::format("Events that need attention ({}):\n", r.attention_total);
        const auto limit = verbose ? r.attention.size() : std::min(r.attention.size(), text_attention_limit);
        for (std::size_t i = 0; i < limit; ++i) {
            const auto& a = r.attention[i];
            text += fmt::format("  {} {} [{}]: {}\n", a.event_id, a.type, stripe::to_string(a.outcome), a.reason);
        }
        if (static_cast<std::int64_t>(limit) < r.attention_total)
            text += fmt::format("  ... and {} more ({}all are in quicktools_stripe_events)\n",
                                r.attention_total - static_cast<std::int64_t>(limit),
                                verbose ? "" : "-v or --json lists up to 10000; ");
    }
    if (dry_run) text += "Dry run: nothing was changed.\n";
    return text;
}

}  // namespace

void register_stripe_replay(CLI::App& stripe, Context& ctx) {
    struct Options {
        std::vector<std::string> inputs;
        bool dry_run = false;
        bool live = false;
        bool retry = false;
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
    cmd->add_flag("--retry", opts->retry,
                  "Also try again the events stored as needing attention (for example after adding a missing user)");
    cmd->footer(
        "Examples:\n  quicktools stripe replay events.json\n  stripe events list --limit 100 | quicktools stripe "
        "replay --dry-run -\n  quicktools stripe replay --retry\n"
        "Exit 3 when any event needs attention (listed in the report).");
    cmd->callback([&ctx, opts] {
        if (opts->inputs.empty() && !opts->retry)
            throw usage_error("name a FILE of events ('-' for stdin), or give --retry to try the stored ones again");
        auto database = ctx.open(db::Access::read_write);
        util::Progress progress("stripe replay: events", 0,
                                ctx.stderr_is_terminal() && !ctx.options.quiet && !ctx.options.json);
        stripe::ReplayOptions options;
        options.livemode = opts->live ? stripe::Livemode::live : stripe::Livemode::test;
        options.actor = util::os_user();
        std::int64_t before = 0;
        std::int64_t last = 0;
        options.progress = [&](std::int64_t done) {
            if (done < last) before += last;
            last = done;
            progress.update(before + done);
        };
        const auto result = stripe::replay_inputs(database, opts->inputs, opts->retry,
                                                  opts->dry_run ? stripe::DryRun::yes : stripe::DryRun::no, options);
        progress.finish();
        ctx.emit(to_json(result, opts->dry_run, opts->inputs), to_text(result, opts->dry_run, ctx.options.verbose > 0));
        if (result.attention_total > 0) ctx.exit_code = ExitCode::check_failed;
    });
}

}  // namespace quicktools::cli
