#include "policy_functions.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "quicktools/credits/packs.hpp"
#include "quicktools/error.hpp"
#include "quicktools/users/users.hpp"

namespace quicktools::migrate {
namespace {

std::string_view text_arg(sqlite3_value* value) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
    if (text == nullptr) return {};
    return {text, static_cast<std::size_t>(sqlite3_value_bytes(value))};
}

PolicyFunctions& self(sqlite3_context* context) {
    return *static_cast<PolicyFunctions*>(sqlite3_user_data(context));
}

// The rule of the first argument's tier, or nullptr after failing the statement.
const TierRule* rule_of(sqlite3_context* context, sqlite3_value* tier_arg) {
    const auto tier = text_arg(tier_arg);
    if (const TierRule* rule = self(context).find(tier)) return rule;
    self(context).note_uncovered();
    const auto message = fmt::format("subscription tier '{}' is not one the policy covers", tier);
    sqlite3_result_error(context, message.c_str(), static_cast<int>(message.size()));
    return nullptr;
}

void covers_fn(sqlite3_context* context, int, sqlite3_value** args) {
    sqlite3_result_int(context, self(context).find(text_arg(args[0])) != nullptr ? 1 : 0);
}

// A whole-number argument (NULL counts as 0, as the legacy schema's defaults do), or nullopt
// after failing the statement with a sentence naming the user and the column.
std::optional<std::int64_t> whole(sqlite3_context* context, sqlite3_value* value, const char* column,
                                  std::int64_t user_id) {
    const int type = sqlite3_value_type(value);
    if (type == SQLITE_INTEGER || type == SQLITE_NULL) return sqlite3_value_int64(value);
    const char* type_name = type == SQLITE_FLOAT ? "real" : type == SQLITE_TEXT ? "text" : "blob";
    const auto text = std::string(text_arg(value).substr(0, 40));
    self(context).refuse(context, fmt::format("user {}: {}; the migration works only with whole numbers. Correct "
                                              "the row first; nothing was changed",
                                              user_id, *users::not_whole(column, type_name, text)));
    return std::nullopt;
}

// The user id the SQL passes last (for messages), or 0 when it passes none.
std::int64_t user_of(int argc, sqlite3_value** args, int position) {
    return argc > position ? sqlite3_value_int64(args[position]) : 0;
}

void credits_fn(sqlite3_context* context, int argc, sqlite3_value** args) {
    if (argc < 4) return sqlite3_result_error(context, "quicktools_policy_credits takes 4 or 5 arguments", -1);
    const TierRule* rule = rule_of(context, args[0]);
    if (rule == nullptr) return;
    const auto user = user_of(argc, args, 4);
    const auto monthly = whole(context, args[1], "monthly_credits", user);
    const auto used = monthly ? whole(context, args[2], "credits_used_this_month", user) : std::nullopt;
    const auto balance = used ? whole(context, args[3], "credits_balance", user) : std::nullopt;
    if (!balance) return;
    if (const auto credits = new_balance(*rule, *monthly, *used, *balance)) return sqlite3_result_int64(context, *credits);
    self(context).refuse(context, fmt::format("user {}: the policy's credits from monthly_credits {}, "
                                              "credits_used_this_month {} and credits_balance {} fall outside the "
                                              "64-bit range; correct the row first; nothing was changed",
                                              user, *monthly, *used, *balance));
}

void purchased_fn(sqlite3_context* context, int argc, sqlite3_value** args) {
    if (argc < 2) return sqlite3_result_error(context, "quicktools_policy_purchased takes 2 or 3 arguments", -1);
    const TierRule* rule = rule_of(context, args[0]);
    if (rule == nullptr) return;
    const auto user = user_of(argc, args, 2);
    const auto purchased = whole(context, args[1], "credits_purchased_total", user);
    if (!purchased) return;
    std::int64_t total = 0;
    if (!__builtin_add_overflow(*purchased, rule->purchased_equivalent, &total)) return sqlite3_result_int64(context, total);
    self(context).refuse(context, fmt::format("user {}: credits_purchased_total {} plus the policy's {} would pass "
                                              "{}; correct the row first; nothing was changed",
                                              user, *purchased, rule->purchased_equivalent,
                                              std::numeric_limits<std::int64_t>::max()));
}

void api_fn(sqlite3_context* context, int, sqlite3_value** args) {
    if (const TierRule* rule = rule_of(context, args[0]))
        sqlite3_result_int(context, new_api_access(*rule, text_arg(args[1]), sqlite3_value_int64(args[2]) != 0) ? 1 : 0);
}

void tally_fn(sqlite3_context* context, int, sqlite3_value** args) {
    self(context).count(text_arg(args[0]), text_arg(args[1]), sqlite3_value_int64(args[2]) != 0,
                        sqlite3_value_int64(args[3]), sqlite3_value_int64(args[4]) != 0,
                        sqlite3_value_int64(args[5]) != 0);
    sqlite3_result_int(context, 1);
}

struct FunctionSpec {
    const char* name;
    int arguments;
    void (*function)(sqlite3_context*, int, sqlite3_value**);
    bool deterministic;
};

constexpr FunctionSpec function_specs[] = {
    {"quicktools_policy_covers", 1, covers_fn, true},
    // Any number of arguments: the SQL passes the user id last, for messages (-1, checked inside).
    {"quicktools_policy_credits", -1, credits_fn, true},
    {"quicktools_policy_purchased", -1, purchased_fn, true},
    {"quicktools_policy_api", 3, api_fn, true},
    // Counts each row it is called for: never deterministic, never inside a view or trigger.
    {"quicktools_migrate_tally", 6, tally_fn, false},
};

}  // namespace

std::optional<std::int64_t> policy_credits(const TierRule& rule, std::int64_t monthly_credits,
                                           std::int64_t used_this_month) {
    std::int64_t unused = 0;
    switch (rule.credits) {
        case CreditsRule::unused_allowance:
            if (__builtin_sub_overflow(monthly_credits, used_this_month, &unused)) return std::nullopt;
            return std::max<std::int64_t>(unused, 0);
        case CreditsRule::full_allowance: return std::max<std::int64_t>(monthly_credits, 0);
        case CreditsRule::fixed: return rule.fixed_credits;
    }
    return 0;
}

std::optional<std::int64_t> new_balance(const TierRule& rule, std::int64_t monthly_credits,
                                        std::int64_t used_this_month, std::int64_t balance) {
    std::int64_t since_upgrade = 0;
    std::int64_t sum = 0;
    const auto credits = policy_credits(rule, monthly_credits, used_this_month);
    if (!credits || __builtin_sub_overflow(balance, credits::free_credits_on_signup, &since_upgrade) ||
        __builtin_add_overflow(*credits, since_upgrade, &sum))
        return std::nullopt;
    return std::max<std::int64_t>(sum, 0);
}

bool new_api_access(const TierRule& rule, std::string_view status, bool api_access) {
    return api_access || std::find(rule.api_statuses.begin(), rule.api_statuses.end(), status) != rule.api_statuses.end();
}

PolicyFunctions::PolicyFunctions(db::Database& db, const Policy& policy) : m_db(db) {
    for (const auto& t : policy.tiers)
        m_rules.push_back({t.tier, t.credits, t.fixed_credits, t.api ? t.api_statuses : std::vector<std::string>{},
                           t.purchased_equivalent});
    for (const auto& spec : function_specs) {
        const int flags = SQLITE_UTF8 | (spec.deterministic ? SQLITE_DETERMINISTIC : SQLITE_DIRECTONLY);
        if (sqlite3_create_function_v2(db.sql().getHandle(), spec.name, spec.arguments, flags, this, spec.function,
                                       nullptr, nullptr, nullptr) != SQLITE_OK)
            throw Error(fmt::format("could not register the SQL function {}: {}", spec.name,
                                    sqlite3_errmsg(db.sql().getHandle())));
    }
}

PolicyFunctions::~PolicyFunctions() {
    // Statements that used the functions are finished by now; a failure here only leaves a
    // function registered on a connection that no longer calls it.
    for (const auto& spec : function_specs)
        sqlite3_create_function_v2(m_db.sql().getHandle(), spec.name, spec.arguments, SQLITE_UTF8, nullptr, nullptr,
                                   nullptr, nullptr, nullptr);
}

const TierRule* PolicyFunctions::find(std::string_view tier) const {
    for (const auto& rule : m_rules)
        if (rule.tier == tier) return &rule;
    return nullptr;
}

void PolicyFunctions::refuse(sqlite3_context* context, const std::string& message) {
    if (!m_refusal) m_refusal = message;
    sqlite3_result_error(context, message.c_str(), static_cast<int>(message.size()));
}

void PolicyFunctions::count(std::string_view tier, std::string_view status, bool has_subscription,
                            std::int64_t balance, bool unlocked, bool api_access) {
    // In C++ rather than as an IN list in SQL: that list costs the insert a seventh of its time.
    const bool billing = has_subscription && std::find(billing_statuses.begin(), billing_statuses.end(), status) !=
                                                 billing_statuses.end();
    if (m_last >= m_tally.size() || m_tally[m_last].tier != tier || m_tally[m_last].status != status) {
        auto it = std::find_if(m_tally.begin(), m_tally.end(),
                               [&](const Breakdown& b) { return b.tier == tier && b.status == status; });
        if (it == m_tally.end()) it = m_tally.insert(m_tally.end(), Breakdown{std::string(tier), std::string(status)});
        m_last = static_cast<std::size_t>(it - m_tally.begin());
    }
    auto& row = m_tally[m_last];
    row.users += 1;
    row.credits += balance;
    row.api_unlocks += unlocked ? 1 : 0;
    row.billing += billing ? 1 : 0;
    row.api_access += api_access ? 1 : 0;
}

}  // namespace quicktools::migrate
