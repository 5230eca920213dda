#pragma once
// Checkout Sessions for credit packs (SPEC "Checkout sessions"): one line item with inline
// price_data, the buyer named in client_reference_id and metadata so the webhook and
// `stripe replay` can credit the right user with the right pack.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "quicktools/credits/packs.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/api_client.hpp"

namespace quicktools::stripe {

struct CheckoutRequest {
    std::string user;  // id or email
    std::string pack;  // pack name
    std::string success_url;
    std::string cancel_url;
    std::optional<std::string> idempotency_key;  // not given: a new one (given empty: a usage error)
};

// Who buys: the user, and what Stripe knows them by.
struct CheckoutBuyer {
    std::int64_t user_id = 0;
    std::string email;
    std::string stripe_customer_id;  // users.stripe_customer_id, when the app has one
};

// A request checked against the database, ready to send.
struct CheckoutPlan {
    std::int64_t user_id = 0;
    std::string email;
    std::string customer;  // the Stripe customer sent, or empty (customer_email sent instead)
    const credits::Pack* pack = nullptr;
    nlohmann::json params;  // the form parameters of POST /v1/checkout/sessions
    std::string idempotency_key;
};

struct CheckoutSession {
    std::string id;
    std::string url;
    bool livemode = false;
    std::string idempotency_key;
    int attempts = 0;
    nlohmann::json session;  // the object as Stripe returned it
};

// "Pro credit pack (1200 credits)".
std::string product_name(const credits::Pack& pack);

// The form parameters for a buyer and a pack (pure; no I/O): the buyer and pack in the
// session's and the payment's metadata, and `customer` when the buyer has one, else
// `customer_email`.
nlohmann::json checkout_params(const CheckoutBuyer& buyer, const credits::Pack& pack, const std::string& success_url,
                               const std::string& cancel_url);

// Resolves the user and the pack and checks the URLs; throws Error (unknown user, exit 1) or a
// usage error (unknown pack, bad URL, exit 2) before anything is sent.
CheckoutPlan plan_checkout(db::Database& db, const CheckoutRequest& request);

// Records the created session in quicktools_checkout_created, and the account binding when
// this is the database's first use of Stripe (one committed transaction); false when the
// database has no such table yet (before `db upgrade`).
bool record_created_session(db::Database& db, const CheckoutPlan& plan, const CheckoutSession& session,
                            const std::optional<AccountBinding>& bind, const std::string& actor,
                            const std::string& now);

// POST /v1/checkout/sessions. Throws ApiError / Error as StripeClient does, and Error when the
// answer has no id or url.
CheckoutSession create_checkout_session(StripeClient& client, const CheckoutPlan& plan);

}  // namespace quicktools::stripe
