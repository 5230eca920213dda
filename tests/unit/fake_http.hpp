#pragma once
// A scripted HttpClient for unit tests: answers from a queue, records every request.
#include <deque>
#include <variant>
#include <vector>

#include "quicktools/stripe/api_client.hpp"
#include "quicktools/stripe/http_client.hpp"

namespace quicktools::testing {

class FakeHttp final : public stripe::HttpClient {
public:
    using Answer = std::variant<stripe::HttpResponse, stripe::TransportError>;

    void answer(long status, std::string body, stripe::Headers headers = {}) {
        m_answers.emplace_back(stripe::HttpResponse{status, std::move(headers), std::move(body)});
    }
    void fail(stripe::TransportFailure kind, const std::string& message = "simulated", long status_seen = 0) {
        m_answers.emplace_back(stripe::TransportError(kind, message, status_seen));
    }

    stripe::HttpResponse send(const stripe::HttpRequest& request) override {
        requests.push_back(request);
        if (m_answers.empty()) throw stripe::TransportError(stripe::TransportFailure::other, "no scripted answer");
        Answer next = m_answers.front();
        m_answers.pop_front();
        if (auto* e = std::get_if<stripe::TransportError>(&next)) throw *e;
        return std::get<stripe::HttpResponse>(next);
    }

    static std::string header(const stripe::HttpRequest& r, std::string_view name) {
        for (const auto& [k, v] : r.headers)
            if (k == name) return v;
        return {};
    }

    std::vector<stripe::HttpRequest> requests;

private:
    std::deque<Answer> m_answers;
};

// Client options for tests against FakeHttp: no real sleeping, no jitter.
inline stripe::ClientOptions offline_options(int max_retries = 2) {
    stripe::ClientOptions o;
    o.api_base = "http://stripe.test";
    o.sleep = [](std::chrono::milliseconds) {};
    o.jitter = [] { return 0.0; };
    o.retry.max_retries = max_retries;
    return o;
}

}  // namespace quicktools::testing
