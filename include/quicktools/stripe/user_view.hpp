#pragma once
// `user show USER --stripe`: one user's purchases as Stripe has them (the customer, the
// Checkout Sessions, their refunds and disputes) beside what this database recorded, and every
// difference between the two.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/stripe/api_client.hpp"

namespace quicktools::stripe {

struct UserStripeView {
    std::string customer_id;  // users.stripe_customer_id (empty: none)
    nlohmann::json customer;  // id, email, name, deleted, found (null: no customer id)
    // Per Checkout Session (newest first): id, found_at_stripe, status, payment_status, mode,
    // created, pack, currency, amount_subtotal, amount_discount, amount_tax, amount_total,
    // payment_intent, local (what this database credited, or null), refunds and disputes (each
    // with its Stripe status and local_status).
    nlohmann::json purchases = nlohmann::json::array();
    std::vector<std::string> differences;  // one line each
};

// The sessions are those Stripe lists for the customer and for the user's email
// (customer_details[email]), and those this database recorded for the user (credited, or
// created by `checkout create`), fetched by id. Requires the tool's tables (exit 4). Throws
// ApiError / Error as the client does.
UserStripeView user_stripe_view(db::Database& db, StripeClient& client, std::int64_t user_id, const std::string& email);

}  // namespace quicktools::stripe
