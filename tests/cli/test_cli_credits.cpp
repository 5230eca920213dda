// credits grant / refund / debit / history / audit in-process, on a new database with three
// users signed up as the web app adds them (10 credits each).
#include <doctest/doctest.h>

#include "cli_fixture.hpp"
#include "quicktools/util/system.hpp"

using quicktools::testing::Outcome;
using quicktools::testing::TestDatabase;

namespace {

using Row = std::vector<std::string>;

// balance, purchased total, lifetime used, API access
Row credits_user(const TestDatabase& db, int id) {
    return db
        .rows(
            "SELECT credits_balance, credits_purchased_total, credits_lifetime_used, api_access_unlocked FROM "
            "users WHERE id = " +
            std::to_string(id))
        .front();
}

void credits_web_usage(const TestDatabase& db, int id, int n) {
    db.exec("UPDATE users SET credits_balance = credits_balance - " + std::to_string(n) +
            ", credits_lifetime_used = credits_lifetime_used + " + std::to_string(n) +
            " WHERE id = " + std::to_string(id));
}

bool credits_has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

nlohmann::json credits_audit_clean(const TestDatabase& db) {
    const auto r = db.run_json({"credits", "audit"});
    INFO(r.out, r.err);
    CHECK(r.code == 0);
    const auto doc = r.json();
    CHECK(doc["ok"] == true);
    CHECK(doc["violations"] == 0);
    return doc;
}

}  // namespace

TEST_SUITE("credits commands") {
    TEST_CASE("grant records actor, reason, time and source") {
        const auto db = TestDatabase::fresh();
        const auto r =
            db.run_json({"credits", "grant", "user2@example.com", "50", "--reason", "  ticket 7 ", "--actor", "alice"});
        REQUIRE(r.code == 0);
        const auto doc = r.json();
        CHECK(doc["replayed"] == false);
        CHECK(doc["balance_before"] == 10);
        CHECK(doc["balance_after"] == 60);
        CHECK(doc["user_id"] == 2);
        CHECK(doc["actor"] == "alice");
        CHECK(doc["reason"] == "ticket 7");
        const auto rows = db.rows(
            "SELECT user_id, kind, amount, balance_delta, used_delta, balance_after, reason, actor, "
            "source, created_at FROM quicktools_ledger");
        REQUIRE(rows.size() == 1);
        CHECK(Row(rows[0].begin(), rows[0].begin() + 9) ==
              Row{"2", "grant", "50", "50", "0", "60", "ticket 7", "alice", "cli"});
        CHECK(rows[0][9].size() == 26);
        CHECK(credits_user(db, 2)[0] == "60");
    }

    TEST_CASE("the text of a grant, and the actor defaults to the OS user") {
        const auto db = TestDatabase::fresh();
        const auto r = db.run_json({"credits", "grant", "1", "1", "--reason", "r"});
        CHECK(r.json()["actor"] == quicktools::util::os_user());
        const auto text = db.run({"credits", "grant", "1", "2", "--reason", "r"});
        CHECK(text.code == 0);
        CHECK(credits_has(text.out, "11 -> 13"));
        CHECK(text.err.empty());
    }

    TEST_CASE("the same key and request applies once") {
        const auto db = TestDatabase::fresh();
        const std::vector<std::string> args{"credits",           "grant",  "1", "25", "--reason", "promo",
                                            "--idempotency-key", "promo-1"};
        const auto first = db.run_json(args);
        CHECK(first.code == 0);
        CHECK(first.json()["replayed"] == false);
        const auto before = db.dump();
        auto again_args = args;
        again_args.insert(again_args.end(), {"--actor", "someone-else"});
        const auto again = db.run_json(again_args);
        CHECK(again.code == 0);
        CHECK(again.json()["replayed"] == true);
        CHECK(again.json()["ledger_id"] == first.json()["ledger_id"]);
        CHECK(again.json()["created_at"] == first.json()["created_at"]);
        CHECK(again.json()["balance_after"] == 35);
        CHECK(db.dump() == before);
        const auto text = db.run(args);
        CHECK(text.code == 0);
        CHECK(credits_has(text.out, "Already applied at"));
        CHECK(credits_has(text.out, "Nothing changed"));
    }

    TEST_CASE("the same key for another request is refused (exit 4)") {
        const auto db = TestDatabase::fresh();
        REQUIRE(db.run({"credits", "grant", "1", "25", "--reason", "promo", "--idempotency-key", "k"}).code == 0);
        const auto before = db.dump();
        auto r = db.run({"credits", "grant", "1", "26", "--reason", "promo", "--idempotency-key", "k"});
        CHECK(r.code == 4);
        CHECK(r.err_is_one_line());
        CHECK(credits_has(r.err, "amount 25 there, 26 here"));
        r = db.run_json({"credits", "debit", "2", "25", "--reason", "promo", "--idempotency-key", "k"});
        CHECK(r.code == 4);
        const auto error = r.json()["error"].get<std::string>();
        CHECK(credits_has(error, "action grant there, debit here"));
        CHECK(credits_has(error, "user id 1 there, 2 here"));
        CHECK(db.dump() == before);
    }

    TEST_CASE("a debit below zero is refused with the shortfall (exit 4)") {
        const auto db = TestDatabase::fresh();
        const auto before = db.dump();
        const auto r = db.run({"credits", "debit", "1", "15", "--reason", "x"});
        CHECK(r.code == 4);
        CHECK(credits_has(r.err, "short by 5"));
        CHECK(r.err_is_one_line());
        CHECK(db.dump() == before);
        CHECK(db.run_json({"credits", "history", "1"}).json()["entries"].empty());
        CHECK(db.run({"credits", "debit", "1", "10", "--reason", "x"}).code == 0);
        CHECK(credits_user(db, 1)[0] == "0");
    }

    TEST_CASE("a refund of more than was used is refused (exit 4)") {
        const auto db = TestDatabase::fresh();
        credits_web_usage(db, 1, 4);
        const auto before = db.dump();
        const auto r = db.run({"credits", "refund", "1", "5", "--reason", "x"});
        CHECK(r.code == 4);
        CHECK(credits_has(r.err, "over by 1"));
        CHECK(db.dump() == before);
        CHECK(db.run({"credits", "refund", "1", "4", "--reason", "x"}).code == 0);
        CHECK(credits_user(db, 1) == Row{"10", "0", "0", "0"});
    }

    TEST_CASE("bad amounts are usage errors (exit 2)") {
        const auto db = TestDatabase::fresh();
        const auto before = db.dump();
        for (const char* amount :
             {"0", "1e3", "+5", "0x10", "12abc", " 5", "05", "50001", "99999999999999999999999", "2.5", ""}) {
            const auto r = db.run({"credits", "grant", "1", amount, "--reason", "x"});
            INFO("amount '", amount, "': ", r.err);
            CHECK(r.code == 2);
            CHECK(r.err_is_one_line());
            CHECK(credits_has(r.err, "amount"));
        }
        CHECK(db.dump() == before);
        CHECK(db.run({"credits", "grant", "1", "50000", "--reason", "x"}).code == 0);
        CHECK(credits_user(db, 1)[0] == "50010");
    }

    TEST_CASE("a bad reason, key or actor is a usage error (exit 2)") {
        const auto db = TestDatabase::fresh();
        const auto before = db.dump();
        for (const auto& extra : std::vector<std::vector<std::string>>{{"--reason", ""},
                                                                       {"--reason", "   "},
                                                                       {},
                                                                       {"--reason", std::string(501, 'x')},
                                                                       {"--reason", "ok", "--idempotency-key", ""},
                                                                       {"--reason", "ok", "--actor", " "}}) {
            std::vector<std::string> args{"credits", "grant", "1", "5"};
            args.insert(args.end(), extra.begin(), extra.end());
            const auto r = db.run(args);
            INFO(r.err);
            CHECK(r.code == 2);
        }
        CHECK(db.dump() == before);
    }

    TEST_CASE("an unknown user is exit 1; an email matches without case") {
        const auto db = TestDatabase::fresh();
        const auto before = db.dump();
        for (const char* ref : {"99", "nobody@example.com"}) {
            const auto r = db.run({"credits", "grant", ref, "5", "--reason", "x"});
            CHECK(r.code == 1);
            CHECK(credits_has(r.err, std::string("no user ") + ref));
            CHECK(r.err_is_one_line());
        }
        CHECK(db.dump() == before);
        const auto r = db.run_json({"credits", "grant", "USER3@Example.com", "5", "--reason", "x"});
        CHECK(r.code == 0);
        CHECK(r.json()["user_id"] == 3);
    }

    TEST_CASE("history lists the trail, with a limit") {
        const auto db = TestDatabase::fresh();
        for (int n : {1, 2, 3})
            REQUIRE(db.run({"credits", "grant", "2", std::to_string(n), "--reason", "r" + std::to_string(n),
                            "--idempotency-key", "k" + std::to_string(n)})
                        .code == 0);
        auto doc = db.run_json({"credits", "history", "user2@example.com"}).json();
        std::vector<int> amounts;
        for (const auto& e : doc["entries"]) amounts.push_back(e["amount"].get<int>());
        CHECK(amounts == std::vector<int>{1, 2, 3});
        CHECK(doc["entries"][0]["idempotency_key"] == "k1");
        CHECK(doc["entries"][0]["source"] == "cli");
        CHECK(doc["user"]["id"] == 2);
        doc = db.run_json({"credits", "history", "2", "--limit", "2"}).json();
        amounts.clear();
        for (const auto& e : doc["entries"]) amounts.push_back(e["amount"].get<int>());
        CHECK(amounts == std::vector<int>{2, 3});
        CHECK(doc["total_entries"] == 3);
        const auto text = db.run({"credits", "history", "2"}).out;
        CHECK(credits_has(text, "r3 [k3]"));
        CHECK(credits_has(text, "+3"));
        CHECK(credits_has(db.run({"credits", "history", "1"}).out, "No adjustments"));
        CHECK(db.run({"credits", "history", "42"}).code == 1);
        CHECK(db.run({"credits", "history", "2", "--limit", "0"}).code == 2);
    }

    TEST_CASE("audit catches an edit behind the tool's back and a negative balance (exit 3)") {
        const auto db = TestDatabase::fresh();
        credits_audit_clean(db);
        db.exec("UPDATE users SET credits_balance = credits_balance + 5 WHERE id = 2");
        db.exec("UPDATE users SET credits_balance = -3, credits_lifetime_used = 13 WHERE id = 3");
        auto r = db.run_json({"credits", "audit"});
        CHECK(r.code == 3);
        const auto doc = r.json();
        CHECK(doc["violations"] == 2);
        CHECK(doc["negative_balances"] == 1);
        CHECK(doc["invariant_broken"] == 1);
        REQUIRE(doc["listed"].size() == 2);
        const auto& first = doc["listed"][0];
        const auto& second = doc["listed"][1];
        CHECK(first["user_id"] == 2);
        CHECK(first["problems"] == nlohmann::json::array({"invariant"}));
        CHECK(first["expected"] == 10);
        CHECK(first["actual"] == 15);
        CHECK(first["difference"] == 5);
        CHECK(first["expected_balance"] == 10);
        CHECK(second["user_id"] == 3);
        CHECK(second["problems"] == nlohmann::json::array({"negative_balance"}));
        r = db.run({"credits", "audit"});
        CHECK(r.code == 3);
        CHECK(credits_has(r.out, "user 2 (user2@example.com)"));
        CHECK(credits_has(r.out, "off by +5"));
        CHECK(credits_has(r.out, "negative balance -3"));
        r = db.run_json({"credits", "audit", "--limit", "1"});
        CHECK(r.code == 3);
        CHECK(r.json()["violations"] == 2);
        CHECK(r.json()["listed"].size() == 1);
    }

    TEST_CASE("audit uses the migration's base") {
        const auto db = TestDatabase::fresh();
        db.exec("UPDATE users SET credits_balance = 700 WHERE id = 1");
        db.exec(
            "INSERT INTO quicktools_migrated_users (user_id, new_balance, new_purchased_total, new_api_access, "
            "invariant_base, policy, migrated_at) VALUES (1, 700, 0, 0, 700, 'default', '2026-11-20 10:00:00.000000')");
        credits_audit_clean(db);
    }

    TEST_CASE("audit after upgrading a legacy database") {
        const auto db = TestDatabase::legacy(200);
        REQUIRE(db.run({"db", "upgrade"}).code == 0);
        CHECK(credits_audit_clean(db)["users_checked"] == 200);
    }
}
