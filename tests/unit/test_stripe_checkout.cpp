#include <doctest/doctest.h>

#include "fake_http.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/stripe/checkout.hpp"
#include "quicktools/stripe/form.hpp"

using namespace quicktools;
using namespace quicktools::stripe;

namespace {

db::Database database_with_one_user() {
    auto database = db::Database::in_memory();
    db::initialise(database, "test");
    database.execute(
        "INSERT INTO users (id, email, hashed_password, created_at, is_active) "
        "VALUES (7, 'ann+vip@example.com', 'x', '2025-01-01 00:00:00.000000', 1)");
    return database;
}

CheckoutRequest request(std::string user, std::string pack) {
    return {std::move(user), std::move(pack), "https://app.example/ok?s={CHECKOUT_SESSION_ID}",
            "https://app.example/no", std::nullopt};
}

}  // namespace

TEST_SUITE("checkout") {
    TEST_CASE("the session parameters follow the SPEC") {
        const auto* pro = credits::find_pack("pro");
        REQUIRE(pro != nullptr);
        CHECK(product_name(*pro) == "Pro credit pack (1200 credits)");
        const auto params = checkout_params({7, "a@example.com", ""}, *pro, "https://s", "https://c");
        const auto pairs = flatten_params(params);
        const std::vector<std::pair<std::string, std::string>> expected = {
            {"cancel_url", "https://c"},
            {"client_reference_id", "7"},
            {"customer_email", "a@example.com"},
            {"line_items[0][price_data][currency]", "usd"},
            {"line_items[0][price_data][product_data][name]", "Pro credit pack (1200 credits)"},
            {"line_items[0][price_data][unit_amount]", "3000"},
            {"line_items[0][quantity]", "1"},
            {"metadata[pack]", "pro"},
            {"metadata[user_id]", "7"},
            {"mode", "payment"},
            {"payment_intent_data[description]", "Pro credit pack (1200 credits) for user 7"},
            {"payment_intent_data[metadata][pack]", "pro"},
            {"payment_intent_data[metadata][user_id]", "7"},
            {"success_url", "https://s"}};
        CHECK(pairs == expected);
        // A user the app knows at Stripe is sent as that customer, without the email.
        const auto known = checkout_params({7, "a@example.com", "cus_123"}, *pro, "https://s", "https://c");
        CHECK(known["customer"] == "cus_123");
        CHECK_FALSE(known.contains("customer_email"));
    }
    TEST_CASE("plan_checkout resolves the user by email or id") {
        auto database = database_with_one_user();
        const auto by_email = plan_checkout(database, request("ann+vip@example.com", "starter"));
        CHECK(by_email.user_id == 7);
        CHECK(by_email.email == "ann+vip@example.com");
        CHECK(by_email.params["line_items"][0]["price_data"]["unit_amount"] == 500);
        CHECK(plan_checkout(database, request("7", "business")).pack->credits == 5000);
    }
    TEST_CASE("unknown users, packs and bad URLs are refused") {
        auto database = database_with_one_user();
        CHECK_THROWS_AS(plan_checkout(database, request("8", "pro")), Error);
        try {
            plan_checkout(database, request("7", "platinum"));
            FAIL("expected a usage error");
        } catch (const Error& e) {
            CHECK(e.code() == ExitCode::usage);
            CHECK(std::string(e.what()).find("starter, standard, pro, business") != std::string::npos);
        }
        auto no_url = request("7", "pro");
        no_url.success_url.clear();
        CHECK_THROWS_AS(plan_checkout(database, no_url), Error);
        no_url = request("7", "pro");
        no_url.cancel_url = "javascript:alert(1)";
        CHECK_THROWS_AS(plan_checkout(database, no_url), Error);
        for (const char* hostless : {"https://", "http:///paid", "https://?x=1", "https://:443/"}) {
            CAPTURE(hostless);
            no_url = request("7", "pro");
            no_url.success_url = hostless;
            CHECK_THROWS_WITH_AS(plan_checkout(database, no_url), doctest::Contains("has no host"), Error);
        }
        auto empty_key = request("7", "pro");
        empty_key.idempotency_key = "";
        CHECK_THROWS_WITH_AS(plan_checkout(database, empty_key), doctest::Contains("--idempotency-key is empty"),
                             Error);
    }
    TEST_CASE("create_checkout_session posts the plan and reads id and url") {
        auto database = database_with_one_user();
        auto plan = plan_checkout(database, request("7", "pro"));
        plan.idempotency_key = "key-1";
        testing::FakeHttp http;
        http.answer(200, R"({"id":"cs_test_9","url":"https://checkout.stripe.com/c/pay/cs_test_9","livemode":false})");
        StripeClient client(http, ApiKey{"sk_test_x", "STRIPE_API_KEY"}, ClientOptions{});
        const auto session = create_checkout_session(client, plan);
        CHECK(session.id == "cs_test_9");
        CHECK(session.url == "https://checkout.stripe.com/c/pay/cs_test_9");
        CHECK(session.idempotency_key == "key-1");
        CHECK(http.requests[0].body == encode_form(plan.params));
        http.answer(200, R"({"id":"cs_test_9"})");
        CHECK_THROWS_AS(create_checkout_session(client, plan), Error);
    }
}
