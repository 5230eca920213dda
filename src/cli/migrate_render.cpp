#include "migrate_render.hpp"
#include "quicktools/util/text.hpp"

#include <fmt/format.h>

namespace quicktools::cli {

nlohmann::json to_json(const migrate::Totals& totals) {
    return {{"total_users", totals.users}, {"total_credits", totals.credits}, {"users_with_api", totals.api_users}};
}

nlohmann::json to_json(const std::vector<migrate::Breakdown>& rows, BreakdownColumns columns) {
    const bool with_status = columns == BreakdownColumns::tier_and_status;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
        nlohmann::json row{{"tier", r.tier.empty() ? nlohmann::json() : nlohmann::json(r.tier)}};
        if (with_status) row["status"] = r.status.empty() ? nlohmann::json() : nlohmann::json(r.status);
        row["users"] = r.users;
        row["credits"] = r.credits;
        row["api_unlocks"] = r.api_unlocks;
        row["billing_subscriptions"] = r.billing;
        row["api_access"] = r.api_access;
        out.push_back(std::move(row));
    }
    return out;
}

nlohmann::json billing_json(std::int64_t count, const std::vector<migrate::BillingSubscription>& shown) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : shown)
        list.push_back({{"user_id", s.user_id},
                        {"email", s.email},
                        {"tier", s.tier},
                        {"status", s.status},
                        {"subscription_id", s.subscription_id}});
    return {{"count", count},
            {"shown", list},
            {"truncated", static_cast<std::int64_t>(shown.size()) < count},
            {"note",
             "Stripe keeps billing these until they are cancelled; `quicktools migrate packs "
             "--cancel-subscriptions` cancels them (and can be run again to finish)"}};
}

std::string totals_text(const migrate::Totals& totals) {
    return fmt::format("Total users: {}\nTotal credits in system: {}\nUsers with API access: {}\n", totals.users,
                       totals.credits, totals.api_users);
}

std::string breakdown_text(const std::vector<migrate::Breakdown>& rows, BreakdownColumns columns) {
    const bool with_status = columns == BreakdownColumns::tier_and_status;
    if (rows.empty()) return "";
    std::string out = with_status ? fmt::format("  {:<10} {:<10} {:>10} {:>14} {:>12} {:>10}\n", "old tier", "status",
                                                "users", "credits", "API unlocks", "billing")
                                  : fmt::format("  {:<10} {:>10} {:>14} {:>12} {:>10}\n", "old tier", "users",
                                                "credits", "API unlocks", "billing");
    for (const auto& r : rows) {
        const std::string tier = r.tier.empty() ? "-" : util::display(r.tier);
        if (with_status)
            out += fmt::format("  {:<10} {:<10} {:>10} {:>14} {:>12} {:>10}\n", tier,
                               r.status.empty() ? "-" : util::display(r.status), r.users, r.credits, r.api_unlocks,
                               r.billing);
        else
            out += fmt::format("  {:<10} {:>10} {:>14} {:>12} {:>10}\n", tier, r.users, r.credits, r.api_unlocks,
                               r.billing);
    }
    return out;
}

std::string billing_text(std::int64_t count, const std::vector<migrate::BillingSubscription>& shown,
                         std::size_t max_lines) {
    if (count == 0) return "No Stripe subscription is still billing.\n";
    std::string out = fmt::format(
        "Stripe keeps billing {} subscription{} (status active, trialing or past_due) until {} cancelled;\n"
        "`quicktools migrate packs --cancel-subscriptions` cancels them (STRIPE_API_KEY; safe to run again):\n",
        count, count == 1 ? "" : "s", count == 1 ? "it is" : "they are");
    std::size_t n = 0;
    for (const auto& s : shown) {
        if (n++ == max_lines) break;
        out += fmt::format("  user {:<8} {:<32} {:<9} {:<9} {}\n", s.user_id, util::display(s.email),
                           util::display(s.tier), util::display(s.status), util::display(s.subscription_id));
    }
    if (static_cast<std::int64_t>(std::min(shown.size(), max_lines)) < count)
        out += fmt::format("  ... and {} more (--json lists the first 1000)\n",
                           count - static_cast<std::int64_t>(std::min(shown.size(), max_lines)));
    return out;
}

}  // namespace quicktools::cli
