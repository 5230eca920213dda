#include "quicktools/report/lookups.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>

#include "quicktools/credits/packs.hpp"
#include "quicktools/db/schema_state.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/db/statement.hpp"

namespace quicktools::report {
namespace {

const std::string& q(const db::Database& db, std::string_view name) { return sql::query(db.engine(), "report", name); }

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
            return {tiers[i].min_purchased,
                    i + 1 < tiers.size() ? tiers[i + 1].min_purchased : std::numeric_limits<std::int64_t>::max()};
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

users::User user_from_row(db::Statement& row) {
    users::User u;
    u.id = row.column("id").int64();
    u.email = row.column("email").text();
    u.balance = row.column("credits_balance").int64();
    u.purchased_total = row.column("credits_purchased_total").int64();
    u.lifetime_used = row.column("credits_lifetime_used").int64();
    u.api_access = row.column("api_access_unlocked").int32() != 0;
    u.last_purchase_date = row.column("last_purchase_date").optional_text();
    u.last_purchase_amount = row.column("last_purchase_amount").optional_int64();
    return u;
}

void bind_filter(db::Statement& s, const UserFilter& filter, std::pair<std::int64_t, std::int64_t> range) {
    if (filter.api)
        s.bind(":api", *filter.api ? 1 : 0);
    else
        s.bind(":api", std::nullopt);
    s.bind(":purchased_from", range.first);
    s.bind(":purchased_to", range.second);
    s.bind(":min_balance", filter.min_balance);
}

}  // namespace

UserDetails show_user(db::Database& db, const std::string& id_or_email) {
    require_credit_columns(db);
    UserDetails d = details(users::load_user(db, users::resolve_user(db, id_or_email)));
    if (db.has_table("quicktools_migrated_users")) {
        db::Statement m(db, q(db, "migrated_user"));
        m.bind(1, d.user.id);
        if (m.step())
            d.migrated_from = MigratedFrom{m.column("old_tier").text(), m.column("old_status").text(),
                                           m.column("policy").text(), m.column("migrated_at").text()};
    }
    return d;
}

UserList list_users(db::Database& db, const UserFilter& filter) {
    const auto range = filter.support_tier
                           ? purchased_range(*filter.support_tier)
                           : std::pair<std::int64_t, std::int64_t>{0, std::numeric_limits<std::int64_t>::max()};
    require_credit_columns(db);
    UserList out;
    db::Statement list(db, q(db, "user_list"));
    bind_filter(list, filter, range);
    list.bind(":limit", filter.limit);
    while (list.step()) out.users.push_back(details(user_from_row(list)));
    db::Statement count(db, q(db, "user_count"));
    bind_filter(count, filter, range);
    if (count.step()) out.matching = count.column("matching").int64();
    return out;
}

Report build_report(db::Database& db) {
    Report r;
    db::ReadTransaction snapshot(db);  // one snapshot for every figure
    r.state = db::detect_state(db).state;
    r.totals = migrate::current_totals(db);
    if (r.state == db::SchemaState::credit_packs || r.state == db::SchemaState::final) {
        // One scan: users and credits per tier, the tiers' lower bounds bound as parameters.
        db::Statement tiers(db, q(db, "support_tiers"));
        static_assert(credits::support_tiers.size() == 4, "support_tiers in sql/queries/report.sql has 4 tiers");
        for (std::size_t i = 1; i < credits::support_tiers.size(); ++i)
            tiers.bind(static_cast<int>(i), credits::support_tiers[i].min_purchased);
        tiers.step();
        for (std::size_t i = 0; i < credits::support_tiers.size(); ++i) {
            r.support_tiers.emplace_back(std::string(credits::support_tiers[i].name),
                                         tiers.column(fmt::format("users_{}", i + 1)).int64());
            r.support_tier_credits.push_back(tiers.column(fmt::format("credits_{}", i + 1)).int64());
        }
    }
    if (db.has_table("quicktools_checkout_sessions")) {
        db::Statement packs(db, q(db, "packs_bought"));
        while (packs.step())
            r.packs_bought.push_back({packs.column("pack").text(), packs.column("sessions").int64(),
                                      packs.column("credits").int64(), packs.column("amount_total").int64(),
                                      packs.column("refunded_credits").int64()});
    }
    r.migration = migrate::read_completion(db);
    if (r.migration) {
        r.migrated_by_tier = migrate::per_tier(migrate::recorded_breakdown(db));
        r.billing_subscriptions = migrate::billing_count(r.migrated_by_tier);
    }
    return r;
}

}  // namespace quicktools::report
