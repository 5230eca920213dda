// stripe replay of a small events file in-process: the JSON report, the text, exit 3 when an
// event needs attention, and the usage errors and refusals.
#include <doctest/doctest.h>

#include <fstream>

#include "cli_fixture.hpp"

using quicktools::testing::TestDatabase;

namespace {

bool replay_has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A paid Checkout Session of `pack` by user `user`, as Stripe sends it (the fields replay reads).
nlohmann::json replay_completed(int n, int user, const std::string& pack, int amount) {
    const std::string session = "cs_test_cli_" + std::to_string(n);
    return {{"id", "evt_cli_" + std::to_string(n)},
            {"object", "event"},
            {"api_version", "2025-10-29.clover"},
            {"created", 1767225600 + n},
            {"livemode", false},
            {"pending_webhooks", 0},
            {"request", {{"id", nullptr}, {"idempotency_key", nullptr}}},
            {"type", "checkout.session.completed"},
            {"data",
             {{"object",
               {{"id", session},
                {"object", "checkout.session"},
                {"amount_subtotal", amount},
                {"amount_total", amount},
                {"client_reference_id", std::to_string(user)},
                {"created", 1767225600},
                {"currency", "usd"},
                {"customer", nullptr},
                {"customer_details", {{"email", nullptr}}},
                {"customer_email", nullptr},
                {"livemode", false},
                {"metadata", {{"user_id", std::to_string(user)}, {"pack", pack}}},
                {"mode", "payment"},
                {"payment_intent", "pi_" + session},
                {"payment_status", "paid"},
                {"status", "complete"}}}}}};
}

// The events as a list object, as GET /v1/events returns it.
std::string replay_write(const TestDatabase& db, const std::string& name, const std::vector<nlohmann::json>& events) {
    const auto path = db.file(name);
    std::ofstream(path) << nlohmann::json{
        {"object", "list"},
        {"data", nlohmann::json(events)},
        {"has_more", false},
        {"url", "/v1/events"}}.dump();
    return path;
}

}  // namespace

TEST_SUITE("stripe replay") {
    TEST_CASE("credits a purchase once; an unknown buyer needs attention (exit 3)") {
        const auto db = TestDatabase::fresh();
        const auto file = replay_write(db, "events.json",
                                       {replay_completed(1, 1, "starter", 500), replay_completed(2, 99, "pro", 3000)});
        auto r = db.run_json({"stripe", "replay", file});
        INFO(r.out, r.err);
        CHECK(r.code == 3);
        auto doc = r.json();
        CHECK(doc["ok"] == false);
        CHECK(doc["dry_run"] == false);
        CHECK(doc["events"] == 2);
        CHECK(doc["inputs"] == nlohmann::json::array({file}));
        CHECK(doc["counts"]["credited"] == 1);
        CHECK(doc["counts"]["needs_attention"] == 1);
        REQUIRE(doc["attention"].size() == 1);
        CHECK(doc["attention"][0]["id"] == "evt_cli_2");
        CHECK(replay_has(doc["attention"][0]["reason"].get<std::string>(), "unknown user 99"));
        CHECK(db.rows("SELECT credits_balance, credits_purchased_total FROM users WHERE id = 1") ==
              std::vector<std::vector<std::string>>{{"110", "100"}});
        CHECK(db.rows("SELECT kind, balance_delta, source FROM quicktools_ledger") ==
              std::vector<std::vector<std::string>>{{"purchase", "100", "stripe:evt_cli_1"}});

        // Again, as text: the purchase is not credited twice; the unknown buyer still needs attention.
        r = db.run({"stripe", "replay", file});
        CHECK(r.code == 3);
        CHECK(replay_has(r.out, "unknown user 99"));
        CHECK(db.rows("SELECT credits_balance FROM users WHERE id = 1").front().front() == "110");
    }

    TEST_CASE("--dry-run reports what would happen and changes nothing") {
        const auto db = TestDatabase::fresh();
        const auto file = replay_write(
            db, "events.json", {replay_completed(3, 2, "standard", 1500), replay_completed(6, 99, "pro", 3000)});
        const auto before = db.dump();
        auto r = db.run_json({"stripe", "replay", "--dry-run", file});
        CHECK(r.code == 3);
        CHECK(r.json()["dry_run"] == true);
        CHECK(r.json()["counts"]["credited"] == 1);
        CHECK(db.dump() == before);
        r = db.run({"stripe", "replay", "--dry-run",
                    replay_write(db, "one.json", {replay_completed(7, 2, "standard", 1500)})});
        INFO(r.out, r.err);
        CHECK(r.code == 0);
        CHECK(replay_has(r.out, "Dry run"));
        CHECK(db.dump() == before);
    }

    TEST_CASE("usage errors (exit 2) and a database without the tool's tables (exit 4)") {
        const auto db = TestDatabase::fresh();
        auto r = db.run({"stripe", "replay"});
        CHECK(r.code == 2);
        CHECK(r.err_is_one_line());
        r = db.run({"stripe", "replay", db.file("missing.json")});
        CHECK(r.code == 2);
        CHECK(replay_has(r.err, "missing.json"));
        const auto legacy = TestDatabase::legacy(2);
        r = legacy.run({"stripe", "replay", replay_write(legacy, "e.json", {replay_completed(5, 1, "pro", 3000)})});
        CHECK(r.code == 4);
        CHECK(replay_has(r.err, "db upgrade"));
    }
}
