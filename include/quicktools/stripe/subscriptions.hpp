#pragma once
// Cancelling a Stripe subscription (DELETE /v1/subscriptions/{id}) for `migrate packs
// --cancel-subscriptions`: safe to repeat, so an interrupted run can simply be run again.
#include <string>

#include "quicktools/stripe/api_client.hpp"

namespace quicktools::stripe {

enum class CancelOutcome {
    canceled,      // Stripe canceled it now (or replayed that answer for the same key)
    already_gone,  // not cancellable, and GET shows it canceled: cancelled before
    not_found,     // Stripe has no such subscription in this account and mode: a wrong key?
    unexpected,    // Stripe answered with a status other than canceled
};

struct CancelResult {
    CancelOutcome outcome = CancelOutcome::canceled;
    std::string status;           // Stripe's status after the call ("canceled"), or "" when already gone
    std::string idempotency_key;  // the key sent
    int attempts = 0;
    std::string detail;  // why, for every outcome but canceled
    bool done() const { return outcome == CancelOutcome::canceled || outcome == CancelOutcome::already_gone; }
};

// The idempotency key used when none is given: the same for every run, so that a repeat within
// Stripe's 24 hours replays the first answer instead of acting twice.
std::string cancel_idempotency_key(const std::string& subscription_id);

// Cancels the subscription at once. resource_missing is confirmed with GET: only a subscription
// found with status canceled is already_gone; one Stripe does not know is not_found. Throws a
// usage error for an id that is not sub_..., ApiError for other refusals, Error when Stripe
// cannot be reached.
CancelResult cancel_subscription(StripeClient& client, const std::string& subscription_id,
                                 const std::string& idempotency_key = {});

}  // namespace quicktools::stripe
