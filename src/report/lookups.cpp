#include "quicktools/report/lookups.hpp"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>

#include "quicktools/credits/packs.hpp"
#include "quicktools/db/schema_state.hpp"
#include "quicktools/db/sql_files.hpp"

namespace quicktools::report {
namespace {

const std::string& q(std::string_view name) { return sql::query("report", name); }

void require_credit_columns(db::Database& db) {
    const auto state = db::detect_state(db).state;
    if (state != db::SchemaState::credit_packs && state != db::SchemaState::final)
        throw refusal(fmt::format("{} has no credit columns yet (state {}): run `quicktools migrate packs` first",
                                  db.path(), db::to_string(state)));
}

// The purchased-total range [from, to) of a support tier, by its short name.
std::pair<std::int64_t, std::int64_t> purchased_range(const std::string& name) {
    const auto& tiers = credits::support_tiers;
    std::vector<std::string_view> names;
    for (std::size_t i = 0; i < tiers.size(); ++i) {
        if (tiers[i].short_name == name)
            return {tiers[i].min_purchased, i + 1 < tiers.size() ? tiers[i + 1].min_purchased
                                                                 : std::numeric_limits<std::int64_t>::max()};
        names.push_back(tiers[i].short_name);
    }
    throw usage_error(fmt::format("--tier {}: support tiers are {}", name, fmt::join(names, ", ")));
}

UserDetails details(users::User user) {
    UserDetails d;
    d.support_tier = std::string(credits::support_tier(user.purchased_total));
    d.user = std::move(user);
    return d;
}

users::User user_from_row(SQLite::Statement& row) {
    users::User u;
    u.id = row.getColumn(0).getInt64();
    u.email = row.getColumn(1).getString();
    u.balance = row.getColumn(2).getInt64();
    u.purchased_total = row.getColumn(3).getInt64();
    u.lifetime_used = row.getColumn(4).getInt64();
    u.api_access = row.getColumn(5).getInt() != 0;
    if (!row.getColumn(6).isNull()) u.last_purchase_date = row.getColumn(6).getString();
    if (!row.getColumn(7).isNull()) u.last_purchase_amount = row.getColumn(7).getInt64();
    return u;
}

void bind_filter(SQLite::Statement& s, const UserFilter& filter, std::pair<std::int64_t, std::int64_t> range) {
    if (filter.api) s.bind(":api", *filter.api ? 1 : 0);
    else s.bind(":api");
    s.bind(":purchased_from", range.first);
    s.bind(":purchased_to", range.second);
    s.bind(":min_balance", filter.min_balance);
}

}  // namespace

UserDetails show_user(db::Database& db, const std::string& id_or_email) {
    require_credit_columns(db);
    UserDetails d = details(users::load_user(db, users::resolve_user(db, id_or_email)));
    if (db.has_table("quicktools_migrated_users")) {
        SQLite::Statement m(db.sql(), q("migrated_user"));
        m.bind(1, d.user.id);
        if (m.executeStep())
            d.migrated_from = MigratedFrom{m.getColumn(0).isNull() ? "" : m.getColumn(0).getString(),
                                           m.getColumn(1).isNull() ? "" : m.getColumn(1).getString(),
                                           m.getColumn(2).getString(), m.getColumn(3).getString()};
    }
    return d;
}

UserList list_users(db::Database& db, const UserFilter& filter) {
    const auto range = filter.support_tier ? purchased_range(*filter.support_tier)
                                           : std::pair<std::int64_t, std::int64_t>{0, std::numeric_limits<std::int64_t>::max()};
    require_credit_columns(db);
    UserList out;
    SQLite::Statement list(db.sql(), q("user_list"));
    bind_filter(list, filter, range);
    list.bind(":limit", filter.limit);
    while (list.executeStep()) out.users.push_back(details(user_from_row(list)));
    SQLite::Statement count(db.sql(), q("user_count"));
    bind_filter(count, filter, range);
    if (count.executeStep()) out.matching = count.getColumn(0).getInt64();
    return out;
}

Report build_report(db::Database& db) {
    Report r;
    db.sql().exec("BEGIN");  // one snapshot for every figure
    try {
        r.state = db::detect_state(db).state;
        r.totals = migrate::current_totals(db);
        if (r.state == db::SchemaState::credit_packs || r.state == db::SchemaState::final) {
            // One scan: users and credits per tier, the tiers' lower bounds bound as parameters.
            SQLite::Statement tiers(db.sql(), q("support_tiers"));
            static_assert(credits::support_tiers.size() == 4, "support_tiers in sql/queries/report.sql has 4 tiers");
            for (std::size_t i = 1; i < credits::support_tiers.size(); ++i)
                tiers.bind(static_cast<int>(i), credits::support_tiers[i].min_purchased);
            tiers.executeStep();
            for (int i = 0; i < 4; ++i) {
                r.support_tiers.emplace_back(std::string(credits::support_tiers[static_cast<std::size_t>(i)].name),
                                             tiers.getColumn(i).getInt64());
                r.support_tier_credits.push_back(tiers.getColumn(i + 4).getInt64());
            }
        }
        if (db.has_table("quicktools_checkout_sessions")) {
            SQLite::Statement packs(db.sql(), q("packs_bought"));
            while (packs.executeStep())
                r.packs_bought.push_back({packs.getColumn(0).getString(), packs.getColumn(1).getInt64(),
                                          packs.getColumn(2).getInt64(), packs.getColumn(3).getInt64(),
                                          packs.getColumn(4).getInt64()});
        }
        r.migration = migrate::read_completion(db);
        if (r.migration) {
            r.migrated_by_tier = migrate::per_tier(migrate::recorded_breakdown(db));
            r.billing_subscriptions = migrate::billing_count(r.migrated_by_tier);
        }
    } catch (...) {
        db.sql().exec("ROLLBACK");
        throw;
    }
    db.sql().exec("COMMIT");
    return r;
}

}  // namespace quicktools::report
