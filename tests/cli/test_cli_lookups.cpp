// user show / user list / packs list / report in-process: JSON documents, text, and that a
// lookup changes nothing.
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include "cli_fixture.hpp"
#include "quicktools/cli/app.hpp"

using quicktools::testing::TestDatabase;

namespace {

bool lookups_has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<int> lookups_ids(const nlohmann::json& doc) {
    std::vector<int> out;
    for (const auto& u : doc["users"]) out.push_back(u["id"].get<int>());
    return out;
}

}  // namespace

TEST_SUITE("lookup commands") {
    TEST_CASE("user show by id and by email, JSON and text") {
        const auto db = TestDatabase::migrated(40);
        db.exec(
            "UPDATE users SET credits_purchased_total = 1200, credits_balance = credits_balance + 1200, "
            "credits_lifetime_used = 5, last_purchase_date = '2026-02-09 10:00:00.000000', "
            "last_purchase_amount = 1200, api_access_unlocked = 1 WHERE id = 7");
        const auto before = db.dump();
        const auto by_id = db.run_json({"user", "show", "7"});
        REQUIRE(by_id.code == 0);
        const auto doc = by_id.json();
        CHECK(doc["id"] == 7);
        CHECK(doc["email"] == "user7@example.com");
        CHECK(doc["credits_purchased_total"] == 1200);
        CHECK(doc["credits_lifetime_used"] == 5);
        CHECK(doc["api_access"] == true);
        CHECK(doc["support_tier"] == "Priority (24h response)");
        CHECK(doc["last_purchase_date"] == "2026-02-09 10:00:00.000000");
        CHECK(doc["last_purchase_amount"] == 1200);
        CHECK(doc["migrated_from"]["policy"] == "default");
        CHECK(db.run_json({"user", "show", "USER7@example.com"}).json() == doc);
        const auto text = db.run({"user", "show", "user7@example.com"}).out;
        CHECK(lookups_has(text, "Priority (24h response)"));
        CHECK(lookups_has(text, "unlocked"));
        CHECK(lookups_has(text, "1200 credits on 2026-02-09"));
        CHECK(db.dump() == before);
    }

    TEST_CASE("user show: no such user is exit 1, a database without credit columns exit 4") {
        const auto db = TestDatabase::migrated(3);
        auto r = db.run({"user", "show", "999"});
        CHECK(r.code == 1);
        CHECK(lookups_has(r.err, "no user 999"));
        const auto legacy = TestDatabase::legacy(3);
        r = legacy.run({"user", "show", "1"});
        CHECK(r.code == 4);
        CHECK(lookups_has(r.err, "no credit columns"));
    }

    TEST_CASE("user list filters") {
        const auto db = TestDatabase::migrated(60);
        db.exec("UPDATE users SET credits_balance = 10, api_access_unlocked = 0");
        db.exec("UPDATE users SET credits_purchased_total = 600 WHERE id IN (1, 2)");
        db.exec("UPDATE users SET credits_purchased_total = 6000 WHERE id = 3");
        db.exec("UPDATE users SET api_access_unlocked = 1, credits_balance = 2000 WHERE id IN (2, 3, 4)");
        auto doc = db.run_json({"user", "list", "--api"}).json();
        CHECK(lookups_ids(doc) == std::vector<int>{2, 3, 4});
        CHECK(doc["matching"] == 3);
        CHECK(lookups_ids(db.run_json({"user", "list", "--tier", "email"}).json()) == std::vector<int>{1, 2});
        CHECK(lookups_ids(db.run_json({"user", "list", "--tier", "dedicated", "--api"}).json()) == std::vector<int>{3});
        CHECK(lookups_ids(db.run_json({"user", "list", "--tier", "community", "--min-balance", "2000"}).json()) ==
              std::vector<int>{4});
        doc = db.run_json({"user", "list", "--no-api", "--limit", "5"}).json();
        CHECK(doc["users"].size() == 5);
        CHECK(doc["matching"] == 57);
        CHECK(doc["shown"] == 5);
        doc = db.run_json({"user", "list"}).json();
        CHECK(doc["users"].size() == 50);
        CHECK(doc["matching"] == 60);
        CHECK(lookups_has(db.run({"user", "list", "--api"}).out, "3 of 3 matching users"));
    }

    TEST_CASE("user list: bad filters are usage errors") {
        const auto db = TestDatabase::migrated(3);
        const auto r = db.run({"user", "list", "--tier", "gold"});
        CHECK(r.code == 2);
        CHECK(lookups_has(r.err, "community, email, priority, dedicated"));
        CHECK(db.run({"user", "list", "--limit", "0"}).code == 2);
        CHECK(db.run({"user", "list", "--api", "--no-api"}).code == 2);
    }

    TEST_CASE("packs list needs no database") {
        const auto r = quicktools::testing::run({"--json", "packs", "list"});
        REQUIRE(r.code == 0);
        const auto doc = r.json();
        std::map<std::string, nlohmann::json> packs;
        std::vector<std::string> names;
        for (const auto& p : doc["packs"]) {
            names.push_back(p["name"]);
            packs[p["name"]] = p;
        }
        CHECK(names == std::vector<std::string>{"starter", "standard", "pro", "business"});
        CHECK(packs["starter"]["cents_per_credit"] == 5.0);
        CHECK(packs["business"]["cents_per_credit"] == 2.0);
        CHECK(packs["pro"]["unlocks_api"] == true);
        CHECK(packs["standard"]["unlocks_api"] == false);
        CHECK(packs["standard"]["badge"] == "Popular");
        CHECK(packs["starter"]["badge"].is_null());
        const auto text = quicktools::testing::run({"packs", "list"}).out;
        CHECK(lookups_has(text, "$30.00"));
        CHECK(lookups_has(text, "Best Value + API"));
        CHECK(lookups_has(text, "2.50"));
    }

    TEST_CASE("report after the migration") {
        const auto db = TestDatabase::migrated(100);
        db.exec("UPDATE users SET credits_purchased_total = 5000 WHERE id = 1");
        db.exec(
            "INSERT INTO quicktools_checkout_sessions (session_id, user_id, pack, credits, amount_total, credited_at) "
            "VALUES ('cs_1', 1, 'business', 5000, 10000, 'now'), ('cs_2', 2, 'pro', 1200, 3000, 'now'), "
            "('cs_3', 3, 'pro', 1200, 3000, 'now')");
        const auto before = db.dump();
        const auto r = db.run_json({"report"});
        REQUIRE(r.code == 0);
        const auto doc = r.json();
        const auto totals =
            db.rows("SELECT count(*), sum(credits_balance), sum(api_access_unlocked) FROM users").front();
        CHECK(doc["summary"] == nlohmann::json{{"total_users", std::stoll(totals[0])},
                                               {"total_credits", std::stoll(totals[1])},
                                               {"users_with_api", std::stoll(totals[2])}});
        std::map<std::string, int> tiers;
        for (const auto& t : doc["support_tiers"]) tiers[t["support_tier"]] = t["users"];
        CHECK(tiers["Dedicated (12h response)"] == 1);
        CHECK(tiers["Community"] == 99);
        std::map<std::string, nlohmann::json> packs;
        for (const auto& p : doc["packs_bought"]) packs[p["pack"]] = p;
        CHECK(packs["pro"]["sessions"] == 2);
        CHECK(packs["pro"]["credits"] == 2400);
        CHECK(packs["business"]["amount_cents"] == 10000);
        CHECK(doc["migration"]["users"] == 100);
        CHECK(doc["migration"]["mode"] == "convert");
        int migrated = 0;
        for (const auto& t : doc["migration"]["by_tier"]) migrated += t["users"].get<int>();
        CHECK(migrated == 100);
        CHECK(doc["migration"]["by_tier"][0].contains("status") == false);
        const auto text = db.run({"report"}).out;
        CHECK(lookups_has(text, "Total users: " + totals[0]));
        CHECK(lookups_has(text, "Migrated to credit packs on"));
        CHECK(lookups_has(text, "pro"));
        CHECK(db.dump() == before);
    }

    TEST_CASE("report bars follow the context's width, colour only on a terminal") {
        const auto db = TestDatabase::migrated(10);
        // The full blocks drawn at a width: the longest bar fills what the labels leave.
        const auto blocks_at = [&db](int columns) {
            std::istringstream in;
            std::ostringstream out, err;
            quicktools::cli::Context ctx(in, out, err);
            ctx.columns = columns;
            REQUIRE(quicktools::cli::run({"--db", db.path(), "report"}, ctx) == 0);
            CHECK(out.str().find("\x1b[") == std::string::npos);  // not a terminal: no colour
            std::size_t n = 0;
            for (auto at = out.str().find("\u2588"); at != std::string::npos; at = out.str().find("\u2588", at + 1))
                ++n;
            return n;
        };
        CHECK(blocks_at(40) > 0);
        CHECK(blocks_at(120) > blocks_at(40) + 2 * 60);  // users and credits per support tier, each 80 wider

        std::istringstream in;
        std::ostringstream coloured, plain, err;
        quicktools::cli::Context terminal(in, coloured, err);
        terminal.stdout_terminal = true;
        REQUIRE(quicktools::cli::run({"--db", db.path(), "report"}, terminal) == 0);
        CHECK(lookups_has(coloured.str(), "\x1b[36m"));
        quicktools::cli::Context no_color(in, plain, err);
        no_color.stdout_terminal = true;
        REQUIRE(quicktools::cli::run({"--db", db.path(), "--no-color", "report"}, no_color) == 0);
        CHECK(plain.str().find("\x1b[") == std::string::npos);
    }

    TEST_CASE("report before the migration") {
        const auto db = TestDatabase::legacy(12);
        const auto r = db.run_json({"report"});
        REQUIRE(r.code == 0);
        CHECK(r.json()["summary"]["total_users"] == 12);
        CHECK(r.json()["migration"].is_null());
        CHECK(r.json()["state"] == "legacy");
        CHECK(lookups_has(db.run({"report"}).out, "Not migrated to credit packs yet"));
    }
}
