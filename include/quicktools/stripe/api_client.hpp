#pragma once
// The Stripe API client: authentication, the pinned API version, idempotency keys, retries
// with backoff, timeouts, and Stripe's error JSON turned into one line. The API key is kept
// private and removed from every message the client builds.
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "quicktools/error.hpp"
#include "quicktools/stripe/http_client.hpp"

namespace quicktools::stripe {

// The API version every request pins (Stripe-Version), so Stripe's answers keep the shape
// the tool was written and tested against.
inline constexpr std::string_view pinned_api_version = "2025-10-29.clover";
inline constexpr std::string_view default_api_base = "https://api.stripe.com";

// Whether a live-mode key (sk_live_, rk_live_) may be used.
enum class LiveKeys { refuse, allow };

struct ApiKey {
    std::string value;   // never printed
    std::string source;  // "STRIPE_API_KEY" or the file it came from, for messages
    bool live() const;   // sk_live_ / rk_live_
};

// The key from --api-key-file (when given) or STRIPE_API_KEY. Throws a usage error (exit 2)
// with a hint when there is none or it is not a secret key, and a refusal (exit 4) for a live
// key without LiveKeys::allow.
ApiKey load_api_key(const std::optional<std::string>& key_file, LiveKeys live);

// STRIPE_API_BASE without a trailing slash, or https://api.stripe.com.
std::string api_base_from_env();

// STRIPE_CA_BUNDLE: a readable PEM file of authorities to trust for STRIPE_API_BASE, or empty
// (the system's). Throws a usage error naming the file when it cannot be read.
std::string ca_bundle_from_env();

// Refuses (exit 4) to send a key over plain http:// to anything but this machine (127.0.0.0/8,
// localhost, [::1]), and a live key over plain http:// at all.
void require_safe_transport(std::string_view api_base, const ApiKey& key);

// How Stripe's own libraries retry (stripe-python's constants).
struct RetryPolicy {
    int max_retries = 2;
    std::chrono::milliseconds initial_delay{500};
    std::chrono::milliseconds max_delay{5'000};
    std::chrono::milliseconds max_retry_after{60'000};  // a longer Retry-After is capped to this
};

// Whether an attempt that got `response` (nullptr: no response at all) deserves a retry when
// `retries_done` retries were made already: Stripe-Should-Retry decides when present, else
// connection failures, 409, 429 and 5xx retry.
bool should_retry(const HttpResponse* response, int retries_done, const RetryPolicy& policy);

// The wait before retry number `retry` (1-based): initial_delay * 2^(retry-1) capped at
// max_delay, times a jitter factor in [0.5, 1) (jitter in [0, 1)), at least initial_delay, and
// at least Retry-After seconds (capped at max_retry_after) when the response has one.
std::chrono::milliseconds retry_delay(int retry, const HttpResponse* response, const RetryPolicy& policy,
                                      double jitter);

// A random UUIDv4 from OpenSSL's RAND_bytes.
std::string new_idempotency_key();

// Stripe's {"error": {...}} as one line: "card_error (card_declined): Your card was declined.
// [param: source]". A body that is not Stripe's error JSON gives a short generic sentence.
std::string describe_stripe_error(long status, const std::string& body);

// Replaces every occurrence of `secret` in `text` by "[redacted]".
std::string redact(std::string text, std::string_view secret);

// An error answer from Stripe (after any retries), with its fields for callers that decide
// on them (for example resource_missing when cancelling). The message is one line.
class ApiError : public Error {
public:
    ApiError(const std::string& message, long status, std::string type, std::string error_code, std::string param,
             std::string stripe_message);
    long status;
    std::string type;
    std::string error_code;  // Stripe's "code" (code() is the exit code)
    std::string param;
    std::string stripe_message;  // Stripe's own "message" field
};

struct ClientOptions {
    std::string api_base = std::string(default_api_base);
    std::string api_version = std::string(pinned_api_version);
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds total_timeout{30'000};
    RetryPolicy retry;
    // Hooks, so that tests neither sleep nor depend on chance; defaults sleep and draw randomly.
    std::function<void(std::chrono::milliseconds)> sleep;
    std::function<double()> jitter;
    // Told about each retry ("Stripe answered HTTP 429; retrying in 1.0 s"); the core never prints.
    std::function<void(const std::string&)> on_retry;
};

struct ApiResponse {
    nlohmann::json body;
    long status = 0;
    std::string request_id;       // Stripe's Request-Id header
    std::string idempotency_key;  // the key sent (POST and DELETE), the same on every attempt
    int attempts = 0;
};

class StripeClient {
public:
    StripeClient(HttpClient& http, ApiKey key, ClientOptions options = {});

    // GET path?params. Throws ApiError for an error answer, Error when Stripe could not be reached.
    ApiResponse get(std::string_view path, const nlohmann::json& params = {});
    // POST a form; a new idempotency key when `idempotency_key` is empty.
    ApiResponse post(std::string_view path, const nlohmann::json& params, std::string idempotency_key = {});
    // DELETE, with an idempotency key like post.
    ApiResponse del(std::string_view path, const nlohmann::json& params = {}, std::string idempotency_key = {});

    bool live_key() const { return m_key.live(); }
    bool restricted_key() const { return m_key.value.rfind("rk_", 0) == 0; }
    const std::string& api_base() const { return m_options.api_base; }

private:
    ApiResponse request(std::string_view method, std::string_view path, const nlohmann::json& params,
                        std::string idempotency_key);
    HttpRequest build(std::string_view method, std::string_view path, const std::string& form,
                      const std::string& idempotency_key) const;
    // Throws Error(ExitCode::interrupted) once Ctrl-C or SIGTERM came; when the request may have
    // been `sent`, the message names the key that makes a repeat safe.
    void stop_if_interrupted(const std::string& what, const std::string& idempotency_key, bool sent) const;
    // Throws the one-line error for the last attempt: ApiError for an answer, Error for none or
    // for one whose body stalled or was cut short (`partial`).
    [[noreturn]] void fail(const std::string& what, const HttpResponse* response, const std::string& failure,
                           int attempts, const std::string& idempotency_key, bool partial = false) const;

    HttpClient& m_http;
    ApiKey m_key;
    ClientOptions m_options;
};

}  // namespace quicktools::stripe
