#pragma once
// The JSON of one user, shared by `user show` and `user list`.
#include <nlohmann/json.hpp>

#include "quicktools/report/lookups.hpp"

namespace quicktools::cli {

inline nlohmann::json to_json(const report::UserDetails& d) {
    const auto& u = d.user;
    nlohmann::json doc{
        {"id", u.id},
        {"email", u.email},
        {"credits_balance", u.balance},
        {"credits_purchased_total", u.purchased_total},
        {"credits_lifetime_used", u.lifetime_used},
        {"api_access", u.api_access},
        {"support_tier", d.support_tier},
        {"last_purchase_date", u.last_purchase_date ? nlohmann::json(*u.last_purchase_date) : nlohmann::json()},
        {"last_purchase_amount", u.last_purchase_amount ? nlohmann::json(*u.last_purchase_amount) : nlohmann::json()}};
    if (d.migrated_from)
        doc["migrated_from"] = {{"tier", d.migrated_from->tier},
                                {"status", d.migrated_from->status},
                                {"policy", d.migrated_from->policy},
                                {"migrated_at", d.migrated_from->migrated_at}};
    return doc;
}

}  // namespace quicktools::cli
