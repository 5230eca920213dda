#include <doctest/doctest.h>

#include "quicktools/stripe/form.hpp"

using namespace quicktools::stripe;

TEST_SUITE("stripe form encoding") {
    TEST_CASE("nested objects and arrays use bracket notation") {
        const nlohmann::json params = {
            {"mode", "payment"},
            {"metadata", {{"user_id", "7"}, {"pack", "pro"}}},
            {"line_items", {{{"price_data", {{"currency", "usd"}, {"unit_amount", 3000}}}, {"quantity", 1}}}},
            {"types", {"checkout.session.completed", "charge.refunded"}},
            {"invoice_now", true}};
        const auto pairs = flatten_params(params);
        const std::vector<std::pair<std::string, std::string>> expected = {
            {"invoice_now", "true"},
            {"line_items[0][price_data][currency]", "usd"},
            {"line_items[0][price_data][unit_amount]", "3000"},
            {"line_items[0][quantity]", "1"},
            {"metadata[pack]", "pro"},
            {"metadata[user_id]", "7"},
            {"mode", "payment"},
            {"types[]", "checkout.session.completed"},
            {"types[]", "charge.refunded"}};
        CHECK(pairs == expected);
        CHECK(encode_form({{"metadata", {{"user_id", "7"}}}}) == "metadata%5Buser_id%5D=7");
        CHECK(encode_form({{"created", {{"gte", 1700000000}}}}) == "created%5Bgte%5D=1700000000");
    }
    TEST_CASE("values are percent-encoded") {
        CHECK(percent_encode("a b&c=d+e/f?g#h") == "a%20b%26c%3Dd%2Be%2Ff%3Fg%23h");
        CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
        CHECK(percent_encode("é") == "%C3%A9");
        CHECK(percent_encode("{CHECKOUT_SESSION_ID}") == "%7BCHECKOUT_SESSION_ID%7D");
        CHECK(encode_form({{"customer_email", "a+b@example.com"}, {"x", nullptr}}) ==
              "customer_email=a%2Bb%40example.com&x=");
    }
    TEST_CASE("empty and invalid parameters") {
        CHECK(encode_form(nlohmann::json::object()).empty());
        CHECK(encode_form(nullptr).empty());
        CHECK_THROWS_AS(encode_form(nlohmann::json::array()), std::invalid_argument);
    }
}
