// Reading what `migrate packs` recorded: the completion in quicktools_state, the per-user rows
// of quicktools_migrated_users, and the totals of users.
#include <SQLiteCpp/Statement.h>

#include <map>

#include "quicktools/db/sql_files.hpp"
#include "quicktools/migrate/packs_migration.hpp"

namespace quicktools::migrate {
namespace {

std::string text_or_empty(const SQLite::Column& c) { return c.isNull() ? std::string() : c.getString(); }

}  // namespace

std::string_view to_string(Mode mode) { return mode == Mode::adopt ? "adopt" : "convert"; }

std::optional<Completion> read_completion(db::Database& db) {
    if (!db.has_table("quicktools_state")) return std::nullopt;
    SQLite::Statement q(db.sql(), sql::query("migrate", "state_read"));
    std::map<std::string, std::string> values;
    while (q.executeStep()) values[q.getColumn(0).getString()] = q.getColumn(1).getString();
    if (values.count("migrate.packs.completed_at") == 0) return std::nullopt;
    Completion c;
    c.completed_at = values["migrate.packs.completed_at"];
    c.completed_by = values["migrate.packs.completed_by"];
    c.policy = values["migrate.packs.policy"];
    c.mode = values["migrate.packs.mode"];
    const std::string users = values["migrate.packs.users"];
    c.users = users.empty() ? 0 : std::stoll(users);
    return c;
}

std::vector<Breakdown> recorded_breakdown(db::Database& db) {
    std::vector<Breakdown> out;
    if (!db.has_table("quicktools_migrated_users")) return out;
    SQLite::Statement q(db.sql(), sql::query("migrate", "breakdown_done"));
    while (q.executeStep()) out.push_back(breakdown_row(q));
    return out;
}

Breakdown breakdown_row(SQLite::Statement& row) {
    return {row.getColumn(0).getString(), row.getColumn(1).getString(), row.getColumn(2).getInt64(),
            row.getColumn(3).getInt64(),  row.getColumn(4).getInt64(),  row.getColumn(5).getInt64(),
            row.getColumn(6).getInt64()};
}

std::vector<Breakdown> per_tier(const std::vector<Breakdown>& by_tier_status) {
    std::vector<Breakdown> out;
    for (const auto& row : by_tier_status) {
        if (out.empty() || out.back().tier != row.tier) out.push_back({row.tier, "", 0, 0, 0, 0, 0});
        auto& t = out.back();
        t.users += row.users;
        t.credits += row.credits;
        t.api_unlocks += row.api_unlocks;
        t.billing += row.billing;
        t.api_access += row.api_access;
    }
    return out;
}

std::vector<BillingSubscription> recorded_billing(db::Database& db, std::size_t limit) {
    std::vector<BillingSubscription> out;
    if (!db.has_table("quicktools_migrated_users")) return out;
    SQLite::Statement q(db.sql(), sql::query("migrate", "billing_done"));
    q.bind(1, static_cast<std::int64_t>(limit));
    while (q.executeStep())
        out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), text_or_empty(q.getColumn(2)),
                       text_or_empty(q.getColumn(3)), q.getColumn(4).getString()});
    return out;
}

std::int64_t billing_count(const std::vector<Breakdown>& rows) {
    std::int64_t count = 0;
    for (const auto& row : rows) count += row.billing;
    return count;
}

Totals current_totals(db::Database& db) {
    Totals t;
    const auto state = db::detect_state(db).state;
    if (state != db::SchemaState::credit_packs && state != db::SchemaState::final) {
        SQLite::Statement q(db.sql(), sql::query("migrate", "user_count"));
        if (q.executeStep()) t.users = q.getColumn(0).getInt64();
        return t;
    }
    SQLite::Statement q(db.sql(), sql::query("migrate", "totals"));
    if (q.executeStep()) t = {q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64()};
    return t;
}

}  // namespace quicktools::migrate
