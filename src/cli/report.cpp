// `quicktools report`: the design document's summary at any time, support tiers, packs bought
// and the migration.
#include <fmt/format.h>

#include "bars.hpp"
#include "commands.hpp"
#include "migrate_render.hpp"
#include "quicktools/report/lookups.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

nlohmann::json report_json(const report::Report& r) {
    nlohmann::json tiers = nlohmann::json::array();
    for (const auto& [name, users] : r.support_tiers) tiers.push_back({{"support_tier", name}, {"users", users}});
    nlohmann::json packs = nlohmann::json::array();
    for (const auto& p : r.packs_bought)
        packs.push_back({{"pack", p.pack},
                         {"sessions", p.sessions},
                         {"credits", p.credits},
                         {"amount_cents", p.amount_cents},
                         {"refunded_credits", p.refunded_credits}});
    nlohmann::json migration;
    if (r.migration)
        migration = {{"completed_at", r.migration->completed_at},
                     {"completed_by", r.migration->completed_by},
                     {"users", r.migration->users},
                     {"policy", r.migration->policy},
                     {"mode", r.migration->mode},
                     {"by_tier", cli::to_json(r.migrated_by_tier, BreakdownColumns::tier)},
                     {"billing_subscriptions", r.billing_subscriptions}};
    return {{"state", db::to_string(r.state)},
            {"summary", cli::to_json(r.totals)},
            {"support_tiers", tiers},
            {"packs_bought", packs},
            {"migration", migration}};
}

// The distributions as bars: users and credits per support tier, packs sold.
std::string distributions_text(const report::Report& r, int width, bool colour) {
    std::string out;
    if (!r.support_tiers.empty()) {
        std::vector<BarRow> users, credits;
        for (std::size_t i = 0; i < r.support_tiers.size(); ++i) {
            users.push_back({r.support_tiers[i].first, r.support_tiers[i].second, "users"});
            const auto balance = i < r.support_tier_credits.size() ? r.support_tier_credits[i] : 0;
            credits.push_back({r.support_tiers[i].first, balance, "credits"});
        }
        out += "\nUsers per support tier:\n" + bar_chart(users, width, colour);
        out += "\nCredits per support tier:\n" + bar_chart(credits, width, colour);
    }
    out += "\nPacks sold:\n";
    if (r.packs_bought.empty()) return out + "  none recorded\n";
    std::vector<BarRow> sold;
    for (const auto& p : r.packs_bought) sold.push_back({util::display(p.pack), p.sessions, "sold"});
    out += bar_chart(sold, width, colour);
    out += "\nPacks bought:\n";
    for (const auto& p : r.packs_bought)
        out += fmt::format("  {:<10} {:>8} sessions {:>12} credits {:>10} refunded ${}.{:02d}\n", util::display(p.pack),
                           p.sessions, p.credits, p.refunded_credits, p.amount_cents / 100, p.amount_cents % 100);
    return out;
}

std::string to_text(const report::Report& r, int width, bool colour) {
    std::string out = totals_text(r.totals);
    if (r.state == db::SchemaState::legacy || r.state == db::SchemaState::unknown)
        out += fmt::format("(state {}: no credit columns yet; `quicktools migrate packs` adds them)\n",
                           db::to_string(r.state));
    out += distributions_text(r, width, colour);
    if (r.migration) {
        out += fmt::format("\nMigrated to credit packs on {} by {}: {} users, policy '{}' ({}).\n",
                           util::display(r.migration->completed_at), util::display(r.migration->completed_by),
                           r.migration->users, util::display(r.migration->policy),
                           r.migration->mode == "adopt" ? "adopted" : "converted");
        out += breakdown_text(r.migrated_by_tier, BreakdownColumns::tier);
        if (r.billing_subscriptions > 0)
            out += fmt::format(
                "{} old Stripe subscriptions are still billing (`quicktools migrate packs "
                "--cancel-subscriptions` cancels them).\n",
                r.billing_subscriptions);
    } else {
        out += "\nNot migrated to credit packs yet (`quicktools migrate packs --dry-run` shows the plan).\n";
    }
    return out;
}

}  // namespace

void register_report(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("report",
                                   "Summary: total users, total credits, users with API access, support "
                                   "tiers, packs bought and the migration");
    cmd->footer(
        "The distributions are drawn as bars as wide as the terminal (80 columns when piped), in colour "
        "only on a terminal without NO_COLOR or --no-color.\n\nExamples:\n  quicktools report\n"
        "  quicktools report --json");
    cmd->callback([&ctx] {
        auto database = ctx.open(db::Access::read_only);
        const auto r = report::build_report(database);
        ctx.emit(report_json(r), to_text(r, ctx.width(), ctx.colour()));
    });
}

}  // namespace quicktools::cli
