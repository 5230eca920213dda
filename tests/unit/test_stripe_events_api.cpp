#include <doctest/doctest.h>

#include "fake_http.hpp"
#include "quicktools/stripe/events_api.hpp"
#include "quicktools/stripe/subscriptions.hpp"

using namespace quicktools;
using namespace quicktools::stripe;
using quicktools::testing::FakeHttp;

namespace {

std::string page(std::initializer_list<const char*> ids, bool has_more) {
    nlohmann::json data = nlohmann::json::array();
    for (const char* id : ids) data.push_back({{"id", id}, {"object", "event"}, {"type", "charge.refunded"}});
    return nlohmann::json{{"object", "list"}, {"data", data}, {"has_more", has_more}}.dump();
}

}  // namespace

TEST_SUITE("stripe events api") {
    TEST_CASE("from a date: pages with starting_after and returns oldest first") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        http.answer(200, page({"evt_5", "evt_4"}, true));
        http.answer(200, page({"evt_3"}, false));
        ListEventsOptions o;
        o.since = 1'700'000'000;
        o.now = 1'700'000'000 + 3600;
        o.page_size = 2;
        const auto r = list_events(client, o);
        REQUIRE(r.events.size() == 3);
        CHECK(r.events.front()["id"] == "evt_3");
        CHECK(r.events.back()["id"] == "evt_5");
        CHECK(r.newest_id == "evt_5");
        CHECK(r.pages == 2);
        CHECK(r.warnings.empty());
        const auto& first = http.requests[0].url;
        CHECK(first.find("created%5Bgte%5D=1700000000") != std::string::npos);
        CHECK(first.find("limit=2") != std::string::npos);
        CHECK(first.find("types%5B%5D=checkout.session.completed") != std::string::npos);
        CHECK(first.find("types%5B%5D=charge.dispute.created") != std::string::npos);
        CHECK(first.find("types%5B%5D=refund.failed") != std::string::npos);
        CHECK(first.find("types%5B%5D=charge.dispute.funds_withdrawn") != std::string::npos);
        CHECK(first.find("starting_after") == std::string::npos);
        CHECK(http.requests[1].url.find("starting_after=evt_4") != std::string::npos);
    }
    TEST_CASE("a server that repeats a page with has_more stops at once, naming it") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        for (int i = 0; i < 5; ++i) http.answer(200, page({"evt_2", "evt_1"}, true));
        ListEventsOptions o;
        o.page_size = 2;
        try {
            list_events(client, o);
            FAIL("expected Error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find("no event it had not listed already") != std::string::npos);
        }
        CHECK(http.requests.size() == 2);
    }
    TEST_CASE("more pages than allowed is an error, not a partial list") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        http.answer(200, page({"evt_9", "evt_8"}, true));
        http.answer(200, page({"evt_7", "evt_6"}, true));
        ListEventsOptions o;
        o.page_size = 2;
        o.max_pages = 2;
        CHECK_THROWS_WITH_AS(list_events(client, o), doctest::Contains("--max-pages"), Error);
        CHECK(http.requests.size() == 2);
    }
    TEST_CASE("nothing listed leaves no newest event") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        http.answer(200, page({}, false));
        const auto r = list_events(client, ListEventsOptions{});
        CHECK(r.events.empty());
        CHECK(r.newest_id.empty());
    }
    TEST_CASE("the 30-day limit is explained") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        http.answer(200, page({}, false));
        ListEventsOptions o;
        o.now = 1'800'000'000;
        o.since = o.now - 40 * 86400;
        const auto r = list_events(client, o);
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0].find("30 days") != std::string::npos);
        ListEventsOptions bad;
        bad.page_size = 0;
        CHECK_THROWS_AS(list_events(client, bad), Error);
    }
}

TEST_SUITE("stripe events api") {
    TEST_CASE("--since durations") {
        CHECK(parse_duration_seconds("45") == 45);
        CHECK(parse_duration_seconds("90m") == 5400);
        CHECK(parse_duration_seconds("36h") == 36 * 3600);
        CHECK(parse_duration_seconds("7d") == 7 * 86400);
        CHECK(parse_duration_seconds("2w") == 14 * 86400);
        for (const char* bad : {"", "d", "0d", "-1d", "7x", "7dd", "1.5h", "400d", "9999999999"})
            CHECK_THROWS_AS(parse_duration_seconds(bad), Error);
    }
}

TEST_SUITE("stripe subscriptions") {
    TEST_CASE("cancel sends DELETE with a stable idempotency key") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        http.answer(200, R"({"id":"sub_1","object":"subscription","status":"canceled"})");
        const auto r = cancel_subscription(client, "sub_1");
        CHECK(r.outcome == CancelOutcome::canceled);
        CHECK(r.status == "canceled");
        CHECK(http.requests[0].method == "DELETE");
        CHECK(http.requests[0].url == "http://stripe.test/v1/subscriptions/sub_1");
        CHECK(FakeHttp::header(http.requests[0], "Idempotency-Key") == "quicktools-cancel-sub_1");
        CHECK(r.idempotency_key == cancel_idempotency_key("sub_1"));
    }
    TEST_CASE("resource_missing is confirmed with GET: canceled is done, unknown is not found") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        const char* missing =
            R"({"error":{"type":"invalid_request_error","code":"resource_missing","param":"id","message":"No such subscription: 'sub_2'"}})";
        http.answer(404, missing);
        http.answer(200, R"({"id":"sub_2","object":"subscription","status":"canceled"})");
        auto r = cancel_subscription(client, "sub_2", "k");
        CHECK(r.outcome == CancelOutcome::already_gone);
        CHECK(r.done());
        CHECK(http.requests[1].method == "GET");
        CHECK(http.requests[1].url == "http://stripe.test/v1/subscriptions/sub_2");
        http.answer(404, missing);
        http.answer(404, missing);
        r = cancel_subscription(client, "sub_2", "k2");
        CHECK(r.outcome == CancelOutcome::not_found);
        CHECK_FALSE(r.done());
        CHECK(r.detail.find("test mode") != std::string::npos);
        http.answer(200, R"({"id":"sub_4","status":"active"})");
        r = cancel_subscription(client, "sub_4");
        CHECK(r.outcome == CancelOutcome::unexpected);
        CHECK(r.detail.find("status active") != std::string::npos);
        http.answer(401, R"({"error":{"type":"invalid_request_error","message":"Invalid API Key"}})");
        CHECK_THROWS_AS(cancel_subscription(client, "sub_3"), ApiError);
    }
    TEST_CASE("ids that are not sub_ are refused before any request") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        CHECK_THROWS_AS(cancel_subscription(client, "../charges"), Error);
        CHECK_THROWS_AS(cancel_subscription(client, "sub_"), Error);
        CHECK_THROWS_AS(cancel_subscription(client, "cus_1"), Error);
        CHECK(http.requests.empty());
    }
}
