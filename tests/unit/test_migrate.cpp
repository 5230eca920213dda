#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include "quicktools/db/migrations.hpp"
#include "quicktools/error.hpp"
#include "quicktools/migrate/packs_migration.hpp"
#include "quicktools/migrate/policy.hpp"
#include "quicktools/report/lookups.hpp"

using namespace quicktools;

namespace {

db::Database legacy_db() {
    auto db = db::Database::in_memory();
    db.sql().exec(std::string(db::migration(db::legacy_schema_version).sql));
    db.sql().exec(
        "INSERT INTO users (id, email, hashed_password, is_active, created_at, subscription_tier, subscription_status, "
        "stripe_subscription_id, monthly_credits, credits_used_this_month) VALUES "
        "(1, 'a@x', 'h', 1, 'now', 'pro', 'active', 'sub_1', 1000, 0),"
        "(2, 'b@x', 'h', 1, 'now', 'free', NULL, NULL, 10, 4),"
        "(3, 'c@x', 'h', 1, 'now', 'business', 'canceled', NULL, 5000, 6000),"
        "(4, 'd@x', 'h', 1, 'now', 'basic', 'past_due', 'sub_4', 200, 50)");
    return db;
}

std::int64_t scalar(db::Database& db, const std::string& sql) {
    SQLite::Statement q(db.sql(), sql);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

int exit_code_of(const std::string& text) {
    try {
        migrate::parse_policy(text, "p.json");
    } catch (const Error& e) {
        return static_cast<int>(e.code());
    }
    return 0;
}

}  // namespace

TEST_SUITE("migrate policy") {
    TEST_CASE("the default policy is the SPEC's") {
        const auto p = migrate::default_policy();
        REQUIRE(p.tiers.size() == 4);
        CHECK(p.tiers[0].tier == "free");
        CHECK_FALSE(p.tiers[0].api);
        CHECK(p.tiers[2].api);
        CHECK(p.tiers[2].credits == migrate::CreditsRule::unused_allowance);
        CHECK(p.tiers[3].api_statuses == std::vector<std::string>{"active", "trialing"});
    }
    TEST_CASE("a file overrides what it names and keeps the rest") {
        const auto p = migrate::parse_policy(
            R"({"name": "x", "tiers": {"basic": {"credits": 250, "purchased_equivalent": 500}, "pro": {"credits": "full"}}})",
            "p.json");
        CHECK(p.name == "x");
        CHECK(p.tiers[1].credits == migrate::CreditsRule::fixed);
        CHECK(p.tiers[1].fixed_credits == 250);
        CHECK(p.tiers[1].purchased_equivalent == 500);
        CHECK(p.tiers[2].credits == migrate::CreditsRule::full_allowance);
        CHECK(p.tiers[2].api);
        CHECK(migrate::describe(p.tiers[1]) == "250");
    }
    TEST_CASE("malformed policies are usage errors") {
        CHECK(exit_code_of("{") == 2);
        CHECK(exit_code_of(R"({"tiers": {"pro": {"credits": -1}}})") == 2);
        CHECK(exit_code_of(R"({"tiers": {"pro": {"credits": 1000001}}})") == 2);
        CHECK(exit_code_of(R"({"tiers": {"pro": {"api_statuses": ["nope"]}}})") == 2);
        CHECK(exit_code_of(R"({"tier": {}})") == 2);
        CHECK(exit_code_of(R"({"tiers": {"pro": {"credits": 1000000}}})") == 0);
    }
}

TEST_SUITE("migrate packs") {
    TEST_CASE("a dry run plans and changes nothing") {
        auto db = legacy_db();
        migrate::MigrateOptions options;
        options.dry_run = db::DryRun::yes;
        const auto r = migrate::migrate_packs(db, options);
        CHECK(r.dry_run);
        CHECK(r.mode == migrate::Mode::convert);
        CHECK(r.totals.users == 4);
        CHECK(r.totals.credits == 1000 + 6 + 0 + 150);
        CHECK(r.totals.api_users == 1);
        CHECK(r.billing_count == 2);
        CHECK_FALSE(db.has_table("quicktools_migrated_users"));
    }
    TEST_CASE("a run converts, records and does not run twice") {
        auto db = legacy_db();
        migrate::MigrateOptions options;
        options.actor = "test";
        const auto r = migrate::migrate_packs(db, options);
        CHECK_FALSE(r.already_done);
        CHECK(r.totals.credits == 1156);
        CHECK(scalar(db, "SELECT credits_balance FROM users WHERE id = 1") == 1000);
        CHECK(scalar(db, "SELECT api_access_unlocked FROM users WHERE id = 1") == 1);
        CHECK(scalar(db, "SELECT count(*) FROM quicktools_migrated_users") == 4);
        CHECK(scalar(db, "SELECT invariant_base FROM quicktools_migrated_users WHERE user_id = 4") == 150);
        const auto again = migrate::migrate_packs(db, options);
        CHECK(again.already_done);
        REQUIRE(again.completion);
        CHECK(again.completion->users == 4);
        CHECK(again.completion->completed_by == "test");
        CHECK(again.totals.credits == 1156);
    }
    TEST_CASE("an unknown tier is refused and nothing changes") {
        auto db = legacy_db();
        db.sql().exec("UPDATE users SET subscription_tier = 'gold' WHERE id = 2");
        migrate::MigrateOptions options;
        CHECK_THROWS_AS(migrate::migrate_packs(db, options), Error);
        CHECK_FALSE(db.has_table("quicktools_migrated_users"));
    }
}

TEST_SUITE("lookups") {
    TEST_CASE("user list filters by support tier") {
        auto db = legacy_db();
        migrate::migrate_packs(db, {});
        db.sql().exec("UPDATE users SET credits_purchased_total = 1200 WHERE id = 3");
        report::UserFilter filter;
        filter.support_tier = "priority";
        const auto list = report::list_users(db, filter);
        REQUIRE(list.users.size() == 1);
        CHECK(list.users[0].user.id == 3);
        CHECK(list.users[0].support_tier == "Priority (24h response)");
        filter.support_tier = "gold";
        CHECK_THROWS_AS(report::list_users(db, filter), Error);
    }
}
