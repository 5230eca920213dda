#pragma once
// Internal to src/stripe/: the small JSON values the Stripe commands keep in quicktools_state
// (the sync cursor, the account binding).
#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

#include "quicktools/db/database.hpp"

namespace quicktools::stripe::detail {

// The stored value of `name`, or nullopt when there is none. Throws Error with `unreadable`
// when the stored text is not a JSON object.
std::optional<nlohmann::json> read_state(db::Database& db, std::string_view name, std::string_view unreadable);

// Stores `value` under `name` inside the caller's write transaction.
void write_state(db::Database& db, std::string_view name, const nlohmann::json& value);

}  // namespace quicktools::stripe::detail
