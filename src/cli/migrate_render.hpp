#pragma once
// Text and JSON renderings of a migration's result, shared by `migrate packs` and `report`.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "quicktools/migrate/packs_migration.hpp"

namespace quicktools::cli {

// Which columns a breakdown has: per old tier, or per old tier and status.
enum class BreakdownColumns { tier, tier_and_status };

nlohmann::json to_json(const migrate::Totals& totals);
nlohmann::json to_json(const std::vector<migrate::Breakdown>& rows, BreakdownColumns columns);
nlohmann::json billing_json(std::int64_t count, const std::vector<migrate::BillingSubscription>& shown);

// "Total users: N\nTotal credits in system: N\nUsers with API access: N\n" (the design document's summary).
std::string totals_text(const migrate::Totals& totals);
// A table of old tiers (and statuses), with credits granted and API unlocks.
std::string breakdown_text(const std::vector<migrate::Breakdown>& rows, BreakdownColumns columns);
// The subscriptions Stripe keeps billing: the count, what to do, and the first `shown`.
std::string billing_text(std::int64_t count, const std::vector<migrate::BillingSubscription>& shown,
                         std::size_t max_lines);

}  // namespace quicktools::cli
