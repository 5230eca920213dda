#include "quicktools/stripe/api_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "quicktools/stripe/form.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/version.hpp"

namespace quicktools::stripe {
namespace {

using std::chrono::milliseconds;

// Newlines and runs of spaces in Stripe's messages would break the one-line rule.
std::string one_line(std::string_view text) {
    std::string out;
    bool space = false;
    for (const char c : text) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::string field(const nlohmann::json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? one_line(it->get<std::string>()) : std::string();
}

std::string describe_transport(const TransportError& e, const HttpRequest& request) {
    const std::string partial =
        e.status_seen() != 0 ? fmt::format("HTTP {} arrived but its body did not arrive completely", e.status_seen())
                             : std::string();
    switch (e.kind()) {
        case TransportFailure::connect: return fmt::format("cannot connect ({})", one_line(e.what()));
        case TransportFailure::timeout:
            return fmt::format("{} within the timeout ({} ms total, {} ms to connect)",
                               partial.empty() ? std::string("no answer") : partial, request.total_timeout.count(),
                               request.connect_timeout.count());
        case TransportFailure::dropped:
            if (!partial.empty()) return fmt::format("{}: the connection closed ({})", partial, one_line(e.what()));
            return fmt::format("the connection closed without an answer ({})", one_line(e.what()));
        case TransportFailure::other: break;
    }
    return one_line(e.what());
}

double uniform_jitter() {
    static thread_local std::mt19937 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

bool should_retry(const HttpResponse* response, int retries_done, const RetryPolicy& policy) {
    if (retries_done >= policy.max_retries) return false;
    if (response == nullptr) return true;
    const std::string advice = response->header("Stripe-Should-Retry");
    if (advice == "true") return true;
    if (advice == "false") return false;
    return response->status == 409 || response->status == 429 || response->status >= 500;
}

milliseconds retry_delay(int retry, const HttpResponse* response, const RetryPolicy& policy, double jitter) {
    const double initial = static_cast<double>(policy.initial_delay.count());
    double delay =
        std::min(initial * std::pow(2.0, std::max(retry - 1, 0)), static_cast<double>(policy.max_delay.count()));
    delay *= 0.5 * (1.0 + std::clamp(jitter, 0.0, 1.0));
    delay = std::max(delay, initial);
    if (response != nullptr) {
        const std::string after = response->header("Retry-After");
        char* end = nullptr;
        const double seconds = after.empty() ? -1.0 : std::strtod(after.c_str(), &end);
        if (!after.empty() && end != nullptr && *end == '\0' && seconds >= 0.0)
            delay = std::max(delay, std::min(seconds * 1000.0, static_cast<double>(policy.max_retry_after.count())));
    }
    return milliseconds(static_cast<long long>(std::llround(delay)));
}

std::string describe_stripe_error(long status, const std::string& body) {
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("error") || !doc["error"].is_object())
        return fmt::format("HTTP {} with a body that is not Stripe's error JSON", status);
    const auto& e = doc["error"];
    std::string out = field(e, "type").empty() ? std::string("error") : field(e, "type");
    if (const auto code = field(e, "code"); !code.empty()) out += " (" + code + ")";
    if (const auto decline = field(e, "decline_code"); !decline.empty()) out += " [decline: " + decline + "]";
    out += ": " + (field(e, "message").empty() ? std::string("no message") : field(e, "message"));
    if (const auto param = field(e, "param"); !param.empty()) out += " [param: " + param + "]";
    return out;
}

ApiError::ApiError(const std::string& message, long status_, std::string type_, std::string error_code_,
                   std::string param_, std::string stripe_message_)
    : Error(ExitCode::failed, message),
      status(status_),
      type(std::move(type_)),
      error_code(std::move(error_code_)),
      param(std::move(param_)),
      stripe_message(std::move(stripe_message_)) {}

StripeClient::StripeClient(HttpClient& http, ApiKey key, ClientOptions options)
    : m_http(http), m_key(std::move(key)), m_options(std::move(options)) {
    if (!m_options.sleep) m_options.sleep = [](milliseconds d) { util::sleep_unless_interrupted(d); };
    if (!m_options.jitter) m_options.jitter = uniform_jitter;
}

ApiResponse StripeClient::get(std::string_view path, const nlohmann::json& params) {
    return request("GET", path, params, {});
}

ApiResponse StripeClient::post(std::string_view path, const nlohmann::json& params, std::string idempotency_key) {
    return request("POST", path, params, std::move(idempotency_key));
}

ApiResponse StripeClient::del(std::string_view path, const nlohmann::json& params, std::string idempotency_key) {
    return request("DELETE", path, params, std::move(idempotency_key));
}

HttpRequest StripeClient::build(std::string_view method, std::string_view path, const std::string& form,
                                const std::string& idempotency_key) const {
    HttpRequest r;
    r.method = std::string(method);
    r.url = m_options.api_base + std::string(path);
    r.connect_timeout = m_options.connect_timeout;
    r.total_timeout = m_options.total_timeout;
    r.headers = {{"Authorization", "Bearer " + m_key.value},
                 {"Stripe-Version", m_options.api_version},
                 {"User-Agent", std::string("quicktools/") + version_string},
                 {"Accept", "application/json"}};
    if (method == "GET") {
        if (!form.empty()) r.url += "?" + form;
    } else {
        r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        r.headers.emplace_back("Idempotency-Key", idempotency_key);
        r.body = form;
    }
    return r;
}

ApiResponse StripeClient::request(std::string_view method, std::string_view path, const nlohmann::json& params,
                                  std::string idempotency_key) {
    if (method != "GET" && idempotency_key.empty()) idempotency_key = new_idempotency_key();
    // It travels as a header: anything but visible ASCII could forge or break headers.
    const bool printable = std::all_of(idempotency_key.begin(), idempotency_key.end(),
                                       [](unsigned char c) { return c > 0x20 && c < 0x7F; });
    if (!printable || idempotency_key.size() > 255)
        throw usage_error("an idempotency key is 1 to 255 visible ASCII characters (no spaces or control characters)");
    const HttpRequest http_request = build(method, path, encode_form(params), idempotency_key);
    const std::string what = fmt::format("{} {}", method, path);
    for (int attempt = 1;; ++attempt) {
        stop_if_interrupted(what, idempotency_key, attempt > 1);
        std::optional<HttpResponse> response;
        std::string failure;
        bool partial = false;
        try {
            response = m_http.send(http_request);
        } catch (const TransportError& e) {
            failure = describe_transport(e, http_request);
            partial = e.status_seen() != 0;
        }
        stop_if_interrupted(what, idempotency_key, true);
        if (response && response->status >= 200 && response->status < 300) {
            auto body = nlohmann::json::parse(response->body, nullptr, false);
            if (body.is_discarded())
                throw Error(redact(fmt::format("Stripe answered {} with HTTP {} but the body is not JSON; check that "
                                               "STRIPE_API_BASE points at Stripe",
                                               what, response->status),
                                   m_key.value));
            return {std::move(body), response->status, response->header("Request-Id"), idempotency_key, attempt};
        }
        const HttpResponse* answered = response ? &*response : nullptr;
        if (should_retry(answered, attempt - 1, m_options.retry)) {
            const auto delay = retry_delay(attempt, answered, m_options.retry, m_options.jitter());
            if (m_options.on_retry)
                m_options.on_retry(redact(fmt::format("Stripe {} {}: {}; retrying in {:.1f} s (attempt {} of {})", what,
                                                      answered ? "answered" : "failed",
                                                      answered ? fmt::format("HTTP {}", answered->status) : failure,
                                                      static_cast<double>(delay.count()) / 1000.0, attempt + 1,
                                                      m_options.retry.max_retries + 1),
                                          m_key.value));
            m_options.sleep(delay);
            continue;  // the next attempt stops first if the wait was interrupted
        }
        fail(what, answered, failure, attempt, idempotency_key, partial);
    }
}

void StripeClient::stop_if_interrupted(const std::string& what, const std::string& idempotency_key, bool sent) const {
    if (!util::interrupted()) return;
    std::string message = fmt::format("interrupted during Stripe {}", what);
    if (sent && !idempotency_key.empty())
        message +=
            fmt::format(": Stripe may have acted on it; a repeat with idempotency key {} is safe", idempotency_key);
    throw Error(ExitCode::interrupted, redact(message, m_key.value));
}

void StripeClient::fail(const std::string& what, const HttpResponse* response, const std::string& failure, int attempts,
                        const std::string& idempotency_key, bool partial) const {
    const std::string after = attempts > 1 ? fmt::format(" (after {} attempts)", attempts) : std::string();
    const std::string again = idempotency_key.empty()
                                  ? std::string()
                                  : fmt::format("; a repeat with idempotency key {} is safe", idempotency_key);
    if (response == nullptr)
        throw Error(redact(
            fmt::format("{} Stripe at {} for {}: {}{}{}", partial ? "an incomplete answer from" : "could not reach",
                        m_options.api_base, what, failure, after, again),
            m_key.value));
    const auto doc = nlohmann::json::parse(response->body, nullptr, false);
    const nlohmann::json e =
        doc.is_object() && doc.contains("error") && doc["error"].is_object() ? doc["error"] : nlohmann::json::object();
    std::string message = fmt::format("Stripe answered {} with HTTP {}: {}", what, response->status,
                                      describe_stripe_error(response->status, response->body));
    if (const auto id = response->header("Request-Id"); !id.empty()) message += " [request: " + id + "]";
    message += after;
    if (response->status == 409 || response->status == 429 || response->status >= 500) message += again;
    throw ApiError(redact(message, m_key.value), response->status, field(e, "type"), field(e, "code"),
                   field(e, "param"), redact(field(e, "message"), m_key.value));
}

}  // namespace quicktools::stripe
