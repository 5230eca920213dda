#include "quicktools/migrate/policy.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "quicktools/error.hpp"
#include "quicktools/util/system.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::migrate {
namespace {

using nlohmann::json;

template <typename List>
bool contains(const List& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

[[noreturn]] void bad(const std::string& source, const std::string& key, const std::string& problem) {
    throw usage_error(fmt::format("policy {}: {} {}", source, key, problem));
}

std::int64_t amount(const json& value, const std::string& source, const std::string& key) {
    const std::string expected = fmt::format("must be a whole number from 0 to {}", max_policy_credits);
    if (!value.is_number_integer()) bad(source, key, expected);
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(max_policy_credits))
        bad(source, key, expected);
    const auto n = value.get<std::int64_t>();
    if (n < 0 || n > max_policy_credits) bad(source, key, expected);
    return n;
}

void parse_credits(TierPolicy& tier, const json& value, const std::string& source, const std::string& key) {
    if (value.is_string()) {
        const auto s = value.get<std::string>();
        if (s == "unused")
            tier.credits = CreditsRule::unused_allowance;
        else if (s == "full")
            tier.credits = CreditsRule::full_allowance;
        else
            bad(source, key, fmt::format("is \"{}\"; use \"unused\", \"full\" or a number of credits", s));
        return;
    }
    tier.credits = CreditsRule::fixed;
    tier.fixed_credits = amount(value, source, key);
}

void parse_statuses(TierPolicy& tier, const json& value, const std::string& source, const std::string& key) {
    if (!value.is_array()) bad(source, key, "must be a list of subscription statuses, like [\"active\", \"trialing\"]");
    tier.api_statuses.clear();
    for (const auto& s : value) {
        if (!s.is_string() || !contains(known_statuses, s.get<std::string>()))
            bad(source, key, fmt::format("has {}; statuses are {}", s.dump(), fmt::join(known_statuses, ", ")));
        if (!contains(tier.api_statuses, s.get<std::string>())) tier.api_statuses.push_back(s.get<std::string>());
    }
}

void parse_tier(TierPolicy& tier, const json& spec, const std::string& source) {
    const std::string prefix = "tiers." + tier.tier;
    if (!spec.is_object())
        bad(source, prefix, "must be an object with credits, api, api_statuses, purchased_equivalent");
    for (const auto& [key, value] : spec.items()) {
        const std::string name = prefix + "." + key;
        if (key == "credits")
            parse_credits(tier, value, source, name);
        else if (key == "api") {
            if (!value.is_boolean()) bad(source, name, "must be true or false");
            tier.api = value.get<bool>();
        } else if (key == "api_statuses")
            parse_statuses(tier, value, source, name);
        else if (key == "purchased_equivalent")
            tier.purchased_equivalent = amount(value, source, name);
        else
            bad(source, name, "is not a policy setting (credits, api, api_statuses, purchased_equivalent)");
    }
}

}  // namespace

Policy default_policy() {
    Policy policy;
    for (auto tier : known_tiers) {
        TierPolicy t;
        t.tier = std::string(tier);
        t.api = tier == "pro" || tier == "business";
        policy.tiers.push_back(std::move(t));
    }
    return policy;
}

Policy parse_policy(const std::string& text, const std::string& source) {
    json doc;
    // nlohmann/json keeps the last of two equal keys, other parsers the first: refuse both.
    std::vector<std::set<std::string>> keys;  // of each object being read, innermost last
    std::string duplicate;
    const json::parser_callback_t check_keys = [&](int, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        if (event == json::parse_event_t::object_end) keys.pop_back();
        if (event == json::parse_event_t::key && !keys.back().insert(parsed.get<std::string>()).second &&
            duplicate.empty())
            duplicate = parsed.get<std::string>();
        return true;
    };
    try {
        doc = json::parse(text, check_keys);
    } catch (const json::parse_error& e) {
        throw usage_error(fmt::format("policy {} is not valid JSON (at byte {})", source, e.byte));
    } catch (const json::out_of_range&) {  // a number too large for a double, such as 1E400
        throw usage_error(fmt::format("policy {} holds a number too large to read; credits are whole numbers up to {}",
                                      source, max_policy_credits));
    }
    if (!duplicate.empty())
        throw usage_error(
            fmt::format("policy {} has the key \"{}\" twice in one object; JSON readers disagree on "
                        "which one counts, so keep one",
                        source, util::display(duplicate)));
    if (!doc.is_object()) bad(source, "the document", "must be an object with \"tiers\" (and optionally \"name\")");
    Policy policy = default_policy();
    policy.name = "custom";
    for (const auto& [key, value] : doc.items()) {
        if (key == "name") {
            if (!value.is_string() || value.get<std::string>().empty() ||
                util::utf8_length(value.get<std::string>()) > 100)
                bad(source, "name", "must be a non-empty string of at most 100 characters");
            if (util::has_hidden_controls(value.get<std::string>()))
                bad(source, "name", "must be one line of text, without control characters or bidi overrides");
            policy.name = value.get<std::string>();
        } else if (key == "tiers") {
            if (!value.is_object())
                bad(source, "tiers", "must be an object keyed by tier (free, basic, pro, business)");
            for (const auto& item : value.items()) {
                const std::string& tier_name = item.key();  // a plain name: lambdas capture no bindings before C++20
                const auto& spec = item.value();
                auto it = std::find_if(policy.tiers.begin(), policy.tiers.end(),
                                       [&](const TierPolicy& t) { return t.tier == tier_name; });
                if (it == policy.tiers.end())
                    bad(source, "tiers." + tier_name,
                        fmt::format("is not a tier; tiers are {}", fmt::join(known_tiers, ", ")));
                parse_tier(*it, spec, source);
            }
        } else {
            bad(source, key, "is not a policy key (name, tiers)");
        }
    }
    if (policy.name == "adopted" || policy.name == "default")
        bad(source, "name", fmt::format("\"{}\" is reserved; choose another name", policy.name));
    return policy;
}

Policy load_policy(const std::string& path) {
    // A policy names four tiers; a megabyte is far more than any real one.
    constexpr std::size_t max_policy_bytes = 1 << 20;
    return parse_policy(util::read_file(path, max_policy_bytes, "policy file"), path);
}

std::string describe(const TierPolicy& tier) {
    switch (tier.credits) {
        case CreditsRule::unused_allowance: return "unused";
        case CreditsRule::full_allowance: return "full";
        case CreditsRule::fixed: return std::to_string(tier.fixed_credits);
    }
    return "unused";
}

}  // namespace quicktools::migrate
