#pragma once
// `credits refund-purchase`: refund a credited pack at Stripe (POST /v1/refunds) and take its
// credits back by the refund rules in the same run. The refund Stripe returns is recorded as the
// refund events record it (by refund id), so its later charge.refunded / refund.* events are the
// same refund and take nothing more.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "quicktools/db/database.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/api_client.hpp"
#include "quicktools/stripe/replay.hpp"

namespace quicktools::stripe {

// A credited Checkout Session as a refund needs it.
struct Purchase {
    std::string session_id;
    std::string payment_intent;
    std::int64_t user_id = 0;
    std::string pack;
    std::int64_t credits = 0;
    std::int64_t paid = 0;  // cents charged (amount_total)
    std::string currency;
    std::int64_t refunded = 0;  // cents refunded so far, as recorded
    std::int64_t owed = 0;      // credits refunds and disputes take back now
    std::int64_t balance = 0;   // the user's credits balance
    std::int64_t refundable() const { return paid > refunded ? paid - refunded : 0; }
};

// An amount in cents for people: "30.00 USD".
std::string format_money(std::int64_t cents, std::string_view currency);

// The credited session named by a Checkout Session id (cs_...) or a payment intent (pi_...).
// Throws a usage error (exit 2) when none is recorded, or several share the payment intent.
Purchase find_purchase(db::Database& db, const std::string& session_or_payment_intent);

// The idempotency key of a refund request (pure): the same session, amount and reason give the
// same key, so a repeated command (after a crash, a timeout, by a colleague) does not refund twice.
std::string refund_idempotency_key(const std::string& session_id, std::int64_t amount, const std::string& reason);

struct RefundPurchaseRequest {
    std::string target;                  // cs_... or pi_...
    std::optional<std::int64_t> amount;  // cents; all that is left when not given
    std::string reason;                  // why (metadata and the ledger)
    bool allow_shortfall = false;
    DryRun dry_run = DryRun::no;  // only work out what would happen; send nothing
    ReplayOptions replay;         // livemode of the key, actor
    std::optional<AccountBinding> bind;
};

struct RefundPurchaseResult {
    Purchase purchase;
    bool dry_run = false;
    std::int64_t amount = 0;           // cents refunded (or to refund)
    std::int64_t credits_to_take = 0;  // what the refund takes back by the rules (before it was sent)
    std::int64_t shortfall = 0;        // of that, what the user had already spent
    std::string idempotency_key;
    std::string refund_id, refund_status;  // Stripe's answer (empty for a dry run)
    ReplayResult applied;                  // the refund as applied to the database
};

// Validates the amount (positive, at most what is left: else a usage error), works out what the
// refund takes back and refuses (exit 4, nothing sent) when the user has spent more than that
// unless allow_shortfall; then refunds at Stripe and, in one write transaction, records the
// refund and takes the credits back. Throws ApiError / Error as the client (nothing recorded).
RefundPurchaseResult refund_purchase(db::Database& db, StripeClient& client, const RefundPurchaseRequest& request);

}  // namespace quicktools::stripe
