#pragma once
// application/x-www-form-urlencoded bodies in Stripe's bracket notation:
// {"metadata": {"user_id": "7"}} -> metadata[user_id]=7, arrays of objects by index
// (line_items[0][quantity]=1), arrays of scalars with empty brackets (types[]=a&types[]=b).
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quicktools::stripe {

// The flat (key, value) pairs of nested parameters, in a stable order (object keys sorted).
// Booleans become "true"/"false", null becomes "" (Stripe's way to unset a field).
std::vector<std::pair<std::string, std::string>> flatten_params(const nlohmann::json& params);

// Percent-encodes everything except A-Z a-z 0-9 - . _ ~ (so brackets travel as %5B %5D).
std::string percent_encode(std::string_view text);

// The encoded body or query string ("" for no parameters). Throws std::invalid_argument when
// params is not an object.
std::string encode_form(const nlohmann::json& params);

}  // namespace quicktools::stripe
