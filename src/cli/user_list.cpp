// `quicktools user list [--api|--no-api] [--tier NAME] [--min-balance N] [--limit N]`.
#include <fmt/format.h>

#include "commands.hpp"
#include "user_render.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

struct UserListOptions {
    bool api = false;
    bool no_api = false;
    std::string tier;
    std::int64_t min_balance = 0;
    std::int64_t limit = 50;
};

std::string to_text(const report::UserList& list) {
    std::string out = fmt::format("{:>8}  {:<32} {:>9} {:>10} {:>9}  {:<4}  {}\n", "id", "email", "balance",
                                  "purchased", "used", "API", "support tier");
    for (const auto& d : list.users)
        out += fmt::format("{:>8}  {:<32} {:>9} {:>10} {:>9}  {:<4}  {}\n", d.user.id, util::display(d.user.email),
                           d.user.balance, d.user.purchased_total, d.user.lifetime_used,
                           d.user.api_access ? "yes" : "no", d.support_tier);
    out += fmt::format("{} of {} matching user{}\n", list.users.size(), list.matching, list.matching == 1 ? "" : "s");
    return out;
}

}  // namespace

void register_user_list(CLI::App& user, Context& ctx) {
    auto opts = std::make_shared<UserListOptions>();
    auto* cmd = user.add_subcommand("list", "List users by id, filtered by API access, support tier and balance");
    auto* api = cmd->add_flag("--api", opts->api, "Only users with API access unlocked");
    cmd->add_flag("--no-api", opts->no_api, "Only users without API access")->excludes(api);
    cmd->add_option("--tier", opts->tier, "Only this support tier: community, email, priority or dedicated")
        ->type_name("NAME");
    cmd->add_option("--min-balance", opts->min_balance, "Only users with at least N credits")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000'000}))
        ->type_name("N");
    cmd->add_option("--limit", opts->limit, "At most N users (default 50)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}))
        ->type_name("N");
    cmd->footer(
        "Examples:\n  quicktools user list --api --tier priority\n  quicktools user list --min-balance 1000 "
        "--limit 10 --json");
    cmd->callback([&ctx, opts] {
        report::UserFilter filter;
        if (opts->api || opts->no_api) filter.api = opts->api;
        if (!opts->tier.empty()) filter.support_tier = opts->tier;
        filter.min_balance = opts->min_balance;
        filter.limit = opts->limit;
        auto database = ctx.open(db::Access::read_only);
        const auto list = report::list_users(database, filter);
        nlohmann::json users = nlohmann::json::array();
        for (const auto& d : list.users) users.push_back(to_json(d));
        ctx.emit({{"users", users}, {"shown", list.users.size()}, {"matching", list.matching}}, to_text(list));
    });
}

}  // namespace quicktools::cli
