#pragma once
// `migrate packs --cancel-subscriptions`: cancel at Stripe the old subscriptions of migrated
// users, one at a time, each result committed at once, so a re-run finishes after a failure
// without cancelling anything twice.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/api_client.hpp"

namespace quicktools::migrate {

// The value of quicktools_migrated_users.cancel_status once a subscription is cancelled (also
// when Stripe no longer knows it); `db drop-deprecated` relies on it.
inline constexpr std::string_view cancel_status_canceled = "canceled";
inline constexpr std::string_view cancel_status_failed = "failed";

struct CancelFailure {
    std::int64_t user_id = 0;
    std::string subscription_id;
    std::string detail;  // one line
};

struct CancelSubscriptionsResult {
    bool dry_run = false;
    std::int64_t to_cancel = 0;         // not cancelled before this run
    std::int64_t canceled = 0;          // cancelled by Stripe now
    std::int64_t already_canceled = 0;  // Stripe said there is no such subscription (resource_missing)
    std::int64_t done_before = 0;       // recorded as cancelled by an earlier run: skipped
    std::int64_t failed = 0;
    std::int64_t not_attempted = 0;  // left when Stripe could not be reached
    std::vector<CancelFailure> failures;
};

struct CancelOptions {
    DryRun dry_run = DryRun::no;  // count what would be cancelled; no request
    // Called with (subscriptions handled, subscriptions to cancel).
    std::function<void(std::int64_t, std::int64_t)> progress;
    // The Stripe account binding to record with the first result (first use of a database).
    std::optional<stripe::AccountBinding> bind;
};

// Cancels each subscription still recorded as active, trialing or past_due that is not yet
// 'canceled', recording each result in its own transaction. Stops at the first failure to
// reach Stripe (the rest are counted as not attempted); Stripe's refusals are recorded as
// 'failed' and the run goes on. Refuses (exit 4) before `migrate packs` ran.
CancelSubscriptionsResult cancel_subscriptions(db::Database& db, stripe::StripeClient* client,
                                               const CancelOptions& options);

}  // namespace quicktools::migrate
