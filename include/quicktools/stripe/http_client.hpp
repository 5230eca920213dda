#pragma once
// The transport under the Stripe client: one HTTP exchange, no retries, no Stripe knowledge.
// An interface so that unit tests can script answers with a fake instead of a network.
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quicktools::stripe {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method;  // GET, POST or DELETE
    std::string url;     // full URL, query string included
    Headers headers;
    std::string body;  // form-encoded, empty for GET
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds total_timeout{30'000};
};

struct HttpResponse {
    long status = 0;
    Headers headers;  // names as received
    std::string body;

    // The value of the first header of that name (case-insensitive), or "" when absent.
    std::string header(std::string_view name) const;
};

// Why no response arrived. Every kind is worth a retry: the request may never have reached
// Stripe, and the Idempotency-Key makes a repeat of one that did harmless.
enum class TransportFailure { connect, timeout, dropped, other };

// Thrown by HttpClient::send when no complete HTTP response arrived. `status_seen` is the status
// of an answer whose body then stalled or was cut short (0 when none came): the request did
// reach the server, so only the Idempotency-Key keeps a repeat from acting twice.
class TransportError : public std::runtime_error {
public:
    TransportError(TransportFailure kind, const std::string& message, long status_seen = 0)
        : std::runtime_error(message), m_kind(kind), m_status_seen(status_seen) {}
    TransportFailure kind() const noexcept { return m_kind; }
    long status_seen() const noexcept { return m_status_seen; }

private:
    TransportFailure m_kind;
    long m_status_seen;
};

class HttpClient {
public:
    virtual ~HttpClient() = default;
    // Sends one request and returns whatever HTTP status came back; throws TransportError when
    // there was no response (refused, timed out, connection closed).
    virtual HttpResponse send(const HttpRequest& request) = 0;
};

// libcurl, one easy handle per request; http and https only, no redirects followed.
class CurlHttpClient final : public HttpClient {
public:
    // `ca_bundle`: a PEM file of certificate authorities to trust instead of the system's
    // (STRIPE_CA_BUNDLE: a TLS-inspecting proxy, or a local stand-in); empty: the system's.
    explicit CurlHttpClient(std::string ca_bundle = {});
    HttpResponse send(const HttpRequest& request) override;

private:
    std::string m_ca_bundle;
};

}  // namespace quicktools::stripe
