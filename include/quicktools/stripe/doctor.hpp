#pragma once
// `stripe doctor`: what on-call checks when Stripe events stop arriving: the key against the
// database's binding, the webhook endpoints (enabled, the event types, the API version), and
// events whose webhook delivery is still pending.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/api_client.hpp"

namespace quicktools::stripe {

enum class FindingLevel { ok, warning, problem };
std::string_view to_string(FindingLevel level);

struct Finding {
    std::string check;  // "key", "account", "webhook_endpoint", "pending_events"
    FindingLevel level = FindingLevel::ok;
    std::string message;  // one line
};

struct DoctorOptions {
    std::int64_t now = 0;                     // Unix seconds
    std::int64_t pending_age = 600;           // an event older than this still pending is a problem
    std::int64_t pending_window = 3 * 86400;  // how far back events are looked at
    std::vector<std::string> webhook_urls;    // only these endpoints (empty: every endpoint)
    bool database_found = false;              // a database with the tool's tables was read
    std::optional<AccountBinding> binding;    // its binding
};

struct DoctorResult {
    std::vector<Finding> findings;
    nlohmann::json account;            // id, livemode, bound, ... (null: not read)
    nlohmann::json webhook_endpoints;  // array
    nlohmann::json pending_events;     // checked, pending, oldest (null: not checked)
    int problems = 0;
    int warnings = 0;
};

// Runs every check. An answer of Stripe's that is an error is a problem finding of that check;
// a key Stripe does not accept (401) stops the checks after it. Throws Error when Stripe cannot
// be reached.
DoctorResult run_doctor(StripeClient& client, const DoctorOptions& options);

}  // namespace quicktools::stripe
