// `quicktools user show USER`: one user's credits, API access, support tier and last purchase.
#include <fmt/format.h>

#include "commands.hpp"
#include "user_render.hpp"

namespace quicktools::cli {
namespace {

std::string to_text(const report::UserDetails& d) {
    const auto& u = d.user;
    std::string out = fmt::format("User {} <{}>\n", u.id, u.email);
    out += fmt::format("  Balance:          {} credits\n", u.balance);
    out += fmt::format("  Purchased total:  {} credits\n", u.purchased_total);
    out += fmt::format("  Lifetime used:    {} credits\n", u.lifetime_used);
    out += fmt::format("  API access:       {}\n", u.api_access ? "unlocked" : "locked");
    out += fmt::format("  Support tier:     {}\n", d.support_tier);
    if (u.last_purchase_date)
        out += fmt::format("  Last purchase:    {} credits on {}\n",
                           u.last_purchase_amount ? std::to_string(*u.last_purchase_amount) : "?", *u.last_purchase_date);
    else
        out += "  Last purchase:    none\n";
    if (d.migrated_from)
        out += fmt::format("  Migrated from:    {} {} (policy '{}', {})\n",
                           d.migrated_from->tier.empty() ? "-" : d.migrated_from->tier,
                           d.migrated_from->status.empty() ? "" : "(" + d.migrated_from->status + ")",
                           d.migrated_from->policy, d.migrated_from->migrated_at);
    return out;
}

}  // namespace

void register_user_show(CLI::App& user, Context& ctx) {
    auto who = std::make_shared<std::string>();
    auto* cmd = user.add_subcommand("show", "Show one user's balance, purchases, usage, API access and support tier");
    cmd->add_option("USER", *who, "The user's numeric id or email")->required();
    cmd->footer("Examples:\n  quicktools user show 42\n  quicktools user show alice@example.com --json");
    cmd->callback([&ctx, who] {
        auto database = ctx.open(db::Access::read_only);
        const auto details = report::show_user(database, *who);
        ctx.emit(to_json(details), to_text(details));
    });
}

}  // namespace quicktools::cli
