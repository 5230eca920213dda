#include "quicktools/stripe/events_api.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "quicktools/util/system.hpp"

namespace quicktools::stripe {
namespace {

struct Page {
    std::vector<nlohmann::json> data;  // as listed: newest first
    bool has_more = false;
};

Page fetch(StripeClient& client, const nlohmann::json& params) {
    const auto answer = client.get("/v1/events", params);
    const auto& body = answer.body;
    if (!body.is_object() || !body.contains("data") || !body["data"].is_array())
        throw Error("Stripe's answer to GET /v1/events is not a list object");
    Page page;
    page.has_more = body.contains("has_more") && body["has_more"].is_boolean() && body["has_more"].get<bool>();
    for (const auto& event : body["data"]) {
        if (!event.is_object() || !event.contains("id") || !event["id"].is_string())
            throw Error("Stripe's answer to GET /v1/events has an event without an id");
        page.data.push_back(event);
    }
    return page;
}

}  // namespace

std::int64_t parse_duration_seconds(std::string_view text) {
    const auto bad = [&] {
        return usage_error(fmt::format("'{}' is not a duration: use a positive number with s, m, h, d or w (for "
                                       "example 36h or 7d), at most a year",
                                       std::string(text)));
    };
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 9 || text.size() > digits + 1) throw bad();
    const std::int64_t n = std::stoll(std::string(text.substr(0, digits)));
    std::int64_t unit = 1;
    switch (digits < text.size() ? text[digits] : 's') {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: throw bad();
    }
    const std::int64_t seconds = n * unit;
    if (seconds <= 0 || seconds > 366LL * 86400) throw bad();
    return seconds;
}

ListEventsResult list_events(StripeClient& client, const ListEventsOptions& o) {
    if (o.page_size < 1 || o.page_size > 100) throw usage_error("the page size of the Events API is 1 to 100");
    ListEventsResult result;
    result.cursor = o.cursor;
    nlohmann::json params = {{"limit", o.page_size}, {"types", nlohmann::json::array()}};
    if (o.types.empty())
        for (auto t : listed_event_types) params["types"].push_back(std::string(t));
    else
        for (const auto& t : o.types) params["types"].push_back(t);
    if (o.since) {
        params["created"] = {{"gte", *o.since}};
        if (o.now > 0 && *o.since < o.now - events_retention_seconds)
            result.warnings.push_back(fmt::format(
                "Stripe's Events API keeps only the last 30 days: events before {} UTC cannot be fetched; replay "
                "older ones from an export with `quicktools stripe replay`",
                util::timestamp_from_unix(o.now - events_retention_seconds).substr(0, 19)));
    }

    if (!o.cursor.empty()) {
        // Towards newer events: each page is the block just after the cursor, newest first.
        std::string anchor = o.cursor;
        for (bool more = true; more;) {
            params["ending_before"] = anchor;
            Page page;
            try {
                page = fetch(client, params);
            } catch (const ApiError& e) {
                if (e.error_code == "resource_missing" && e.param == "ending_before")
                    throw Error(fmt::format("Stripe no longer lists the last synced event {} (events are kept 30 "
                                            "days); run the sync again with --since to start from a date",
                                            anchor));
                throw;
            }
            ++result.pages;
            more = page.has_more && !page.data.empty();
            if (!page.data.empty()) anchor = page.data.front()["id"].get<std::string>();
            result.events.insert(result.events.end(), page.data.rbegin(), page.data.rend());
        }
        result.cursor = anchor;
        return result;
    }

    // From a date: newest first with starting_after, then reversed.
    std::vector<nlohmann::json> newest_first;
    for (bool more = true; more;) {
        Page page = fetch(client, params);
        ++result.pages;
        more = page.has_more && !page.data.empty();
        if (!page.data.empty()) params["starting_after"] = page.data.back()["id"];
        for (auto& event : page.data) newest_first.push_back(std::move(event));
    }
    if (!newest_first.empty()) result.cursor = newest_first.front()["id"].get<std::string>();
    result.events.assign(newest_first.rbegin(), newest_first.rend());
    return result;
}

}  // namespace quicktools::stripe
