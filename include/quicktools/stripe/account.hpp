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

// The database's binding, if one was recorded. Throws Error when the stored row is unreadable.
std::optional<AccountBinding> read_account_binding(db::Database& db);

// What check_account found.
struct AccountCheck {
    AccountBinding key;  // the account and mode of the key
    bool bound = false;  // the database was bound already (to this account and mode)
};

// Asks Stripe which account the client's key belongs to and compares it with the binding:
// another account or mode is refused (exit 4). Nothing is asked of a database without the
// tool's tables (before `db upgrade`): nullopt. Throws ApiError / Error as the client.
std::optional<AccountCheck> check_account(db::Database& db, StripeClient& client);

// Records the binding inside the caller's write transaction, with the first writes it goes
// with (a sync's events, a cancellation's first record, a created session).
void record_account_binding(db::Database& db, const AccountBinding& binding);

// The binding to record with a command's writes: the key's, when the database had none yet.
inline std::optional<AccountBinding> binding_to_record(const std::optional<AccountCheck>& check) {
    if (check && !check->bound) return check->key;
    return std::nullopt;
}

// For commands without a key (stripe replay): refuses (exit 4) when the database is bound to
// the other mode than `live` says.
void require_mode(db::Database& db, bool live);

}  // namespace quicktools::stripe
