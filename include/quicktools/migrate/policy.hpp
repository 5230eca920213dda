#pragma once
// How `migrate packs` turns a subscription into credits: per old tier, the credits, whether API
// access unlocks (and for which subscription statuses), and a purchased-total equivalent.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace quicktools::migrate {

enum class CreditsRule { unused_allowance, full_allowance, fixed };

struct TierPolicy {
    std::string tier;  // free, basic, pro, business
    CreditsRule credits = CreditsRule::unused_allowance;
    std::int64_t fixed_credits = 0;  // for CreditsRule::fixed
    bool api = false;
    std::vector<std::string> api_statuses{"active", "trialing"};
    std::int64_t purchased_equivalent = 0;  // added to credits_purchased_total
};

struct Policy {
    std::string name = "default";
    std::vector<TierPolicy> tiers;  // one per known tier, in known_tiers order
};

inline constexpr std::array<std::string_view, 4> known_tiers = {"free", "basic", "pro", "business"};

// Stripe's subscription statuses, the values api_statuses may name.
inline constexpr std::array<std::string_view, 8> known_statuses = {
    "active", "trialing", "past_due", "canceled", "unpaid", "incomplete", "incomplete_expired", "paused"};

// The statuses in which Stripe keeps charging a subscription until someone cancels it (the
// queries of sql/queries/migrate.sql that list billing subscriptions name the same three).
inline constexpr std::array<std::string_view, 3> billing_statuses = {"active", "trialing", "past_due"};

// The largest fixed credits or purchased equivalent a policy may give one user.
inline constexpr std::int64_t max_policy_credits = 1'000'000;

// The SPEC's policy: the unused allowance of this month; API for pro and business with an
// active or trialing subscription.
Policy default_policy();

// Parses a policy file's JSON text (`source` names it in messages). Tiers the file leaves out
// keep the default policy. Throws a usage Error (exit 2) with one sentence naming the key.
Policy parse_policy(const std::string& text, const std::string& source);

// Reads and parses a policy file; throws a usage Error if it cannot be read.
Policy load_policy(const std::string& path);

// "unused", "full" or the number, as the policy file writes it.
std::string describe(const TierPolicy& tier);

}  // namespace quicktools::migrate
