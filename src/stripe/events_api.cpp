#include "quicktools/stripe/events_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

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
        return usage_error(
            fmt::format("'{}' is not a duration: use a positive number with s, m, h, d or w (for "
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
        case 'w': unit = std::int64_t{7} * 86400; break;
        default: throw bad();
    }
    const std::int64_t seconds = n * unit;
    if (seconds <= 0 || seconds > 366LL * 86400) throw bad();
    return seconds;
}

ListEventsResult list_events(StripeClient& client, const ListEventsOptions& o) {
    if (o.page_size < 1 || o.page_size > 100) throw usage_error("the page size of the Events API is 1 to 100");
    ListEventsResult result;
    nlohmann::json params = {{"limit", o.page_size}, {"types", nlohmann::json::array()}};
    if (o.types.empty())
        for (auto t : listed_event_types) params["types"].push_back(std::string(t));
    else
        for (const auto& t : o.types) params["types"].push_back(t);
    params["created"] = {{"gte", o.since}};
    if (o.now > 0 && o.since < o.now - events_retention_seconds)
        result.warnings.push_back(fmt::format(
            "Stripe's Events API keeps only the last 30 days: events before {} UTC cannot be fetched; replay "
            "older ones from an export with `quicktools stripe replay`",
            util::timestamp_from_unix(o.now - events_retention_seconds).substr(0, 19)));
    std::vector<nlohmann::json> newest_first;
    std::unordered_set<std::string> seen;
    for (bool more = true; more;) {
        if (result.pages == o.max_pages)
            throw Error(
                fmt::format("Stripe listed more than {} pages of events since {} UTC; nothing was applied; "
                            "sync a shorter window with --since, or raise --max-pages",
                            o.max_pages, util::timestamp_from_unix(o.since).substr(0, 19)));
        Page page = fetch(client, params);
        ++result.pages;
        std::size_t fresh = 0;
        for (auto& event : page.data)
            if (seen.insert(event["id"].get<std::string>()).second) {
                newest_first.push_back(std::move(event));
                ++fresh;
            }
        if (page.has_more && fresh == 0)
            throw Error(
                fmt::format("Stripe answered page {} of GET /v1/events with no event it had not listed "
                            "already, yet said has_more; stopped so as not to loop; nothing was applied",
                            result.pages));
        more = page.has_more;
        if (more) params["starting_after"] = newest_first.back()["id"];
    }
    if (!newest_first.empty()) {
        const auto& newest = newest_first.front();
        result.newest_id = newest["id"].get<std::string>();
        if (newest.contains("created") && newest["created"].is_number_integer())
            result.newest_created = newest["created"].get<std::int64_t>();
    }
    result.events.assign(newest_first.rbegin(), newest_first.rend());
    return result;
}

}  // namespace quicktools::stripe
