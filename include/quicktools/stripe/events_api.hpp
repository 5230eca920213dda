#pragma once
// Fetching events from Stripe's Events API (GET /v1/events) for `stripe sync`: only the types
// the tool handles, every page, oldest first, and the cursor to resume from next time.
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/stripe/api_client.hpp"

namespace quicktools::stripe {

// The event types `stripe replay` applies or reports; sync asks Stripe for these only (the
// Events API takes at most 20).
inline constexpr std::array<std::string_view, 14> listed_event_types = {"checkout.session.completed",
                                                                        "checkout.session.async_payment_succeeded",
                                                                        "checkout.session.async_payment_failed",
                                                                        "charge.refunded",
                                                                        "charge.refund.updated",
                                                                        "refund.created",
                                                                        "refund.updated",
                                                                        "refund.failed",
                                                                        "charge.dispute.created",
                                                                        "charge.dispute.updated",
                                                                        "charge.dispute.closed",
                                                                        "charge.dispute.funds_withdrawn",
                                                                        "charge.dispute.funds_reinstated",
                                                                        "radar.early_fraud_warning.created"};

// Stripe's Events API lists the last 30 days only.
inline constexpr std::int64_t events_retention_seconds = 30LL * 24 * 3600;

struct ListEventsOptions {
    std::int64_t since = 0;          // created[gte], Unix seconds
    std::vector<std::string> types;  // empty: listed_event_types
    int page_size = 100;             // 1..100
    int max_pages = 1000;            // more pages than this is an error: nothing is half-listed
    std::int64_t now = 0;            // Unix seconds, to explain the 30-day limit
};

struct ListEventsResult {
    std::vector<nlohmann::json> events;  // oldest first
    std::string newest_id;               // the newest event listed (empty: none)
    std::int64_t newest_created = 0;
    int pages = 0;
    std::vector<std::string> warnings;  // for example the 30-day limit
};

// A --since duration ("90m", "36h", "7d", "2w"; plain digits are seconds) in seconds. Throws a
// usage error naming the accepted forms for anything else, zero or more than a year.
std::int64_t parse_duration_seconds(std::string_view text);

// Pages through GET /v1/events from created[gte] = since, newest first with starting_after,
// and returns the events oldest first. Event ids are not ordered, so there is no id cursor:
// the caller lists again from a time. Throws Error when Stripe answers a page with no event
// not seen before (a server repeating itself) or more than max_pages pages, and ApiError /
// Error as the client does.
ListEventsResult list_events(StripeClient& client, const ListEventsOptions& options);

}  // namespace quicktools::stripe
