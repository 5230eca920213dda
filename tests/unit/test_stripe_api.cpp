#include <doctest/doctest.h>

#include <cstdlib>
#include <regex>

#include "fake_http.hpp"
#include "quicktools/stripe/api_client.hpp"
#include "quicktools/stripe/form.hpp"

using namespace quicktools;
using namespace quicktools::stripe;
using quicktools::testing::FakeHttp;
using std::chrono::milliseconds;

namespace {

const char* const test_key = "sk_test_51SecretValue0123456789";

struct Harness {
    FakeHttp http;
    std::vector<milliseconds> sleeps;
    std::vector<std::string> notes;
    StripeClient client;

    explicit Harness(int max_retries = 2) : client(http, ApiKey{test_key, "STRIPE_API_KEY"}, options(max_retries)) {}

    ClientOptions options(int max_retries) {
        ClientOptions o;
        o.api_base = "http://stripe.test";
        o.retry.max_retries = max_retries;
        o.sleep = [this](milliseconds d) { sleeps.push_back(d); };
        o.jitter = [] { return 0.5; };
        o.on_retry = [this](const std::string& m) { notes.push_back(m); };
        return o;
    }
};

const std::string session_json =
    R"({"id":"cs_test_1","object":"checkout.session","url":"https://checkout.stripe.com/c/pay/cs_test_1"})";
const std::string error_json =
    R"({"error":{"type":"invalid_request_error","code":"parameter_unknown","message":"Received unknown parameter:\n  foo","param":"foo"}})";

}  // namespace

TEST_SUITE("stripe errors") {
    TEST_CASE("Stripe's error JSON becomes one line with type, code, message and param") {
        const auto line = describe_stripe_error(400, error_json);
        CHECK(line == "invalid_request_error (parameter_unknown): Received unknown parameter: foo [param: foo]");
        CHECK(
            describe_stripe_error(
                402,
                R"({"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card was declined."}})") ==
            "card_error (card_declined) [decline: insufficient_funds]: Your card was declined.");
        CHECK(describe_stripe_error(502, "<html>bad gateway</html>") ==
              "HTTP 502 with a body that is not Stripe's error JSON");
    }
    TEST_CASE("an error answer throws ApiError with the fields and one line") {
        Harness h;
        h.http.answer(400, error_json, {{"Request-Id", "req_123"}});
        try {
            h.client.post("/v1/checkout/sessions", {{"foo", "1"}});
            FAIL("expected ApiError");
        } catch (const ApiError& e) {
            CHECK(e.status == 400);
            CHECK(e.type == "invalid_request_error");
            CHECK(e.error_code == "parameter_unknown");
            CHECK(e.param == "foo");
            CHECK(e.code() == ExitCode::failed);
            const std::string m = e.what();
            CHECK(m.find('\n') == std::string::npos);
            CHECK(m.find("HTTP 400") != std::string::npos);
            CHECK(m.find("req_123") != std::string::npos);
        }
        CHECK(h.http.requests.size() == 1);
    }
}

TEST_SUITE("stripe retries") {
    TEST_CASE("which answers are retried") {
        RetryPolicy p;
        const auto with = [](long status, Headers headers = {}) {
            return HttpResponse{status, std::move(headers), ""};
        };
        for (long status : {409L, 429L, 500L, 502L, 503L}) {
            const auto r = with(status);
            CHECK(should_retry(&r, 0, p));
        }
        for (long status : {400L, 401L, 402L, 403L, 404L}) {
            const auto r = with(status);
            CHECK_FALSE(should_retry(&r, 0, p));
        }
        CHECK(should_retry(nullptr, 0, p));
        CHECK_FALSE(should_retry(nullptr, 2, p));
        const auto no = with(500, {{"stripe-should-retry", "false"}});
        CHECK_FALSE(should_retry(&no, 0, p));
        const auto yes = with(400, {{"Stripe-Should-Retry", "true"}});
        CHECK(should_retry(&yes, 0, p));
        CHECK_FALSE(should_retry(&yes, 2, p));
    }
    TEST_CASE("backoff doubles, is jittered within bounds, and honours a capped Retry-After") {
        RetryPolicy p;
        CHECK(retry_delay(1, nullptr, p, 0.0) == milliseconds(500));
        CHECK(retry_delay(2, nullptr, p, 0.0) == milliseconds(500));
        CHECK(retry_delay(2, nullptr, p, 0.999) == milliseconds(1000));
        CHECK(retry_delay(3, nullptr, p, 1.0) == milliseconds(2000));
        CHECK(retry_delay(10, nullptr, p, 1.0) == milliseconds(5000));
        for (int retry = 1; retry <= 8; ++retry)
            for (double j : {0.0, 0.3, 0.7, 1.0}) {
                const auto d = retry_delay(retry, nullptr, p, j);
                CHECK(d >= p.initial_delay);
                CHECK(d <= p.max_delay);
            }
        const HttpResponse later{429, {{"Retry-After", "3"}}, ""};
        CHECK(retry_delay(1, &later, p, 0.0) == milliseconds(3000));
        const HttpResponse much_later{429, {{"Retry-After", "3600"}}, ""};
        CHECK(retry_delay(1, &much_later, p, 0.0) == p.max_retry_after);
        const HttpResponse garbage{429, {{"Retry-After", "soon"}}, ""};
        CHECK(retry_delay(1, &garbage, p, 0.0) == milliseconds(500));
    }
    TEST_CASE("429 then success: one retry, Retry-After slept, the same idempotency key") {
        Harness h;
        h.http.answer(429, R"({"error":{"type":"rate_limit_error","message":"Too many requests"}})",
                      {{"Retry-After", "2"}});
        h.http.answer(200, session_json);
        const auto r = h.client.post("/v1/checkout/sessions", {{"mode", "payment"}});
        CHECK(r.attempts == 2);
        CHECK(r.body["id"] == "cs_test_1");
        REQUIRE(h.http.requests.size() == 2);
        const auto key = FakeHttp::header(h.http.requests[0], "Idempotency-Key");
        CHECK(std::regex_match(key, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
        CHECK(FakeHttp::header(h.http.requests[1], "Idempotency-Key") == key);
        CHECK(r.idempotency_key == key);
        CHECK(h.sleeps == std::vector<milliseconds>{milliseconds(2000)});
        REQUIRE(h.notes.size() == 1);
        CHECK(h.notes[0].find("HTTP 429") != std::string::npos);
    }
    TEST_CASE("a given idempotency key is sent unchanged") {
        Harness h;
        h.http.answer(200, session_json);
        h.client.post("/v1/checkout/sessions", {}, "order-42");
        CHECK(FakeHttp::header(h.http.requests[0], "Idempotency-Key") == "order-42");
        CHECK_THROWS_AS(h.client.post("/v1/x", {}, "a\r\nX-Evil: 1"), Error);
        CHECK_THROWS_AS(h.client.post("/v1/x", {}, "has space"), Error);
        CHECK_THROWS_AS(h.client.post("/v1/x", {}, std::string(256, 'k')), Error);
        CHECK(h.http.requests.size() == 1);
    }
    TEST_CASE("500 three times fails after two retries with one line") {
        Harness h;
        for (int i = 0; i < 3; ++i) h.http.answer(500, R"({"error":{"type":"api_error","message":"boom"}})");
        try {
            h.client.post("/v1/checkout/sessions", {}, "k-1");
            FAIL("expected ApiError");
        } catch (const ApiError& e) {
            const std::string m = e.what();
            CHECK(e.status == 500);
            CHECK(m.find("after 3 attempts") != std::string::npos);
            CHECK(m.find("k-1") != std::string::npos);
        }
        CHECK(h.http.requests.size() == 3);
        CHECK(h.sleeps.size() == 2);
    }
    TEST_CASE("Stripe-Should-Retry: false stops at once; max_retries 0 never retries") {
        Harness h;
        h.http.answer(503, "{}", {{"Stripe-Should-Retry", "false"}});
        CHECK_THROWS_AS(h.client.post("/v1/x", {}), ApiError);
        CHECK(h.http.requests.size() == 1);
        Harness none(0);
        none.http.fail(TransportFailure::dropped);
        CHECK_THROWS_AS(none.client.get("/v1/events"), Error);
        CHECK(none.http.requests.size() == 1);
    }
    TEST_CASE("connection failures are retried, then reported") {
        Harness h;
        h.http.fail(TransportFailure::dropped, "Empty reply from server");
        h.http.answer(200, session_json);
        CHECK(h.client.post("/v1/checkout/sessions", {}).attempts == 2);
        Harness t;
        for (int i = 0; i < 3; ++i) t.http.fail(TransportFailure::timeout);
        try {
            t.client.get("/v1/events");
            FAIL("expected Error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find("no answer within the timeout") != std::string::npos);
        }
        CHECK(t.http.requests.size() == 3);
    }
    TEST_CASE("a body that stalled or was cut short after the status is retried with the same key, then named") {
        Harness h(1);
        h.http.fail(TransportFailure::dropped, "transfer closed with 900 bytes remaining to read", 200);
        h.http.fail(TransportFailure::timeout, "Operation timed out", 200);
        try {
            h.client.post("/v1/checkout/sessions", {}, "k-slow");
            FAIL("expected Error");
        } catch (const Error& e) {
            const std::string m = e.what();
            CHECK(m.find("HTTP 200 arrived but its body did not arrive completely within the timeout") !=
                  std::string::npos);
            CHECK(m.find("a repeat with idempotency key k-slow is safe") != std::string::npos);
        }
        REQUIRE(h.http.requests.size() == 2);
        CHECK(FakeHttp::header(h.http.requests[1], "Idempotency-Key") == "k-slow");
        CHECK(h.notes.size() == 1);
        CHECK(h.notes[0].find("HTTP 200 arrived but its body did not arrive completely: the connection closed") !=
              std::string::npos);
    }
    TEST_CASE("a 4xx other than 409 and 429 is not retried") {
        Harness h;
        h.http.answer(402, R"({"error":{"type":"card_error","message":"declined"}})");
        CHECK_THROWS_AS(h.client.post("/v1/x", {}), ApiError);
        CHECK(h.http.requests.size() == 1);
    }
}

TEST_SUITE("stripe requests") {
    TEST_CASE("headers, version, form body and query strings") {
        Harness h;
        h.http.answer(200, session_json);
        h.http.answer(200, R"({"object":"list","data":[]})");
        h.client.post("/v1/checkout/sessions", {{"metadata", {{"user_id", "7"}}}});
        h.client.get("/v1/events", {{"limit", 100}, {"types", {"a.b"}}});
        const auto& post = h.http.requests[0];
        CHECK(post.method == "POST");
        CHECK(post.url == "http://stripe.test/v1/checkout/sessions");
        CHECK(post.body == "metadata%5Buser_id%5D=7");
        CHECK(FakeHttp::header(post, "Authorization") == std::string("Bearer ") + test_key);
        CHECK(FakeHttp::header(post, "Stripe-Version") == std::string(pinned_api_version));
        CHECK(FakeHttp::header(post, "Content-Type") == "application/x-www-form-urlencoded");
        const auto& get = h.http.requests[1];
        CHECK(get.url == "http://stripe.test/v1/events?limit=100&types%5B%5D=a.b");
        CHECK(get.body.empty());
        CHECK(FakeHttp::header(get, "Idempotency-Key").empty());
    }
    TEST_CASE("a DELETE carries an idempotency key") {
        Harness h;
        h.http.answer(200, R"({"id":"sub_1","status":"canceled"})");
        const auto r = h.client.del("/v1/subscriptions/sub_1");
        CHECK(r.body["status"] == "canceled");
        CHECK(FakeHttp::header(h.http.requests[0], "Idempotency-Key").size() == 36);
    }
}

TEST_SUITE("stripe key") {
    TEST_CASE("the key never appears in error messages") {
        Harness h;
        h.http.answer(401,
                      std::string(R"({"error":{"type":"invalid_request_error","message":"Invalid API Key provided: )") +
                          test_key + R"("}})");
        try {
            h.client.get("/v1/events");
            FAIL("expected ApiError");
        } catch (const ApiError& e) {
            const std::string m = e.what();
            CHECK(m.find(test_key) == std::string::npos);
            CHECK(m.find("[redacted]") != std::string::npos);
        }
        CHECK(redact("a sk_x b sk_x", "sk_x") == "a [redacted] b [redacted]");
        CHECK(redact("nothing", "") == "nothing");
    }
    TEST_CASE("loading the key: missing, publishable, live without --live") {
        ::unsetenv("STRIPE_API_KEY");
        try {
            load_api_key(std::nullopt, LiveKeys::refuse);
            FAIL("expected a usage error");
        } catch (const Error& e) {
            CHECK(e.code() == ExitCode::usage);
            CHECK(std::string(e.what()).find("STRIPE_API_KEY") != std::string::npos);
        }
        ::setenv("STRIPE_API_KEY", "pk_test_abc", 1);
        CHECK_THROWS_AS(load_api_key(std::nullopt, LiveKeys::refuse), Error);
        ::setenv("STRIPE_API_KEY", "sk_live_abc", 1);
        try {
            load_api_key(std::nullopt, LiveKeys::refuse);
            FAIL("expected a refusal");
        } catch (const Error& e) {
            CHECK(e.code() == ExitCode::refused);
            CHECK(std::string(e.what()).find("sk_live_abc") == std::string::npos);
        }
        CHECK(load_api_key(std::nullopt, LiveKeys::allow).live());
        ::setenv("STRIPE_API_KEY", " sk_test_abc\n", 1);
        const auto key = load_api_key(std::nullopt, LiveKeys::refuse);
        CHECK(key.value == "sk_test_abc");
        CHECK_FALSE(key.live());
        ::setenv("STRIPE_API_KEY", "sk_test_a\"b", 1);
        CHECK_THROWS_AS(load_api_key(std::nullopt, LiveKeys::refuse), Error);
        ::unsetenv("STRIPE_API_KEY");
        CHECK_THROWS_AS(load_api_key(std::string("/nonexistent/key"), LiveKeys::refuse), Error);
    }
    TEST_CASE("idempotency keys are distinct UUIDv4") {
        const auto a = new_idempotency_key();
        CHECK(a.size() == 36);
        CHECK(a[14] == '4');
        CHECK(a != new_idempotency_key());
    }
}
