// Planning `db drop-deprecated`: the safety rules; the engine works out the statements (on
// SQLite, the table rewrite of src/db/sqlite/table_rewrite.cpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "quicktools/db/drop_deprecated.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/sql_files.hpp"
#include "postgres/pg_drop.hpp"
#include "sqlite/table_rewrite.hpp"

namespace quicktools::db {
namespace {

void check_state(Database& db, const SchemaStatus& status) {
    const auto& path = db.path();
    switch (status.detected.state) {
        case SchemaState::unknown:
            throw refusal(fmt::format("refusing to drop columns from {}: {}", path, status.detected.explanation));
        case SchemaState::legacy:
            throw refusal(
                fmt::format("refusing to drop the subscription columns of {}: it has no credit-pack "
                            "columns yet; run `quicktools db upgrade` and `quicktools migrate packs` first",
                            path));
        default: break;
    }
    if (!status.has_history)
        throw refusal(
            fmt::format("refusing to drop columns from {}: it has no schema history yet; run `quicktools "
                        "db upgrade` and `quicktools migrate packs` first",
                        path));
    if (!status.edited.empty())
        throw refusal(
            fmt::format("refusing to drop columns from {}: applied migration {:03d}_{} differs from this "
                        "quicktools build; use the quicktools version that applied it",
                        path, status.edited.front().version, status.edited.front().name));
    for (int v : status.pending)
        if (v != drop_deprecated_version)
            throw refusal(
                fmt::format("refusing to drop columns from {}: migration {:03d}_{} is pending; run "
                            "`quicktools db upgrade` first",
                            path, v, migration(v, db.engine()).name));
}

void check_migration_done(Database& db) {
    Statement q(db, sql::query(db.engine(), "drop", "migration_done"));
    if (q.step() && q.column(0).int64() != 0) return;
    throw refusal(
        fmt::format("refusing to drop the subscription columns of {}: the users have not been moved to "
                    "credit packs yet (no completed `quicktools migrate packs`); run it first",
                    db.path()));
}

std::int64_t check_subscriptions(Database& db, Force force) {
    Statement q(db, sql::query(db.engine(), "drop", "active_subscriptions"));
    std::int64_t count = 0;
    std::vector<std::int64_t> examples;
    while (q.step()) {
        if (examples.size() < 5) examples.push_back(q.column("id").int64());
        ++count;
    }
    if (count > 0 && force == Force::no)
        throw refusal(
            fmt::format("refusing to drop the subscription columns of {}: {} user(s) still have a Stripe "
                        "subscription recorded as active, trialing or past_due (user ids {}{}), which "
                        "Stripe keeps billing; cancel them first, or pass --force if you know they are "
                        "cancelled",
                        db.path(), count, fmt::join(examples, ", "), count > 5 ? ", ..." : ""));
    return count;
}

}  // namespace

DropPlan plan_drop(Database& db, const DropOptions& options) {
    DropPlan plan;
    const SchemaStatus status = schema_status(db);
    plan.state = status.detected.state;
    if (plan.state == SchemaState::final) {
        plan.nothing_to_do = true;
        return plan;
    }
    check_state(db, status);
    check_migration_done(db);
    plan.active_subscriptions = check_subscriptions(db, options.force);
    if (db.engine() == Engine::postgres)
        postgres::plan_users_drop(db, options, plan);
    else
        sqlite::plan_users_rewrite(db, options, plan);
    return plan;
}

}  // namespace quicktools::db
