// db init / status / verify / drop-deprecated in-process: the JSON documents, the text, and
// exit 3 (drift) and 4 (refusals).
#include <doctest/doctest.h>

#include <map>

#include "cli_fixture.hpp"

using quicktools::testing::TempDir;
using quicktools::testing::TestDatabase;

namespace {

std::vector<int> db_versions(const nlohmann::json& rows) {
    std::vector<int> out;
    for (const auto& row : rows) out.push_back(row["version"].get<int>());
    return out;
}

bool db_has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("db commands") {
    TEST_CASE("db init creates the final schema and refuses an existing file (exit 4)") {
        TempDir dir;
        const auto path = dir.file("new.db");
        auto r = quicktools::testing::run({"--db", path, "--json", "db", "init"});
        CHECK(r.code == 0);
        CHECK(r.json()["state"] == "final");
        CHECK(r.json()["ok"] == true);
        r = quicktools::testing::run({"--db", path, "db", "init"});
        CHECK(r.code == 4);
        CHECK(db_has(r.err, "already exists"));
        CHECK(r.err_is_one_line());
        const auto legacy = TestDatabase::legacy(3);
        const auto before = legacy.dump();
        r = legacy.run({"db", "init"});
        CHECK(r.code == 4);
        CHECK(db_has(r.err, "already exists"));
        CHECK(legacy.dump() == before);
        // A confirmation only: nothing with --quiet.
        TempDir other;
        r = quicktools::testing::run({"--db", other.file("q.db"), "-q", "db", "init"});
        CHECK(r.code == 0);
        CHECK(r.out.empty());
    }

    TEST_CASE("db status of a legacy database: JSON document and text") {
        const auto db = TestDatabase::legacy(5);
        auto r = db.run_json({"db", "status"});
        REQUIRE(r.code == 0);
        const auto doc = r.json();
        CHECK(doc["state"] == "legacy");
        CHECK(doc["has_history"] == false);
        CHECK(doc["baseline_to_record"] == nlohmann::json::array({1}));
        CHECK(doc["applied"] == nlohmann::json::array());
        CHECK(db_versions(doc["pending"]) == std::vector<int>{2, 3, 4, 5});
        CHECK(doc["pending"][2]["applied_by_command"] == "db drop-deprecated");
        CHECK(doc["pending"][0]["applied_by_command"] == "db upgrade");
        CHECK(doc["edited"] == nlohmann::json::array());
        for (const char* key : {"explanation"}) CHECK(doc[key].is_string());

        r = db.run({"db", "status"});
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        CHECK(db_has(r.out, "Database: " + db.path() + "\nState:    legacy ("));
        CHECK(db_has(r.out, "History:  none yet; `db upgrade` will record a baseline of 001\n"));
        CHECK(db_has(r.out, "  004 drop_deprecated"));
        CHECK(db_has(r.out, "pending  (run `quicktools db drop-deprecated`)"));
        CHECK(db_has(r.out, "pending  (run `quicktools db upgrade`)"));
    }

    TEST_CASE("db status after db upgrade lists the history") {
        const auto db = TestDatabase::legacy(3);
        REQUIRE(db.run({"db", "upgrade"}).code == 0);
        const auto doc = db.run_json({"db", "status"}).json();
        CHECK(doc["state"] == "credit-packs");
        CHECK(doc["has_history"] == true);
        CHECK(db_versions(doc["applied"]) == std::vector<int>{1, 2, 3, 5});
        CHECK(db_versions(doc["pending"]) == std::vector<int>{4});
        for (const char* key : {"name", "kind", "checksum", "applied_at", "applied_by"})
            CHECK(doc["applied"][0].contains(key));
    }

    TEST_CASE("db status of a schema the tool does not know") {
        const auto db = TestDatabase::with_schema(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, credits_balance INTEGER)");
        const auto r = db.run_json({"db", "status"});
        CHECK(r.code == 0);
        CHECK(r.json()["state"] == "unknown");
        CHECK(db_has(r.json()["explanation"].get<std::string>(), "1 of the 6 credit-pack columns"));
    }

    TEST_CASE("db verify: clean is exit 0, drift exit 3 with each difference") {
        const auto db = TestDatabase::fresh();
        auto r = db.run_json({"db", "verify"});
        CHECK(r.code == 0);
        auto doc = r.json();
        CHECK(doc["clean"] == true);
        CHECK(doc["state"] == "final");
        CHECK(doc["drift"] == nlohmann::json::array());
        CHECK(doc["baseline_pending"] == false);
        CHECK(doc["expected_migrations"] == nlohmann::json::array({1, 2, 3, 4, 5}));
        r = db.run({"db", "verify"});
        CHECK(r.code == 0);
        CHECK(r.out == db.path() + ": schema matches the final state (5 migrations); no drift.\n");

        db.exec(
            "DROP INDEX ix_users_email; DROP INDEX ix_quicktools_ledger_user_id; ALTER TABLE quicktools_state ADD "
            "COLUMN surprise TEXT; "
            "CREATE TABLE quicktools_unexpected (x); CREATE VIEW active_users AS SELECT id FROM users");
        r = db.run_json({"db", "verify"});
        CHECK(r.code == 3);
        doc = r.json();
        CHECK(doc["clean"] == false);
        std::map<std::string, std::string> problems;
        for (const auto& d : doc["drift"]) problems[d["object"].get<std::string>()] = d["problem"].get<std::string>();
        CHECK(db_has(problems["index ix_users_email"], "missing"));
        CHECK(db_has(problems["index ix_quicktools_ledger_user_id"], "missing"));
        CHECK(db_has(problems["quicktools_state.surprise"], "should not exist"));
        CHECK(problems.count("table quicktools_unexpected") == 1);
        CHECK(doc["not_owned"] == nlohmann::json::array({"view active_users"}));

        r = db.run({"db", "verify"});
        CHECK(r.code == 3);
        CHECK(db_has(r.out, ": 4 difference(s) from the expected final schema:\n"));
        CHECK(db_has(r.out, "  (1 object(s) the tool does not own; -v lists them)\n"));
        CHECK(db_has(db.run({"-v", "db", "verify"}).out, "  (not owned, left alone) view active_users\n"));
    }

    TEST_CASE("db verify of an unknown schema is exit 3") {
        const auto db = TestDatabase::with_schema("CREATE TABLE things (id)");
        const auto r = db.run({"db", "verify"});
        CHECK(r.code == 3);
        CHECK(db_has(r.out, "no users table"));
    }

    TEST_CASE("db drop-deprecated without a terminal to confirm on is refused (exit 4), and changes nothing") {
        const auto db = TestDatabase::migrated(4);
        const auto before = db.dump();
        // --force: past the check that the old subscriptions were cancelled, to the question.
        auto r = db.run({"db", "drop-deprecated", "--force"});
        CHECK(r.code == 4);
        CHECK(r.err_is_one_line());
        CHECK(db_has(r.err, "there is no terminal to confirm on; pass --yes"));
        CHECK(db.dump() == before);
        r = db.run_json({"db", "drop-deprecated", "--dry-run", "--force"});
        CHECK(r.code == 0);
        CHECK(r.json()["dry_run"] == true);
        CHECK(r.json()["nothing_to_do"] == false);
        CHECK(r.json()["statements"].size() > 0);
        CHECK(db.dump() == before);
    }

    TEST_CASE("db drop-deprecated --yes drops, then has nothing to do") {
        const auto db = TestDatabase::migrated(4);
        auto r = db.run_json({"db", "drop-deprecated", "--yes", "--force", "--no-backup"});
        INFO(r.out, r.err);
        REQUIRE(r.code == 0);
        auto doc = r.json();
        CHECK(doc["dry_run"] == false);
        CHECK(doc["nothing_to_do"] == false);
        CHECK(doc["state_before"] == "credit-packs");
        CHECK(doc["state_after"] == "final");
        CHECK(doc["users"] == 4);
        CHECK(doc["backup"].is_null());
        CHECK(doc["vacuumed"] == false);
        CHECK(doc["dropped_columns"].size() == 6);
        CHECK(db.run_json({"db", "status"}).json()["state"] == "final");
        r = db.run({"db", "drop-deprecated", "--yes"});
        CHECK(r.code == 0);
        CHECK(r.out == db.path() + " is already in the final state; nothing to do.\n");
        doc = db.run_json({"db", "drop-deprecated", "--dry-run"}).json();
        CHECK(doc["nothing_to_do"] == true);
        CHECK(doc["dropped_columns"] == nlohmann::json::array());
    }
}
