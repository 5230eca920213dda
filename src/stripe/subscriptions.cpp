#include "quicktools/stripe/subscriptions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "quicktools/stripe/form.hpp"

namespace quicktools::stripe {

namespace {

std::string status_of(const nlohmann::json& subscription) {
    return subscription.is_object() && subscription.contains("status") && subscription["status"].is_string()
               ? subscription["status"].get<std::string>()
               : std::string();
}

}  // namespace

std::string cancel_idempotency_key(const std::string& subscription_id) {
    return "quicktools-cancel-" + subscription_id;
}

CancelResult cancel_subscription(StripeClient& client, const std::string& id, const std::string& idempotency_key) {
    const bool well_formed =
        id.size() > 4 && id.size() <= 255 && id.rfind("sub_", 0) == 0 &&
        std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    if (!well_formed) throw usage_error(fmt::format("{} is not a Stripe subscription id (sub_...)", id));
    const std::string key = idempotency_key.empty() ? cancel_idempotency_key(id) : idempotency_key;
    CancelResult result;
    result.idempotency_key = key;
    const auto path = "/v1/subscriptions/" + percent_encode(id);
    try {
        const auto answer = client.del(path, nlohmann::json::object(), key);
        result.attempts = answer.attempts;
        result.status = status_of(answer.body);
        if (result.status != "canceled") {
            result.outcome = CancelOutcome::unexpected;
            result.detail = fmt::format("Stripe answered the cancellation with status {}",
                                        result.status.empty() ? "(none)" : result.status);
        }
        return result;
    } catch (const ApiError& e) {
        if (e.error_code != "resource_missing") throw;
    }
    // Not cancellable: cancelled before, or not in this account and mode at all. Ask.
    try {
        const auto found = client.get(path);
        result.status = status_of(found.body);
        if (result.status == "canceled") {
            result.outcome = CancelOutcome::already_gone;
            result.detail = "already cancelled at Stripe";
        } else {
            result.outcome = CancelOutcome::unexpected;
            result.detail = fmt::format("Stripe refused the cancellation, yet lists it with status {}",
                                        result.status.empty() ? "(none)" : result.status);
        }
    } catch (const ApiError& e) {
        if (e.error_code != "resource_missing") throw;
        result.outcome = CancelOutcome::not_found;
        result.detail = fmt::format(
            "Stripe has no subscription {} in this account and {} mode: is the key of the "
            "account and mode that bills these users?",
            id, client.live_key() ? "live" : "test");
    }
    return result;
}

}  // namespace quicktools::stripe
