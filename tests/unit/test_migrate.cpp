#include <doctest/doctest.h>

#include "quicktools/db/migrations.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/error.hpp"
#include "quicktools/migrate/packs_migration.hpp"
#include "quicktools/migrate/policy.hpp"
#include "quicktools/report/lookups.hpp"
#include "migrate/policy_functions.hpp"

using namespace quicktools;

namespace {

db::Database legacy_db() {
    auto db = db::Database::in_memory();
    db.execute(std::string(db::migration(db::legacy_schema_version).sql));
    db.execute(
        "INSERT INTO users (id, email, hashed_password, is_active, created_at, subscription_tier, subscription_status, "
        "stripe_subscription_id, monthly_credits, credits_used_this_month) VALUES "
        "(1, 'a@x', 'h', 1, 'now', 'pro', 'active', 'sub_1', 1000, 0),"
        "(2, 'b@x', 'h', 1, 'now', 'free', NULL, NULL, 10, 4),"
        "(3, 'c@x', 'h', 1, 'now', 'business', 'canceled', NULL, 5000, 6000),"
        "(4, 'd@x', 'h', 1, 'now', 'basic', 'past_due', 'sub_4', 200, 50)");
    return db;
}

std::int64_t scalar(db::Database& db, const std::string& sql) {
    db::Statement q(db, sql);
    q.step();
    return q.column(0).int64();
}

// Every recorded and every user column a migration sets, except when it ran: a line per user.
std::string outcome(db::Database& db) {
    db::Statement q(db,
                    "SELECT m.user_id, m.old_tier, m.old_status, m.old_subscription_id, m.old_monthly_credits, "
                    "m.old_used_this_month, m.old_balance, m.old_purchased_total, m.old_api_access, m.new_balance, "
                    "m.new_purchased_total, m.new_api_access, m.invariant_base, m.policy, u.credits_balance, "
                    "u.credits_purchased_total, u.api_access_unlocked "
                    "FROM quicktools_migrated_users m JOIN users u ON u.id = m.user_id ORDER BY m.user_id");
    std::string out;
    while (q.step()) {
        for (int i = 0; i < q.column_count(); ++i)
            out += (i ? "," : "") + (q.column(i).is_null() ? std::string("NULL") : q.column(i).text());
        out += "\n";
    }
    return out;
}

bool same_rows(const std::vector<migrate::Breakdown>& a, const std::vector<migrate::Breakdown>& b) {
    auto key = [](const migrate::Breakdown& r) {
        return std::tie(r.tier, r.status, r.users, r.credits, r.api_unlocks, r.billing, r.api_access);
    };
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [&](const auto& x, const auto& y) { return key(x) == key(y); });
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

TEST_SUITE("migrate policy functions") {
    TEST_CASE("credits by rule, plus what the web app added or took since the upgrade, never below zero") {
        migrate::TierRule rule;
        CHECK(migrate::policy_credits(rule, 1000, 300) == 700);
        CHECK(migrate::policy_credits(rule, 200, 250) == 0);
        rule.credits = migrate::CreditsRule::full_allowance;
        CHECK(migrate::policy_credits(rule, 1000, 300) == 1000);
        rule.credits = migrate::CreditsRule::fixed;
        rule.fixed_credits = 42;
        CHECK(migrate::policy_credits(rule, 1000, 300) == 42);
        CHECK(*migrate::new_balance(rule, 1000, 300, 10) == 42);    // untouched since the upgrade
        CHECK(*migrate::new_balance(rule, 1000, 300, 510) == 542);  // bought 500 credits since
        CHECK(*migrate::new_balance(rule, 1000, 300, 0) == 32);     // used all 10 sign-up credits
        rule.fixed_credits = 0;
        CHECK(*migrate::new_balance(rule, 1000, 300, 3) == 0);
    }
    TEST_CASE("API access for the listed statuses of a tier that unlocks it, and never taken away") {
        migrate::TierRule rule;
        rule.api_statuses = {"active", "trialing"};
        CHECK(migrate::new_api_access(rule, "active", false));
        CHECK(migrate::new_api_access(rule, "trialing", false));
        CHECK_FALSE(migrate::new_api_access(rule, "past_due", false));
        CHECK_FALSE(migrate::new_api_access(rule, "", false));
        CHECK(migrate::new_api_access(rule, "canceled", true));
        rule.api_statuses.clear();
        CHECK_FALSE(migrate::new_api_access(rule, "active", false));
    }
    TEST_CASE("the SQL functions follow the policy, refuse an uncovered tier and go away with their owner") {
        auto db = legacy_db();
        auto policy = migrate::default_policy();
        policy.tiers[1].purchased_equivalent = 500;
        {
            migrate::PolicyFunctions functions(db, policy);
            CHECK(scalar(db, "SELECT quicktools_policy_credits('pro', 1000, 250, 10)") == 750);
            CHECK(scalar(db, "SELECT quicktools_policy_purchased('basic', 7)") == 507);
            CHECK(scalar(db, "SELECT quicktools_policy_api('pro', 'trialing', 0)") == 1);
            CHECK(scalar(db, "SELECT quicktools_policy_api('basic', 'active', 0)") == 0);
            CHECK(scalar(db, "SELECT quicktools_policy_covers('gold')") == 0);
            CHECK_FALSE(functions.met_uncovered_tier());
            CHECK_THROWS_AS(scalar(db, "SELECT quicktools_policy_credits('gold', 1, 0, 10)"), db::EngineError);
            CHECK(functions.met_uncovered_tier());
            CHECK(scalar(db,
                         "SELECT sum(quicktools_migrate_tally(subscription_tier, subscription_status, "
                         "stripe_subscription_id IS NOT NULL, monthly_credits, 1, id % 2)) FROM users") == 4);
            REQUIRE(functions.breakdown().size() == 4);
            CHECK(functions.breakdown()[0].tier == "pro");
            CHECK(functions.breakdown()[0].status == "active");
            CHECK(functions.breakdown()[0].credits == 1000);
            CHECK(functions.breakdown()[1].status.empty());  // NULL status
            CHECK(functions.breakdown()[2].api_access == 1);
            CHECK(functions.breakdown()[0].billing == 1);  // active, with a subscription
            CHECK(functions.breakdown()[3].billing == 1);  // past_due, with a subscription
            CHECK(functions.breakdown()[2].billing == 0);  // canceled
        }
        CHECK_THROWS_AS(scalar(db, "SELECT quicktools_policy_covers('free')"), db::EngineError);
    }
}

TEST_SUITE("migrate packs") {
    TEST_CASE("a dry run plans and changes nothing") {
        auto db = legacy_db();
        migrate::MigrateOptions options;
        options.dry_run = DryRun::yes;
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
        db.execute("UPDATE users SET subscription_tier = 'gold' WHERE id = 2");
        migrate::MigrateOptions options;
        try {
            migrate::migrate_packs(db, options);
            FAIL("the migration went ahead");
        } catch (const Error& e) {
            CHECK(e.code() == ExitCode::refused);
            CHECK(std::string(e.what()).find("'gold' (1 users)") != std::string::npos);
        }
        CHECK_FALSE(db.has_table("quicktools_migrated_users"));
    }
    TEST_CASE("setting then recording (legacy) and recording then setting (after db upgrade) agree") {
        auto policy = migrate::default_policy();
        policy.name = "custom";
        policy.tiers[0].credits = migrate::CreditsRule::fixed;
        policy.tiers[0].fixed_credits = 25;
        policy.tiers[1].purchased_equivalent = 500;
        policy.tiers[3].credits = migrate::CreditsRule::full_allowance;
        policy.tiers[3].api_statuses = {"canceled"};
        migrate::MigrateOptions options;
        options.policy = policy;
        options.billing_list_limit = 10;

        auto legacy = legacy_db();
        const auto from_legacy = migrate::migrate_packs(legacy, options);
        auto upgraded = legacy_db();
        db::upgrade(upgraded, DryRun::no, "test");
        const auto from_upgraded = migrate::migrate_packs(upgraded, options);

        CHECK(outcome(legacy) == outcome(upgraded));
        CHECK(outcome(legacy).find("1,pro,active,sub_1,1000,0,10,0,0,1000,0,1,1000,custom,1000,0,1") !=
              std::string::npos);
        CHECK(outcome(legacy).find("3,business,canceled,NULL,5000,6000,10,0,0,5000,0,1,5000,custom,5000,0,1") !=
              std::string::npos);
        // What the tally counted while recording is what the records say.
        CHECK(same_rows(from_legacy.by_tier_status, migrate::recorded_breakdown(legacy)));
        CHECK(same_rows(from_upgraded.by_tier_status, migrate::recorded_breakdown(upgraded)));
        CHECK(same_rows(from_legacy.by_tier_status, from_upgraded.by_tier_status));
        CHECK(from_legacy.totals.credits == 25 + 200 + 1000 + 5000 - 50);
    }
    TEST_CASE("a legacy database whose ledger already holds rows is recorded before it is set") {
        // Not a state the tool makes (its tables come after the credit columns), but if the
        // ledger has rows, the audit base must account for them as the general path does.
        auto db = legacy_db();
        db.execute(sql::query(db.engine(), "history", "create"));
        db.execute(std::string(db::migration(db::tool_tables_version).sql));
        db::record(db, db::migration(db::legacy_schema_version), "baseline", "test");
        db::record(db, db::migration(db::tool_tables_version), "applied", "test");
        db.execute(
            "INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, balance_after, reason, actor, "
            "source, created_at) VALUES (1, 'grant', 5, 5, 15, 'r', 'a', 'cli', 'now')");
        REQUIRE(db::detect_state(db).state == db::SchemaState::legacy);
        const auto r = migrate::migrate_packs(db, {});
        CHECK(r.totals.users == 4);
        CHECK(scalar(db, "SELECT invariant_base FROM quicktools_migrated_users WHERE user_id = 1") == 1000 - 5);
        CHECK(scalar(db, "SELECT invariant_base FROM quicktools_migrated_users WHERE user_id = 2") == 6);
    }
}

TEST_SUITE("lookups") {
    TEST_CASE("user list filters by support tier") {
        auto db = legacy_db();
        migrate::migrate_packs(db, {});
        db.execute("UPDATE users SET credits_purchased_total = 1200 WHERE id = 3");
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
