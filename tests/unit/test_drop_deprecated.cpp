// Planning and running `db drop-deprecated` on in-memory databases.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>

#include "db_value.hpp"
#include "forked.hpp"
#include "quicktools/db/drop_deprecated.hpp"
#include "quicktools/db/migrations.hpp"

using namespace quicktools;
using namespace quicktools::db;

namespace {

// A credit-packs database with one user and one task, upgraded (history and tool tables).
Database upgraded_database() {
    Database db = Database::in_memory();
    db.execute(std::string(migration(legacy_schema_version).sql));
    db.execute(std::string(migration(credit_pack_columns_version).sql));
    db.execute(
        "INSERT INTO users (id, email, hashed_password, is_active, created_at, subscription_tier, "
        "monthly_credits, credits_used_this_month) VALUES (1, 'a@example.com', 'h', 1, "
        "'2025-01-01 00:00:00.000000', 'free', 10, 0)");
    db.execute(
        "INSERT INTO tasks (user_id, tool, status, credits_charged, created_at) "
        "VALUES (1, 'pdf-merge', 'done', 1, '2025-01-01 00:00:00.000000')");
    upgrade(db, DryRun::no, "test");
    return db;
}

void mark_migrated(Database& db) {
    db.execute(
        "INSERT INTO quicktools_state (name, value, updated_at) "
        "VALUES ('migrate.packs.completed_at', 'now', 'now')");
}

bool has(const std::vector<DependentObject>& objects, const std::string& name) {
    return std::any_of(objects.begin(), objects.end(), [&](const auto& o) { return o.name == name; });
}

}  // namespace

TEST_SUITE("drop_deprecated") {
    TEST_CASE("refuses until the migration is done") {
        Database db = upgraded_database();
        try {
            plan_drop(db, {});
            FAIL("expected a refusal");
        } catch (const Error& e) {
            CHECK(e.code() == ExitCode::refused);
            CHECK(std::string(e.what()).find("migrate packs") != std::string::npos);
        }
    }

    TEST_CASE("an active subscription refuses without Force::yes") {
        Database db = upgraded_database();
        mark_migrated(db);
        db.execute("UPDATE users SET stripe_subscription_id = 'sub_1', subscription_status = 'trialing'");
        CHECK_THROWS_AS(plan_drop(db, {}), Error);
        DropOptions forced;
        forced.force = Force::yes;
        CHECK(plan_drop(db, forced).active_subscriptions == 1);
        db.execute(
            "INSERT INTO quicktools_migrated_users (user_id, new_balance, new_purchased_total, "
            "new_api_access, invariant_base, policy, migrated_at, cancel_status) "
            "VALUES (1, 10, 0, 0, 10, 'default', 'now', 'canceled')");
        CHECK(plan_drop(db, {}).active_subscriptions == 0);  // cancelled by the tool
    }

    TEST_CASE("the rehearsal finds objects SQLite would no longer accept") {
        Database db = upgraded_database();
        mark_migrated(db);
        // CREATE VIEW does not check what a view selects, so a broken one can be in the schema.
        db.execute("CREATE VIEW broken AS SELECT users.id FROM users JOIN no_such_table USING (id)");
        db.execute("CREATE VIEW fine AS SELECT id, credits_balance FROM users");
        const DropPlan plan = plan_drop(db, {});
        REQUIRE(has(plan.dropped, "broken"));
        CHECK(plan.dropped.front().reason.find("no longer valid") != std::string::npos);
        CHECK(has(plan.recreated, "fine"));
        CHECK(has(plan.recreated, "ix_users_email"));
        CHECK(std::find(plan.statements.begin(), plan.statements.end(), "DROP TABLE users") != plan.statements.end());
    }

    TEST_CASE("the rewrite keeps rows, children and records migration 004") {
        Database db = upgraded_database();
        mark_migrated(db);
        const DropResult result = drop_deprecated(db, {});
        CHECK(result.users == 1);
        CHECK(detect_state(db).state == SchemaState::final);
        CHECK(test::value_int64(db, "SELECT count(*) FROM tasks") == 1);
        CHECK(test::value_text(db, "SELECT kind FROM quicktools_schema_history WHERE version = 4") == "applied");
        CHECK(test::value_int64(db, "PRAGMA foreign_keys") == 1);  // back on
        CHECK(plan_drop(db, {}).nothing_to_do);
    }

    TEST_CASE("a signal just before the VACUUM stops it, and says the drop itself is committed") {
        // No statement runs between the commit and the VACUUM, so SQLite alone would not see it.
        CHECK(testing::in_child([] {
                  Database db = upgraded_database();
                  mark_migrated(db);
                  DropOptions options;
                  options.vacuum = true;
                  options.on_step = [](const std::string& what) {
                      if (what == "vacuuming") std::raise(SIGINT);
                  };
                  const auto result = drop_deprecated(db, options);
                  if (!result.vacuum_error || result.vacuum_error->code() != ExitCode::interrupted ||
                      std::string(result.vacuum_error->what()) !=
                          "interrupted during the VACUUM of :memory:: the deprecated columns are dropped and "
                          "committed; only the compacting stopped (SQLite reuses the free space)")
                      return 1;
                  return detect_state(db).state == SchemaState::final ? 0 : 2;
              }) == 0);
    }
}
