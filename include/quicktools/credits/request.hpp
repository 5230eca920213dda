#pragma once
// What a support adjustment asks for (grant, refund, debit), the strict parsing of its parts,
// and the rules that say whether it may apply to a user's counters.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quicktools::credits {

enum class Action { grant, refund, debit };

// "grant", "refund" or "debit" (the ledger kind of the action).
std::string_view to_string(Action action);
// The action of that name, or nullopt.
std::optional<Action> parse_action(std::string_view name);

inline constexpr std::size_t max_reason_length = 500;
inline constexpr std::size_t max_key_length = 255;
inline constexpr std::size_t max_actor_length = 100;

// Parses an amount: digits only, no sign, no leading zero, 1..max_adjustment. Throws
// usage_error (exit 2) naming the bad text otherwise ("1e3", "+5", "0x10", " 5", "99999999999").
std::int64_t parse_amount(std::string_view text);
// The reason with surrounding white space removed; throws usage_error if it is empty, longer
// than max_reason_length, or holds control characters (a reason is one line).
std::string normalise_reason(std::string_view reason);
// Throws usage_error unless the key is 1..max_key_length printable characters without spaces.
void check_idempotency_key(std::string_view key);
// The actor trimmed; throws usage_error if empty, too long or holding control characters.
std::string normalise_actor(std::string_view actor);

// How an action moves users.credits_balance and users.credits_lifetime_used.
struct Deltas {
    std::int64_t balance = 0;
    std::int64_t used = 0;
};
Deltas deltas(Action action, std::int64_t amount);

// Why the action may not apply to a user with these counters (a debit below zero, a refund of
// more than was used, a balance past the 64-bit range), as a sentence naming the shortfall;
// nullopt when it may. Safe for any counters, INT64_MIN and INT64_MAX included.
std::optional<std::string> why_not(Action action, std::int64_t amount, std::int64_t balance, std::int64_t used);

// The request fingerprint stored beside an idempotency key: sha256 of action, user id, amount
// and reason. The actor and the source are not part of it: the same request retried by another
// operator, or first sent from a file and then from the command line, is still the same request.
std::string fingerprint(Action action, std::int64_t user_id, std::int64_t amount, std::string_view reason);

}  // namespace quicktools::credits
