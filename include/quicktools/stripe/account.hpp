#pragma once
// One database, one Stripe account and mode: the account a key belongs to (GET /v1/account)
// is recorded on first use, and a key of another account or mode is refused, so a test key
// never credits test purchases into the production database, nor a wrong key reports live
// subscriptions as missing.
#include <optional>
#include <string>

#include "quicktools/db/database.hpp"
#include "quicktools/stripe/api_client.hpp"

namespace quicktools::stripe {

// The quicktools_state row holding the binding.
inline constexpr std::string_view account_binding_name = "stripe.account";

struct AccountBinding {
    std::string account_id;
    bool livemode = false;
};

enum class RecordBinding { no, yes };

// The database's binding, if one was recorded. Throws Error when the stored row is unreadable.
std::optional<AccountBinding> read_account_binding(db::Database& db);

// What check_account found.
struct AccountCheck {
    AccountBinding key;          // the account and mode of the key
    bool newly_bound = false;    // recorded now (first use)
};

// Asks Stripe which account the client's key belongs to and compares it with the binding:
// another account or mode is refused (exit 4); with no binding yet it is recorded (with
// RecordBinding::yes, in its own write transaction). Nothing is asked of a database without
// the tool's tables (before `db upgrade`): nullopt. Throws ApiError / Error as the client.
std::optional<AccountCheck> check_account(db::Database& db, StripeClient& client, RecordBinding record);

// For commands without a key (stripe replay): refuses (exit 4) when the database is bound to
// the other mode than `live` says.
void require_mode(db::Database& db, bool live);

}  // namespace quicktools::stripe
