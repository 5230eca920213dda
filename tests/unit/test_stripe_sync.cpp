// stripe::sync_events with a scripted HTTP client: the cursor moves with the events, a failure
// part-way changes nothing, a dry run leaves the cursor alone.
#include <doctest/doctest.h>

#include "fake_http.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/stripe/sync.hpp"

using namespace quicktools;
using namespace quicktools::stripe;
using quicktools::testing::FakeHttp;

namespace {

nlohmann::json purchase(const std::string& id, std::int64_t created) {
    return {{"id", id},
            {"object", "event"},
            {"type", "checkout.session.completed"},
            {"created", created},
            {"livemode", false},
            {"data",
             {{"object",
               {{"object", "checkout.session"},
                {"id", "cs_" + id},
                {"mode", "payment"},
                {"payment_status", "paid"},
                {"amount_total", 500},
                {"currency", "usd"},
                {"payment_intent", "pi_" + id},
                {"metadata", {{"user_id", "7"}, {"pack", "starter"}}}}}}}};
}

std::string page(std::vector<nlohmann::json> newest_first, bool has_more) {
    return nlohmann::json{{"object", "list"}, {"data", newest_first}, {"has_more", has_more}}.dump();
}

db::Database shop() {
    auto database = db::Database::in_memory();
    db::initialise(database, "test");
    database.execute(
        "INSERT INTO users (id, email, hashed_password, is_active, created_at) "
        "VALUES (7, 'u7@example.com', 'x', 1, '2026-01-01 00:00:00.000000')");
    return database;
}

int balance(db::Database& database) {
    db::Statement q(database, "SELECT credits_balance FROM users WHERE id = 7");
    q.step();
    return q.column(0).int32();
}

constexpr std::int64_t now = 1'767'225'600;

// A shop, a scripted Stripe and sync options at `now`, for the cases that need nothing else.
struct Sync {
    db::Database database = shop();
    FakeHttp http;
    StripeClient client{http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options(0)};
    SyncOptions options = [] {
        SyncOptions o;
        o.now = now;
        return o;
    }();
    SyncResult run() { return sync_events(database, client, options); }
};

}  // namespace

TEST_SUITE("stripe sync") {
    TEST_CASE_FIXTURE(Sync, "applies every page, stores the newest event as the cursor, resumes from it") {
        http.answer(200, page({purchase("evt_3", now - 10), purchase("evt_2", now - 20)}, true));
        http.answer(200, page({purchase("evt_1", now - 30)}, false));
        auto r = run();
        CHECK(r.start == "default");
        CHECK(r.pages == 2);
        CHECK(r.replay.count(Outcome::credited) == 3);
        REQUIRE(r.cursor_after);
        CHECK(r.cursor_after->event_id == "evt_3");
        CHECK(r.cursor_after->created == now - 10);
        CHECK(balance(database) == 310);
        REQUIRE(read_sync_cursor(database));
        CHECK(read_sync_cursor(database)->event_id == "evt_3");

        // The next run lists again from an hour before the cursor: the events seen come back as
        // duplicates, and one that appeared late behind the cursor is picked up.
        http.answer(
            200,
            page({purchase("evt_3", now - 10), purchase("evt_late", now - 15), purchase("evt_2", now - 20)}, false));
        r = run();
        CHECK(r.start == "cursor");
        CHECK(r.replay.count(Outcome::duplicate) == 2);
        CHECK(r.replay.count(Outcome::credited) == 1);
        CHECK(balance(database) == 410);
        CHECK(http.requests.back().url.find("created%5Bgte%5D=" + std::to_string(now - 10 - sync_overlap_seconds)) !=
              std::string::npos);
        CHECK(http.requests.back().url.find("ending_before") == std::string::npos);
        CHECK(read_sync_cursor(database)->event_id == "evt_3");
    }
    TEST_CASE_FIXTURE(Sync, "a cursor older than 30 days falls back to the window by itself, with a warning") {
        http.answer(200, page({purchase("evt_1", now - 50 * 86400)}, false));
        options.now = now - 50 * 86400 + 60;
        run();
        REQUIRE(read_sync_cursor(database));
        options.now = now;
        http.answer(200, page({purchase("evt_2", now - 20)}, false));
        const auto r = run();
        CHECK(r.start == "cursor");
        CHECK(r.replay.count(Outcome::credited) == 1);
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0].find("longer ago than Stripe's Events API keeps events") != std::string::npos);
        const auto since = now - stripe::events_retention_seconds + sync_window_margin_seconds;
        CHECK(http.requests.back().url.find("created%5Bgte%5D=" + std::to_string(since)) != std::string::npos);
        CHECK(read_sync_cursor(database)->event_id == "evt_2");
    }
    TEST_CASE_FIXTURE(Sync, "a refund synced before its purchase is applied once the purchase arrives") {
        nlohmann::json refund = {{"id", "evt_r"},
                                 {"object", "event"},
                                 {"type", "charge.refunded"},
                                 {"created", now - 30},
                                 {"livemode", false},
                                 {"data",
                                  {{"object",
                                    {{"object", "charge"},
                                     {"id", "ch_1"},
                                     {"amount", 500},
                                     {"amount_refunded", 500},
                                     {"refunded", true},
                                     {"payment_intent", "pi_evt_p"}}}}}};
        http.answer(200, page({refund}, false));
        auto r = run();
        CHECK(r.replay.count(Outcome::needs_attention) == 1);
        // Listed with the purchase as the newer one: the refund is tried first and fails again,
        // then the purchase is credited and the stored refund, tried once more, applies.
        http.answer(200, page({purchase("evt_p", now - 40), refund}, false));
        r = run();
        CHECK(r.replay.count(Outcome::credited) == 1);
        CHECK(r.replay.count(Outcome::refunded) == 1);
        CHECK(r.replay.retried == 2);
        CHECK(balance(database) == 10);
    }
    TEST_CASE("a newer cursor stored by an overlapping sync is not moved back") {
        auto database = shop();
        // Another sync commits a newer cursor while this one is paging.
        struct OverlappingHttp final : stripe::HttpClient {
            FakeHttp fake;
            db::Database* db = nullptr;
            stripe::HttpResponse send(const stripe::HttpRequest& request) override {
                db->execute(
                    "INSERT OR REPLACE INTO quicktools_state (name, value, updated_at) VALUES ('stripe.sync.cursor', "
                    "'{\"event_id\":\"evt_9\",\"created\":" +
                    std::to_string(now - 5) + "}', 'x')");
                return fake.send(request);
            }
        } http;
        http.db = &database;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options(0));
        http.fake.answer(200, page({purchase("evt_2", now - 20)}, false));
        SyncOptions o;
        o.now = now;
        const auto r = sync_events(database, client, o);
        CHECK(r.replay.count(Outcome::credited) == 1);
        CHECK(read_sync_cursor(database)->event_id == "evt_9");
        CHECK(r.cursor_after->event_id == "evt_9");
    }
    TEST_CASE_FIXTURE(Sync, "a failure on a later page applies nothing and keeps the cursor") {
        http.answer(200, page({purchase("evt_2", now - 20)}, true));
        http.fail(stripe::TransportFailure::other, "connection reset");
        CHECK_THROWS_AS(run(), Error);
        CHECK(balance(database) == 10);
        CHECK_FALSE(read_sync_cursor(database));
    }
    TEST_CASE_FIXTURE(Sync, "a dry run reports and leaves the events and the cursor alone") {
        http.answer(200, page({purchase("evt_1", now - 20)}, false));
        options.dry_run = DryRun::yes;
        const auto r = run();
        CHECK(r.replay.count(Outcome::credited) == 1);
        CHECK(balance(database) == 10);
        CHECK_FALSE(read_sync_cursor(database));
    }
    TEST_CASE_FIXTURE(Sync, "--since past 30 days warns and lists from that date") {
        http.answer(200, page({}, false));
        options.since_seconds = 40 * 86400;
        const auto r = run();
        CHECK(r.start == "since");
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0].find("30 days") != std::string::npos);
        CHECK(http.requests[0].url.find("created%5Bgte%5D=" + std::to_string(now - 40 * 86400)) != std::string::npos);
    }
}
