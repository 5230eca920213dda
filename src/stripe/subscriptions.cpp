#include "quicktools/stripe/subscriptions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "quicktools/stripe/form.hpp"

namespace quicktools::stripe {

std::string cancel_idempotency_key(const std::string& subscription_id) {
    return "quicktools-cancel-" + subscription_id;
}

CancelResult cancel_subscription(StripeClient& client, const std::string& id, const std::string& idempotency_key) {
    const bool well_formed = id.size() > 4 && id.size() <= 255 && id.rfind("sub_", 0) == 0 &&
                             std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    if (!well_formed) throw usage_error(fmt::format("{} is not a Stripe subscription id (sub_...)", id));
    const std::string key = idempotency_key.empty() ? cancel_idempotency_key(id) : idempotency_key;
    CancelResult result;
    result.idempotency_key = key;
    try {
        const auto answer = client.del("/v1/subscriptions/" + percent_encode(id), nlohmann::json::object(), key);
        result.attempts = answer.attempts;
        const auto& body = answer.body;
        result.status = body.contains("status") && body["status"].is_string() ? body["status"].get<std::string>() : "";
        if (result.status != "canceled")
            throw Error(fmt::format("Stripe answered the cancellation of {} with status {}", id,
                                    result.status.empty() ? "(none)" : result.status));
    } catch (const ApiError& e) {
        if (e.error_code != "resource_missing") throw;
        result.outcome = CancelOutcome::already_gone;
        result.detail = e.stripe_message;
    }
    return result;
}

}  // namespace quicktools::stripe
