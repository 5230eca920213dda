#include <doctest/doctest.h>

#include "fake_http.hpp"
#include "quicktools/stripe/reconcile.hpp"
#include "quicktools/stripe/refund_purchase.hpp"

using namespace quicktools;
using namespace quicktools::stripe;
using quicktools::testing::FakeHttp;

namespace {

std::string list_page(std::initializer_list<const char*> ids, bool has_more) {
    nlohmann::json data = nlohmann::json::array();
    for (const char* id : ids) data.push_back({{"id", id}, {"object", "refund"}});
    return nlohmann::json{{"object", "list"}, {"data", data}, {"has_more", has_more}}.dump();
}

nlohmann::json dispute_with(const char* status, int transactions) {
    nlohmann::json d = {
        {"id", "dp_1"}, {"object", "dispute"}, {"status", status}, {"balance_transactions", nlohmann::json::array()}};
    for (int i = 0; i < transactions; ++i) d["balance_transactions"].push_back({{"id", "txn"}});
    return d;
}

}  // namespace

TEST_SUITE("stripe reconcile") {
    TEST_CASE("list_all with options: the page size, the pages counted, only the fields asked for") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        http.answer(200,
                    R"({"object":"list","has_more":true,"data":[{"id":"re_5","object":"refund","amount":5,)"
                    R"("destination_details":{"card":{"type":"refund"}},"metadata":{}},{"id":"re_4","amount":4}]})");
        http.answer(200, list_page({"re_3"}, false));
        int pages = 1;  // added to
        ListOptions o;
        o.page_size = 2;
        o.keep = {"id", "amount", "status"};
        const auto all = list_all(client, "/v1/refunds", {{"created", {{"gte", 1700000000}}}}, o, pages);
        REQUIRE(all.size() == 3);
        CHECK(all[0] == nlohmann::json{{"id", "re_5"}, {"amount", 5}});
        CHECK(all[2] == nlohmann::json{{"id", "re_3"}});
        CHECK(pages == 3);
        CHECK(http.requests[0].url.find("created%5Bgte%5D=1700000000") != std::string::npos);
        CHECK(http.requests[0].url.find("limit=2") != std::string::npos);
        CHECK(http.requests[1].url.find("starting_after=re_4") != std::string::npos);
    }
    TEST_CASE("list_all with options stops after max_pages and refuses a bad page size") {
        FakeHttp http;
        StripeClient client(http, ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        http.answer(200, list_page({"re_3"}, true));
        http.answer(200, list_page({"re_2"}, true));
        int pages = 0;
        ListOptions o;
        o.max_pages = 1;
        CHECK_THROWS_WITH_AS(list_all(client, "/v1/disputes", {}, o, pages),
                             doctest::Contains("more than 1 pages for GET /v1/disputes"), Error);
        CHECK(http.requests.size() == 1);
        o.page_size = 101;
        CHECK_THROWS_AS(list_all(client, "/v1/disputes", {}, o, pages), Error);
        CHECK(http.requests.size() == 1);
    }
    TEST_CASE("a refund is reflected when its amount and status are recorded") {
        const nlohmann::json refund = {{"id", "re_1"}, {"amount", 1500}, {"status", "succeeded"}};
        CHECK_FALSE(refund_reflected(std::nullopt, refund));
        CHECK(refund_reflected(RecordedRefund{1500, "succeeded"}, refund));
        CHECK_FALSE(refund_reflected(RecordedRefund{1500, "pending"}, refund));
        CHECK_FALSE(refund_reflected(RecordedRefund{1000, "succeeded"}, refund));
    }
    TEST_CASE("a dispute is reflected when its status and funds are recorded") {
        CHECK_FALSE(dispute_reflected(std::nullopt, dispute_with("needs_response", 1)));
        CHECK(dispute_reflected(RecordedDispute{"needs_response", true, false}, dispute_with("needs_response", 1)));
        CHECK_FALSE(
            dispute_reflected(RecordedDispute{"needs_response", false, false}, dispute_with("needs_response", 1)));
        CHECK(dispute_reflected(RecordedDispute{"won", true, true}, dispute_with("won", 2)));
        CHECK_FALSE(dispute_reflected(RecordedDispute{"under_review", true, false}, dispute_with("won", 2)));
        // An inquiry moves no money, whatever it lists.
        CHECK(dispute_reflected(RecordedDispute{"warning_needs_response", false, false},
                                dispute_with("warning_needs_response", 0)));
    }
    TEST_CASE("the events made from listed objects") {
        const nlohmann::json s = {
            {"id", "cs_test_1"}, {"object", "checkout.session"}, {"created", 1700000000}, {"livemode", false}};
        const auto e = reconcile_event(s, 1800000000, true);
        CHECK(e["id"] == "reconcile:cs_test_1");
        CHECK(e["type"] == "checkout.session.completed");
        CHECK(e["created"] == 1700000000);
        CHECK(e["livemode"] == false);  // the object's own mode
        CHECK(e["data"]["object"] == s);

        const nlohmann::json r = {{"id", "re_1"}, {"object", "refund"}, {"amount", 500}, {"status", "failed"}};
        const auto re = reconcile_event(r, 1800000000, true);
        CHECK(re["id"] == "reconcile:re_1:failed:500");
        CHECK(re["type"] == "refund.updated");
        CHECK(re["created"] == 1800000000);
        CHECK(re["livemode"] == true);  // refunds carry no mode: the key's

        const auto de = reconcile_event(dispute_with("won", 2), 1800000000, false);
        CHECK(de["id"] == "reconcile:dp_1:won:2");
        CHECK(de["type"] == "charge.dispute.updated");
        CHECK_THROWS_AS(reconcile_event({{"id", "ch_1"}, {"object", "charge"}}, 1, false), std::logic_error);
    }
    TEST_CASE("a refund request's idempotency key follows the request") {
        const auto key = refund_idempotency_key("cs_1", 1500, "ticket 1");
        CHECK(key.rfind("quicktools-refund-", 0) == 0);
        CHECK(key.size() == 18 + 40);
        CHECK(key == refund_idempotency_key("cs_1", 1500, "ticket 1"));
        CHECK(key != refund_idempotency_key("cs_1", 1499, "ticket 1"));
        CHECK(key != refund_idempotency_key("cs_2", 1500, "ticket 1"));
        CHECK(key != refund_idempotency_key("cs_1", 1500, "ticket 2"));
    }
    TEST_CASE("amounts for people") {
        CHECK(format_money(3000, "usd") == "30.00 USD");
        CHECK(format_money(5, "eur") == "0.05 EUR");
        CHECK(format_money(-1250, "usd") == "-12.50 USD");
        CHECK(format_money(0, "usd") == "0.00 USD");
    }
    TEST_CASE("what is left to refund") {
        Purchase p;
        p.paid = 3000;
        CHECK(p.refundable() == 3000);
        p.refunded = 1000;
        CHECK(p.refundable() == 2000);
        p.refunded = 3500;
        CHECK(p.refundable() == 0);
    }
}
