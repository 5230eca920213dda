#pragma once
// The credit packs and support tiers of the product's design document.
#include <array>
#include <cstdint>
#include <string_view>

namespace quicktools::credits {

struct Pack {
    std::string_view name;
    std::int64_t price_cents;
    std::int64_t credits;
    bool unlocks_api;
    std::string_view badge;
};

inline constexpr std::array<Pack, 4> packs = {{
    {"starter", 500, 100, false, ""},
    {"standard", 1500, 500, false, "Popular"},
    {"pro", 3000, 1200, true, "Best Value + API"},
    {"business", 10000, 5000, true, ""},
}};

inline constexpr std::string_view currency = "usd";

// A new user's balance (the web app's column default).
inline constexpr std::int64_t free_credits_on_signup = 10;

// The largest amount one adjustment may move: ten business packs. Larger is almost surely a typo.
inline constexpr std::int64_t max_adjustment = 50'000;

// The pack of that name, or nullptr.
const Pack* find_pack(std::string_view name);

// The support tiers of the design document, by credits_purchased_total: the one table that
// user show/list, the report and its SQL (bound as parameters) all read.
struct SupportTier {
    std::string_view short_name;  // as `user list --tier` takes it
    std::string_view name;        // as shown
    std::int64_t min_purchased;   // from this credits_purchased_total up to the next tier's
};
inline constexpr std::array<SupportTier, 4> support_tiers = {{
    {"community", "Community", 0},
    {"email", "Email (48h response)", 500},
    {"priority", "Priority (24h response)", 1200},
    {"dedicated", "Dedicated (12h response)", 5000},
}};

// "Dedicated (12h response)", "Priority (24h response)", "Email (48h response)" or "Community".
std::string_view support_tier(std::int64_t credits_purchased_total);

}  // namespace quicktools::credits
