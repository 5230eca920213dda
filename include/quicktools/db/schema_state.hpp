#pragma once
// Which stage of the subscription -> credit packs change a database is at, read off its schema.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/db/database.hpp"

namespace quicktools::db {

enum class SchemaState {
    legacy,        // subscription columns only
    credit_packs,  // all twelve columns: credit packs added, deprecated columns still there
    final,         // deprecated columns gone
    unknown,       // anything else; the tool refuses to guess
};

inline constexpr std::array<std::string_view, 6> credit_pack_columns = {
    "credits_balance",     "credits_purchased_total", "credits_lifetime_used",
    "api_access_unlocked", "last_purchase_date",      "last_purchase_amount"};

inline constexpr std::array<std::string_view, 6> deprecated_columns = {"subscription_tier",       "subscription_status",
                                                                       "stripe_subscription_id",  "monthly_credits",
                                                                       "credits_used_this_month", "credits_reset_date"};

// The tool's own tables (besides the schema history).
inline constexpr std::array<std::string_view, 5> tool_tables = {"quicktools_ledger", "quicktools_migrated_users",
                                                                "quicktools_stripe_events",
                                                                "quicktools_checkout_sessions", "quicktools_state"};

inline constexpr std::string_view history_table = "quicktools_schema_history";

struct StateDetection {
    SchemaState state = SchemaState::unknown;
    std::string explanation;  // why, in a sentence; says what is wrong for `unknown`
    bool has_tool_tables = false;
};

StateDetection detect_state(Database& db);
std::string_view to_string(SchemaState state);

}  // namespace quicktools::db
