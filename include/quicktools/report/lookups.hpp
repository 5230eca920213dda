#pragma once
// Read-only lookups: one user, a filtered list of users, and the report of the whole database.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/migrate/packs_migration.hpp"
#include "quicktools/users/users.hpp"

namespace quicktools::report {

struct MigratedFrom {
    std::string tier;
    std::string status;
    std::string policy;
    std::string migrated_at;
};

struct UserDetails {
    users::User user;
    std::string support_tier;                   // credits::support_tier of the purchased total
    std::optional<MigratedFrom> migrated_from;  // set when `migrate packs` recorded this user
};

// The user named by id or email, with support tier and migration record. Throws Error if there
// is no such user, or (exit 4) if the database has no credit columns yet.
UserDetails show_user(db::Database& db, const std::string& id_or_email);

// Support tiers by short name, for filters: community, email, priority, dedicated.

struct UserFilter {
    std::optional<bool> api;                  // API access unlocked or not
    std::optional<std::string> support_tier;  // a short name of credits::support_tiers
    std::int64_t min_balance = 0;
    std::int64_t limit = 50;
};

struct UserList {
    std::vector<UserDetails> users;  // by id, at most `limit`
    std::int64_t matching = 0;       // how many users match in all
};

// Users matching every filter. Throws a usage Error for an unknown support tier.
UserList list_users(db::Database& db, const UserFilter& filter);

struct PackSales {
    std::string pack;
    std::int64_t sessions = 0;
    std::int64_t credits = 0;
    std::int64_t amount_cents = 0;
    std::int64_t refunded_credits = 0;
};

struct Report {
    db::SchemaState state = db::SchemaState::unknown;
    migrate::Totals totals;
    std::vector<std::pair<std::string, std::int64_t>> support_tiers;  // display name, users
    std::vector<std::int64_t> support_tier_credits;                   // credit balances, same order
    std::vector<PackSales> packs_bought;                              // from quicktools_checkout_sessions
    std::optional<migrate::Completion> migration;
    std::vector<migrate::Breakdown> migrated_by_tier;
    std::int64_t billing_subscriptions = 0;
};

// The summary of the product document at any time, plus support tiers, packs and the migration.
Report build_report(db::Database& db);

}  // namespace quicktools::report
