#include <doctest/doctest.h>

#include "fake_http.hpp"
#include "quicktools/stripe/list.hpp"

using namespace quicktools;
using quicktools::testing::FakeHttp;

namespace {

std::string list_page(std::initializer_list<const char*> ids, bool has_more) {
    nlohmann::json data = nlohmann::json::array();
    for (const char* id : ids) data.push_back({{"id", id}, {"object", "refund"}});
    return nlohmann::json{{"object", "list"}, {"data", data}, {"has_more", has_more}}.dump();
}

// The message of the Error that listing throws.
std::string list_error(stripe::StripeClient& client, int max_pages = 100) {
    try {
        stripe::list_all(client, "/v1/refunds", nlohmann::json::object(), max_pages);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_SUITE("stripe lists") {
    TEST_CASE("every page, with starting_after and the filters kept") {
        FakeHttp http;
        stripe::StripeClient client(http, stripe::ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        http.answer(200, list_page({"re_3", "re_2"}, true));
        http.answer(200, list_page({"re_1"}, false));
        const auto all = stripe::list_all(client, "/v1/refunds", {{"payment_intent", "pi_1"}});
        REQUIRE(all.size() == 3);
        CHECK(all[2]["id"] == "re_1");
        REQUIRE(http.requests.size() == 2);
        CHECK(http.requests[0].url.find("payment_intent=pi_1") != std::string::npos);
        CHECK(http.requests[0].url.find("limit=100") != std::string::npos);
        CHECK(http.requests[1].url.find("starting_after=re_2") != std::string::npos);
    }

    TEST_CASE("a server that repeats its page, too many pages, or no list") {
        FakeHttp http;
        stripe::StripeClient client(http, stripe::ApiKey{"sk_test_x", "env"}, quicktools::testing::offline_options());
        http.answer(200, list_page({"re_1"}, true));
        http.answer(200, list_page({"re_1"}, true));
        CHECK(list_error(client).find("so as not to loop") != std::string::npos);
        http.answer(200, list_page({"re_1"}, true));
        http.answer(200, list_page({"re_2"}, true));
        CHECK(list_error(client, 2).find("more than 2 pages") != std::string::npos);
        http.answer(200, R"({"object": "refund", "id": "re_1"})");
        CHECK(list_error(client).find("not a list object") != std::string::npos);
    }
}
