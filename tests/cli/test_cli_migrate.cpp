// migrate packs in-process: the dry run's plan (JSON and text), the run it predicts, the re-run,
// the planned cancellation without Stripe, and the usage errors and refusals before anything
// changes.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "cli_fixture.hpp"

using quicktools::testing::TestDatabase;

namespace {

bool migrate_has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Backups next to the database.
int migrate_backups(const TestDatabase& db) {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(db.path()).parent_path()))
        if (entry.path().filename().string().find("backup") != std::string::npos) ++n;
    return n;
}

}  // namespace

TEST_SUITE("migrate packs") {
    TEST_CASE("--dry-run plans per tier and status, and changes nothing") {
        const auto db = TestDatabase::legacy(30);
        const auto before = db.dump();
        const auto r = db.run_json({"migrate", "packs", "--dry-run"});
        REQUIRE(r.code == 0);
        CHECK(r.err.empty());
        const auto doc = r.json();
        CHECK(doc["dry_run"] == true);
        CHECK(doc["changed"] == false);
        CHECK(doc["already_done"] == false);
        CHECK(doc["mode"] == "convert");
        CHECK(doc["policy"] == "default");
        CHECK(doc["state_before"] == "legacy");
        CHECK(doc["schema_applied"] == nlohmann::json::array({2, 3, 5}));
        CHECK(doc["backup"].is_null());
        int users = 0;
        std::set<std::pair<std::string, std::string>> seen;
        for (const auto& row : doc["by_tier_status"]) {
            users += row["users"].get<int>();
            seen.emplace(row["tier"], row["status"].is_null() ? "-" : row["status"].get<std::string>());
        }
        CHECK(users == 30);
        CHECK(seen.count({"free", "-"}) == 1);
        CHECK(seen.count({"pro", "active"}) == 1);
        CHECK(doc["billing_subscriptions"]["count"] == 9);
        CHECK(doc["billing_subscriptions"]["truncated"] == false);
        CHECK(doc["summary"]["total_users"] == 30);
        CHECK(!doc.contains("cancel_subscriptions"));
        CHECK(db.dump() == before);
        CHECK(migrate_backups(db) == 0);

        const auto text = db.run({"migrate", "packs", "--dry-run"});
        CHECK(text.code == 0);
        CHECK(migrate_has(text.out, "Would upgrade the schema first: 002_credit_pack_columns, 003_tool_tables, "));
        CHECK(migrate_has(text.out, "Would migrate 30 users with policy 'default'.\n"));
        CHECK(migrate_has(text.out, "  old tier   status          users        credits  API unlocks    billing\n"));
        CHECK(migrate_has(text.out, "Stripe keeps billing 9 subscriptions"));
        CHECK(migrate_has(text.out, "Dry run: nothing changed.\n"));
        CHECK(db.dump() == before);

        // The plan is what the migration then does.
        const auto real = db.run_json({"migrate", "packs", "--no-backup"});
        REQUIRE(real.code == 0);
        CHECK(real.json()["changed"] == true);
        CHECK(real.json()["summary"] == doc["summary"]);
        CHECK(real.json()["by_tier"] == doc["by_tier"]);
    }

    TEST_CASE("a re-run changes nothing and says so") {
        const auto db = TestDatabase::migrated(20);
        const auto before = db.dump();
        const auto r = db.run_json({"migrate", "packs"});
        REQUIRE(r.code == 0);
        CHECK(r.json()["already_done"] == true);
        CHECK(r.json()["changed"] == false);
        CHECK(r.json()["completed"]["users"] == 20);
        CHECK(r.json()["completed"]["policy"] == "default");
        CHECK(r.json()["backup"].is_null());
        const auto text = db.run({"migrate", "packs"});
        CHECK(migrate_has(text.out, "was already migrated on"));
        CHECK(migrate_has(text.out, "nothing changed"));
        CHECK(migrate_has(text.out, "20 users"));
        CHECK(db.dump() == before);
        CHECK(migrate_backups(db) == 0);
    }

    TEST_CASE("--dry-run --cancel-subscriptions plans the cancellation without a key") {
        const auto db = TestDatabase::legacy(10);
        const auto before = db.dump();
        auto r = db.run_json({"migrate", "packs", "--dry-run", "--cancel-subscriptions"});
        REQUIRE(r.code == 0);
        const auto cancel = r.json()["cancel_subscriptions"];
        CHECK(cancel["dry_run"] == true);
        CHECK(cancel["to_cancel"] == 3);
        CHECK(cancel["ok"] == true);
        CHECK(cancel["failures"] == nlohmann::json::array());
        r = db.run({"migrate", "packs", "--dry-run", "--cancel-subscriptions"});
        CHECK(migrate_has(r.out, "Would cancel 3 Stripe subscriptions (0 cancelled by an earlier run).\n"));
        // The cancellation's section replaces the list of subscriptions still billing.
        CHECK(!migrate_has(r.out, "Stripe keeps billing"));
        CHECK(db.dump() == before);
    }

    TEST_CASE("the API options need --cancel-subscriptions (exit 2); a real cancel needs a key (exit 2)") {
        const auto db = TestDatabase::legacy(3);
        const auto before = db.dump();
        auto r = db.run({"migrate", "packs", "--no-backup", "--live"});
        CHECK(r.code == 2);
        CHECK(r.err_line() == "quicktools: --live only applies with --cancel-subscriptions");
        r = db.run({"migrate", "packs", "--no-backup", "--max-retries", "1"});
        CHECK(r.code == 2);
        CHECK(migrate_has(r.err, "--max-retries only applies with --cancel-subscriptions"));
        r = db.run({"migrate", "packs", "--no-backup", "--cancel-subscriptions"});
        CHECK(r.code == 2);
        CHECK(migrate_has(r.err, "STRIPE_API_KEY"));
        CHECK(db.dump() == before);
    }

    TEST_CASE("a tier the policy does not cover is refused (exit 4), and a bad policy file is exit 2") {
        const auto db = TestDatabase::legacy(10);
        db.exec("UPDATE users SET subscription_tier = 'enterprise' WHERE id IN (2, 3)");
        const auto before = db.dump();
        auto r = db.run({"migrate", "packs", "--no-backup"});
        CHECK(r.code == 4);
        CHECK(migrate_has(r.err, "'enterprise' (2 users)"));
        CHECK(db.dump() == before);
        r = db.run({"migrate", "packs", "--policy", db.file("none.json")});
        CHECK(r.code == 2);
        CHECK(migrate_has(r.err, "cannot read policy file"));
        CHECK(db.dump() == before);
    }
}
