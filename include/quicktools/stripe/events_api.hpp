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

// The event types `stripe replay` applies or reports; sync asks Stripe for these only.
inline constexpr std::array<std::string_view, 5> listed_event_types = {
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "charge.refunded", "charge.dispute.created"};

// Stripe's Events API lists the last 30 days only.
inline constexpr std::int64_t events_retention_seconds = 30LL * 24 * 3600;

struct ListEventsOptions {
    std::optional<std::int64_t> since;  // created[gte], Unix seconds
    std::vector<std::string> types;     // empty: listed_event_types
    std::string cursor;                 // the newest event already applied (ending_before); empty: none
    int page_size = 100;                // 1..100
    std::int64_t now = 0;               // Unix seconds, to explain the 30-day limit
};

struct ListEventsResult {
    std::vector<nlohmann::json> events;  // oldest first
    std::string cursor;                  // the newest event seen (or the cursor given, when none)
    int pages = 0;
    std::vector<std::string> warnings;   // for example the 30-day limit
};

// A --since duration ("90m", "36h", "7d", "2w"; plain digits are seconds) in seconds. Throws a
// usage error naming the accepted forms for anything else, zero or more than a year.
std::int64_t parse_duration_seconds(std::string_view text);

// Pages through GET /v1/events. Without a cursor it lists newest first from created[gte] with
// starting_after; with one it walks towards newer events with ending_before. Throws Error
// with a sentence when the cursor is no longer known to Stripe (older than 30 days), and
// ApiError / Error as the client does.
ListEventsResult list_events(StripeClient& client, const ListEventsOptions& options);

}  // namespace quicktools::stripe
