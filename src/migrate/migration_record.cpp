// Reading what `migrate packs` recorded: the completion in quicktools_state, the per-user rows
// of quicktools_migrated_users, and the totals of users.
#include <map>

#include "quicktools/db/sql_files.hpp"
#include "quicktools/migrate/packs_migration.hpp"

namespace quicktools::migrate {

std::string_view to_string(Mode mode) { return mode == Mode::adopt ? "adopt" : "convert"; }

std::optional<Completion> read_completion(db::Database& db) {
    if (!db.has_table("quicktools_state")) return std::nullopt;
    db::Statement q(db, sql::query(db.engine(), "migrate", "state_read"));
    std::map<std::string, std::string> values;
    while (q.step()) values[q.column("name").text()] = q.column("value").text();
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
    db::Statement q(db, sql::query(db.engine(), "migrate", "breakdown_done"));
    while (q.step()) out.push_back(breakdown_row(q));
    return out;
}

Breakdown breakdown_row(db::Statement& row) {
    return {row.column("tier").text(),       row.column("status").text(),       row.column("users").int64(),
            row.column("credits").int64(),   row.column("api_unlocks").int64(), row.column("billing").int64(),
            row.column("api_access").int64()};
}

BillingSubscription billing_row(db::Statement& row) {
    return {row.column("user_id").int64(), row.column("email").text(), row.column("tier").text(),
            row.column("status").text(), row.column("subscription_id").text()};
}

Totals totals_row(db::Statement& row) {
    return {row.column("users").int64(), row.column("credits").int64(), row.column("api_users").int64()};
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
    db::Statement q(db, sql::query(db.engine(), "migrate", "billing_done"));
    q.bind(1, static_cast<std::int64_t>(limit));
    while (q.step()) out.push_back(billing_row(q));
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
        db::Statement q(db, sql::query(db.engine(), "migrate", "user_count"));
        if (q.step()) t.users = q.column("users").int64();
        return t;
    }
    db::Statement q(db, sql::query(db.engine(), "migrate", "totals"));
    if (q.step()) t = totals_row(q);
    return t;
}

}  // namespace quicktools::migrate
