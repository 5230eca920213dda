#pragma once
// Every page of one of Stripe's list endpoints (GET /v1/checkout/sessions, /v1/refunds, ...).
#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

#include "quicktools/stripe/api_client.hpp"

namespace quicktools::stripe {

// The objects of every page of `path` (newest first, as Stripe lists), 100 a page, following
// has_more with starting_after. Throws Error when a page is not a list object, when a page
// brings nothing new yet says has_more (a server repeating itself), or after `max_pages`
// pages; ApiError / Error as the client does.
std::vector<nlohmann::json> list_all(StripeClient& client, std::string_view path, nlohmann::json params,
                                     int max_pages = 100);

}  // namespace quicktools::stripe
