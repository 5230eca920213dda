#pragma once
// Every page of one of Stripe's list endpoints (GET /v1/checkout/sessions, /v1/refunds, ...).
#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

#include "quicktools/stripe/api_client.hpp"

namespace quicktools::stripe {

struct ListOptions {
    int page_size = 100;  // 1..100
    int max_pages = 100;  // more pages than this is an error: nothing is half-listed
    // When not empty, the only top-level fields kept of each object (memory: a Checkout
    // Session is a few kB as listed).
    std::vector<std::string_view> keep;
};

// The objects of every page of `path` (newest first, as Stripe lists), following has_more with
// starting_after; `pages` is increased by the pages fetched. Throws Error when a page is not a
// list object, when a page brings nothing new yet says has_more (a server repeating itself),
// or after `max_pages` pages; ApiError / Error as the client does.
std::vector<nlohmann::json> list_all(StripeClient& client, std::string_view path, nlohmann::json params,
                                     const ListOptions& options, int& pages);

// The same, 100 a page, every field kept.
std::vector<nlohmann::json> list_all(StripeClient& client, std::string_view path, nlohmann::json params,
                                     int max_pages = 100);

}  // namespace quicktools::stripe
