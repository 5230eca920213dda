// `stripe doctor`: the key, the webhook endpoints and pending deliveries, one finding a line.
#include "quicktools/stripe/doctor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "quicktools/stripe/events_api.hpp"
#include "quicktools/stripe/list.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe {
namespace {

std::string doctor_mode(bool live) { return live ? "live" : "test"; }

std::string doctor_string(const nlohmann::json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string doctor_time(std::int64_t t) { return util::timestamp_from_unix(t).substr(0, 19) + " UTC"; }

std::string doctor_ago(std::int64_t seconds) {
    if (seconds % 86400 == 0) return fmt::format("{} days", seconds / 86400);
    if (seconds % 3600 == 0) return fmt::format("{} hours", seconds / 3600);
    if (seconds % 60 == 0) return fmt::format("{} minutes", seconds / 60);
    return fmt::format("{} seconds", seconds);
}

class DoctorReport {
public:
    explicit DoctorReport(DoctorResult& r) : m_r(r) {}
    void add(std::string check, FindingLevel level, std::string message) {
        if (level == FindingLevel::problem) ++m_r.problems;
        if (level == FindingLevel::warning) ++m_r.warnings;
        m_r.findings.push_back({std::move(check), level, std::move(message)});
    }

private:
    DoctorResult& m_r;
};

// The key and the account it belongs to; false when Stripe refused the key (nothing more to ask).
bool doctor_account(StripeClient& client, const DoctorOptions& o, DoctorResult& r, DoctorReport& report) {
    const std::string kind = client.restricted_key() ? "restricted" : "secret";
    const std::string mode = doctor_mode(client.live_key());
    report.add("key", FindingLevel::ok, fmt::format("a {} key in {} mode", kind, mode));
    nlohmann::json body;
    try {
        body = client.get("/v1/account").body;
    } catch (const ApiError& e) {
        if (e.status == 401) {
            report.add("account", FindingLevel::problem,
                       fmt::format("Stripe does not accept the key (HTTP 401: {}); nothing else was checked",
                                   e.stripe_message.empty() ? e.error_code : e.stripe_message));
            return false;
        }
        report.add("account", FindingLevel::problem,
                   fmt::format("the key cannot read its account (GET /v1/account): {}{}", e.what(),
                               e.status == 403 ? "; a restricted key needs read access to Account" : ""));
        return true;
    }
    const std::string id = doctor_string(body, "id");
    std::string name;
    if (body.contains("settings") && body["settings"].is_object() && body["settings"].contains("dashboard") &&
        body["settings"]["dashboard"].is_object())
        name = doctor_string(body["settings"]["dashboard"], "display_name");
    r.account = {{"id", id},
                 {"name", name},
                 {"livemode", client.live_key()},
                 {"key_type", kind},
                 {"bound_account", o.binding ? nlohmann::json(o.binding->account_id) : nlohmann::json()},
                 {"bound_livemode", o.binding ? nlohmann::json(o.binding->livemode) : nlohmann::json()}};
    const std::string who = name.empty() ? id : fmt::format("{} ({})", id, name);
    if (!o.database_found)
        report.add(
            "account", FindingLevel::warning,
            fmt::format("account {}, {} mode; no database with the tool's tables to compare it with", who, mode));
    else if (!o.binding)
        report.add("account", FindingLevel::warning,
                   fmt::format("account {}, {} mode; the database is not bound to an account yet (the first "
                               "`stripe sync` records it)",
                               who, mode));
    else if (o.binding->account_id != id)
        report.add("account", FindingLevel::problem,
                   fmt::format("the key is of account {}, but the database belongs to account {} ({} mode): use "
                               "that account's key",
                               who, o.binding->account_id, doctor_mode(o.binding->livemode)));
    else if (o.binding->livemode != client.live_key())
        report.add("account", FindingLevel::problem,
                   fmt::format("the key is a {} key, but the database is bound to account {} in {} mode: use the "
                               "{} key",
                               mode, id, doctor_mode(o.binding->livemode), doctor_mode(o.binding->livemode)));
    else
        report.add("account", FindingLevel::ok, fmt::format("account {}, {} mode: the database's binding", who, mode));
    return true;
}

void doctor_endpoints(StripeClient& client, const DoctorOptions& o, DoctorResult& r, DoctorReport& report) {
    r.webhook_endpoints = nlohmann::json::array();
    std::vector<nlohmann::json> endpoints;
    try {
        endpoints = list_all(client, "/v1/webhook_endpoints", nlohmann::json::object());
    } catch (const ApiError& e) {
        report.add("webhook_endpoint", FindingLevel::problem,
                   fmt::format("cannot list the webhook endpoints: {}{}", e.what(),
                               e.status == 403 ? "; a restricted key needs read access to Webhook Endpoints" : ""));
        return;
    }
    const std::string mode = doctor_mode(client.live_key());
    if (!o.webhook_urls.empty()) {
        for (const auto& url : o.webhook_urls)
            if (std::none_of(endpoints.begin(), endpoints.end(),
                             [&](const nlohmann::json& e) { return doctor_string(e, "url") == url; }))
                report.add("webhook_endpoint", FindingLevel::problem,
                           fmt::format("no webhook endpoint in {} mode sends to {}", mode, url));
        endpoints.erase(std::remove_if(endpoints.begin(), endpoints.end(),
                                       [&](const nlohmann::json& e) {
                                           return std::find(o.webhook_urls.begin(), o.webhook_urls.end(),
                                                            doctor_string(e, "url")) == o.webhook_urls.end();
                                       }),
                        endpoints.end());
    } else if (endpoints.empty()) {
        report.add("webhook_endpoint", FindingLevel::problem,
                   fmt::format("no webhook endpoint in {} mode: the app hears of no payment until `stripe sync` "
                               "runs",
                               mode));
    }
    for (const auto& e : endpoints) {
        const std::string id = doctor_string(e, "id");
        const std::string url = doctor_string(e, "url");
        const std::string status = doctor_string(e, "status");
        const std::string label = fmt::format("webhook endpoint {} ({})", id, url);
        std::vector<std::string> enabled;
        if (e.contains("enabled_events") && e["enabled_events"].is_array())
            for (const auto& t : e["enabled_events"])
                if (t.is_string()) enabled.push_back(t.get<std::string>());
        const bool all = std::find(enabled.begin(), enabled.end(), "*") != enabled.end();
        std::vector<std::string> missing;
        if (!all)
            for (auto t : listed_event_types)
                if (std::find(enabled.begin(), enabled.end(), t) == enabled.end()) missing.emplace_back(t);
        const nlohmann::json version = e.contains("api_version") ? e["api_version"] : nlohmann::json();
        r.webhook_endpoints.push_back({{"id", id},
                                       {"url", url},
                                       {"status", status},
                                       {"api_version", version},
                                       {"all_events", all},
                                       {"missing_event_types", missing}});
        bool clean = true;
        if (status != "enabled") {
            report.add("webhook_endpoint", FindingLevel::problem,
                       fmt::format("{} is {}: Stripe sends it nothing (Stripe disables an endpoint that keeps "
                                   "failing); fix the app's webhook, then enable it in the Dashboard",
                                   label, status.empty() ? "in an unknown state" : status));
            clean = false;
        }
        if (!missing.empty()) {
            report.add("webhook_endpoint", FindingLevel::problem,
                       fmt::format("{} does not receive {} of the event types the app and the tool need: {}", label,
                                   missing.size(), fmt::join(missing, ", ")));
            clean = false;
        }
        if (!version.is_string()) {
            report.add("webhook_endpoint", FindingLevel::warning,
                       fmt::format("{} renders events in the account's default API version; the tool reads {}", label,
                                   pinned_api_version));
            clean = false;
        } else if (version.get<std::string>() != pinned_api_version) {
            report.add("webhook_endpoint", FindingLevel::warning,
                       fmt::format("{} renders events in API version {}; the tool is pinned to {}", label,
                                   version.get<std::string>(), pinned_api_version));
            clean = false;
        }
        if (clean)
            report.add("webhook_endpoint", FindingLevel::ok,
                       fmt::format("{}: enabled, {}, API version {}", label,
                                   all ? std::string("every event type (*)")
                                       : fmt::format("all {} event types the tool needs", listed_event_types.size()),
                                   pinned_api_version));
    }
}

void doctor_pending(StripeClient& client, const DoctorOptions& o, DoctorResult& r, DoctorReport& report) {
    nlohmann::json params = {{"limit", 100},
                             {"types", nlohmann::json::array()},
                             {"created", {{"gte", o.now - o.pending_window}, {"lte", o.now - o.pending_age}}}};
    for (auto t : listed_event_types) params["types"].push_back(std::string(t));
    nlohmann::json body;
    try {
        body = client.get("/v1/events", params).body;
    } catch (const ApiError& e) {
        report.add("pending_events", FindingLevel::problem, fmt::format("cannot list recent events: {}", e.what()));
        return;
    }
    if (!body.is_object() || !body.contains("data") || !body["data"].is_array())
        throw Error("Stripe's answer to GET /v1/events is not a list object");
    std::int64_t checked = 0;
    std::int64_t pending = 0;
    const nlohmann::json* oldest = nullptr;
    for (const auto& e : body["data"]) {
        ++checked;
        if (!e.is_object() || !e.contains("pending_webhooks") || !e["pending_webhooks"].is_number_integer() ||
            e["pending_webhooks"].get<std::int64_t>() <= 0)
            continue;
        ++pending;
        oldest = &e;  // listed newest first
    }
    const bool more = body.contains("has_more") && body["has_more"].is_boolean() && body["has_more"].get<bool>();
    r.pending_events = {{"checked", checked},
                        {"pending", pending},
                        {"more", more},
                        {"older_than_seconds", o.pending_age},
                        {"window_seconds", o.pending_window},
                        {"oldest", nullptr}};
    const std::string span =
        fmt::format("between {} and {} old", doctor_ago(o.pending_age), doctor_ago(o.pending_window));
    if (pending == 0) {
        report.add("pending_events", FindingLevel::ok,
                   fmt::format("no event {} is waiting for a webhook delivery ({} checked{})", span, checked,
                               more ? ", the newest 100" : ""));
        return;
    }
    const auto created = oldest->contains("created") && (*oldest)["created"].is_number_integer()
                             ? (*oldest)["created"].get<std::int64_t>()
                             : 0;
    r.pending_events["oldest"] = {
        {"id", doctor_string(*oldest, "id")}, {"type", doctor_string(*oldest, "type")}, {"created", created}};
    report.add("pending_events", FindingLevel::problem,
               fmt::format("{} of {} events {} still wait for a webhook delivery (the oldest {} {} of {}): the app's "
                           "webhook is failing or unreachable; see the endpoint's attempts in the Dashboard "
                           "(`stripe sync` applies the events meanwhile)",
                           pending, checked, span, doctor_string(*oldest, "id"), doctor_string(*oldest, "type"),
                           doctor_time(created)));
}

}  // namespace

std::string_view to_string(FindingLevel level) {
    switch (level) {
        case FindingLevel::ok: return "ok";
        case FindingLevel::warning: return "warning";
        case FindingLevel::problem: return "problem";
    }
    return "problem";
}

DoctorResult run_doctor(StripeClient& client, const DoctorOptions& o) {
    DoctorResult r;
    DoctorReport report(r);
    r.webhook_endpoints = nlohmann::json::array();
    if (!doctor_account(client, o, r, report)) return r;
    doctor_endpoints(client, o, r, report);
    doctor_pending(client, o, r, report);
    return r;
}

}  // namespace quicktools::stripe
