#pragma once
// `migrate packs`: every user from a subscription to credit packs, in one transaction, with a
// per-user record (quicktools_migrated_users) so the result can be audited and undone.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/schema_state.hpp"
#include "quicktools/migrate/policy.hpp"

namespace quicktools::migrate {

enum class Mode {
    convert,  // subscription columns -> credits by the policy
    adopt,    // an earlier script already converted: keep the values, record them as the opening
};

struct Totals {
    std::int64_t users = 0;
    std::int64_t credits = 0;    // sum of every balance
    std::int64_t api_users = 0;  // users with API access
};

// One old tier (status empty) or one old tier and status.
struct Breakdown {
    std::string tier;
    std::string status;
    std::int64_t users = 0;
    std::int64_t credits = 0;      // the balances the migration set
    std::int64_t api_unlocks = 0;  // users whose API access the migration turned on
    std::int64_t billing = 0;      // users whose Stripe subscription keeps billing
    std::int64_t api_access = 0;   // users with API access afterwards
};

// Reads one breakdown row: columns tier, status, users, credits, api_unlocks, billing, api_access.
Breakdown breakdown_row(db::Statement& row);

// A Stripe subscription that Stripe keeps billing until someone cancels it.
struct BillingSubscription {
    std::int64_t user_id = 0;
    std::string email;
    std::string tier;
    std::string status;
    std::string subscription_id;
};

// Reads one row of columns user_id, email, tier, status, subscription_id (NULL reads as "").
BillingSubscription billing_row(db::Statement& row);

// Reads one row of columns users, credits, api_users.
Totals totals_row(db::Statement& row);

// What quicktools_state says about an earlier run.
struct Completion {
    std::string completed_at;
    std::string completed_by;
    std::int64_t users = 0;
    std::string policy;
    std::string mode;  // convert or adopt
};

struct MigrateOptions {
    DryRun dry_run = DryRun::no;
    Policy policy = default_policy();
    std::optional<std::string> backup_path;  // none: no backup (--no-backup)
    std::string actor;
    std::size_t billing_list_limit = 1000;
    // Users per transaction (--batch): each batch commits on its own and a re-run resumes after
    // the last committed one. 0: every user in one transaction.
    std::int64_t batch = 0;
    // Called with (users done, users in all) as the work advances.
    std::function<void(std::int64_t, std::int64_t)> progress;
};

struct MigrateResult {
    bool dry_run = false;
    bool already_done = false;  // an earlier run did it; nothing changed
    Mode mode = Mode::convert;
    std::string policy;
    db::SchemaState state_before = db::SchemaState::unknown;
    std::vector<int> schema_applied;  // migrations applied (or to apply) first
    std::optional<std::string> backup_path;
    std::int64_t backup_bytes = 0;
    std::optional<Completion> completion;  // the earlier run when already_done, this run otherwise
    Totals totals;                         // after the migration (planned, for a dry run)
    std::vector<Breakdown> by_tier;
    std::vector<Breakdown> by_tier_status;
    std::int64_t billing_count = 0;
    std::vector<BillingSubscription> billing;  // the first billing_list_limit of them
};

// Runs the migration (or, with DryRun::yes, plans it without changing anything). Upgrades the
// schema first in the same transaction. Throws: exit 4 for an unknown schema, tiers the policy
// does not cover or an existing backup path; exit 1 if the write lock does not come.
MigrateResult migrate_packs(db::Database& db, const MigrateOptions& options);

// The earlier run recorded in quicktools_state, if any (the database may lack the tool tables).
std::optional<Completion> read_completion(db::Database& db);

// Per old tier and status, from quicktools_migrated_users.
std::vector<Breakdown> recorded_breakdown(db::Database& db);
// Per old tier, summed from a per-tier-and-status breakdown.
std::vector<Breakdown> per_tier(const std::vector<Breakdown>& by_tier_status);
// The first `limit` subscriptions still billing, from quicktools_migrated_users.
std::vector<BillingSubscription> recorded_billing(db::Database& db, std::size_t limit);
// How many subscriptions keep billing, summed from a breakdown.
std::int64_t billing_count(const std::vector<Breakdown>& rows);

// Total users, credits and API access from users (zeros if it has no credit columns yet).
Totals current_totals(db::Database& db);

std::string_view to_string(Mode mode);

}  // namespace quicktools::migrate
