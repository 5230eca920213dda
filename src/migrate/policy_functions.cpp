#include "policy_functions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "quicktools/credits/packs.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/error.hpp"
#include "quicktools/users/users.hpp"
#include "../db/postgres/pg_connection.hpp"
#include "../db/sqlite/functions.hpp"

namespace quicktools::migrate {
namespace {

using db::sqlite::FunctionCall;

PolicyFunctions& policy_self(void* self) { return *static_cast<PolicyFunctions*>(self); }

// The rule of the first argument's tier, or nullptr after failing the statement.
const TierRule* rule_of(PolicyFunctions& self, FunctionCall& call) {
    const auto tier = call.text(0);
    if (const TierRule* rule = self.find(tier)) return rule;
    self.note_uncovered();
    call.error(fmt::format("subscription tier '{}' is not one the policy covers", tier));
    return nullptr;
}

void covers_fn(void* self, FunctionCall& call) { call.result(policy_self(self).find(call.text(0)) != nullptr ? 1 : 0); }

// A whole-number argument (NULL counts as 0, as the legacy schema's defaults do), or nullopt
// after failing the statement with a sentence naming the user and the column.
std::optional<std::int64_t> whole(PolicyFunctions& self, FunctionCall& call, int index, const char* column,
                                  std::int64_t user_id) {
    const auto type = call.type(index);
    if (type == db::ColumnType::integer || type == db::ColumnType::null) return call.int64(index);
    const char* type_name = type == db::ColumnType::real ? "real" : type == db::ColumnType::text ? "text" : "blob";
    const auto text = std::string(call.text(index).substr(0, 40));
    self.refuse(call, fmt::format("user {}: {}; the migration works only with whole numbers. Correct "
                                  "the row first; nothing was changed",
                                  user_id, *users::not_whole(column, type_name, text)));
    return std::nullopt;
}

// The user id the SQL passes last (for messages), or 0 when it passes none.
std::int64_t user_of(FunctionCall& call, int position) { return call.size() > position ? call.int64(position) : 0; }

void credits_fn(void* data, FunctionCall& call) {
    if (call.size() < 4) return call.error("quicktools_policy_credits takes 4 or 5 arguments");
    auto& self = policy_self(data);
    const TierRule* rule = rule_of(self, call);
    if (rule == nullptr) return;
    const auto user = user_of(call, 4);
    const auto monthly = whole(self, call, 1, "monthly_credits", user);
    const auto used = monthly ? whole(self, call, 2, "credits_used_this_month", user) : std::nullopt;
    const auto balance = used ? whole(self, call, 3, "credits_balance", user) : std::nullopt;
    if (!balance) return;
    if (const auto credits = new_balance(*rule, *monthly, *used, *balance)) return call.result(*credits);
    self.refuse(call, fmt::format("user {}: the policy's credits from monthly_credits {}, "
                                  "credits_used_this_month {} and credits_balance {} fall outside the "
                                  "64-bit range; correct the row first; nothing was changed",
                                  user, *monthly, *used, *balance));
}

void purchased_fn(void* data, FunctionCall& call) {
    if (call.size() < 2) return call.error("quicktools_policy_purchased takes 2 or 3 arguments");
    auto& self = policy_self(data);
    const TierRule* rule = rule_of(self, call);
    if (rule == nullptr) return;
    const auto user = user_of(call, 2);
    const auto purchased = whole(self, call, 1, "credits_purchased_total", user);
    if (!purchased) return;
    std::int64_t total = 0;
    if (!__builtin_add_overflow(*purchased, rule->purchased_equivalent, &total)) return call.result(total);
    self.refuse(call,
                fmt::format("user {}: credits_purchased_total {} plus the policy's {} would pass "
                            "{}; correct the row first; nothing was changed",
                            user, *purchased, rule->purchased_equivalent, std::numeric_limits<std::int64_t>::max()));
}

void api_fn(void* data, FunctionCall& call) {
    if (const TierRule* rule = rule_of(policy_self(data), call))
        call.result(new_api_access(*rule, call.text(1), call.int64(2) != 0) ? 1 : 0);
}

void tally_fn(void* data, FunctionCall& call) {
    policy_self(data).count(call.text(0), call.text(1), call.int64(2) != 0, call.int64(3), call.int64(4) != 0,
                            call.int64(5) != 0);
    call.result(1);
}

constexpr db::sqlite::FunctionSpec function_specs[] = {
    {"quicktools_policy_covers", 1, covers_fn, true},
    // Any number of arguments: the SQL passes the user id last, for messages (-1, checked inside).
    {"quicktools_policy_credits", -1, credits_fn, true},
    {"quicktools_policy_purchased", -1, purchased_fn, true},
    {"quicktools_policy_api", 3, api_fn, true},
    // Counts each row it is called for: never deterministic, never inside a view or trigger.
    {"quicktools_migrate_tally", 6, tally_fn, false},
};

// --- the same rules as PostgreSQL functions (sql/postgres/queries/policy.sql) ----------------

// A piece of sql/postgres/queries/policy.sql, without the blank lines after it.
std::string pgpol_piece(std::string_view name) {
    std::string text = sql::query(db::Engine::postgres, "policy", name);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

std::string pgpol_literal(std::string_view text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

}  // namespace

std::vector<TierRule> tier_rules(const Policy& policy) {
    std::vector<TierRule> rules;
    for (const auto& t : policy.tiers)
        rules.push_back({t.tier, t.credits, t.fixed_credits, t.api ? t.api_statuses : std::vector<std::string>{},
                         t.purchased_equivalent});
    return rules;
}

std::string postgres_policy_sql(const std::vector<TierRule>& rules) {
    // The template's pieces filled in per tier; every value is an argument, never part of a format.
    const std::string credits_when = pgpol_piece("credits_when");
    const std::string purchased_when = pgpol_piece("purchased_when");
    std::string tiers;
    std::string credits;
    std::string purchased;
    std::string api;
    for (const auto& rule : rules) {
        const std::string tier = pgpol_literal(rule.tier);
        tiers += (tiers.empty() ? "" : ", ") + tier;
        const bool unused = rule.credits == CreditsRule::unused_allowance;
        const std::string tier_credits = unused ? pgpol_piece("credits_unused")
                                         : rule.credits == CreditsRule::full_allowance
                                             ? pgpol_piece("credits_full")
                                             : std::to_string(rule.fixed_credits);
        // The bigint path: inputs within ±2^61 (and a fixed number too) cannot overflow it.
        constexpr std::int64_t small = std::int64_t{1} << 61;
        const bool fixed_small = rule.fixed_credits >= -small && rule.fixed_credits <= small;
        const std::string small_credits = unused ? pgpol_piece("credits_unused_bigint")
                                          : rule.credits == CreditsRule::full_allowance
                                              ? pgpol_piece("credits_full_bigint")
                                              : std::to_string(rule.fixed_credits);
        const bool bigint_path = rule.credits != CreditsRule::fixed || fixed_small;
        credits += fmt::format(fmt::runtime(credits_when), fmt::arg("tier", tier),
                               fmt::arg("small", bigint_path ? pgpol_piece("small_inputs") : "false"),
                               fmt::arg("small_credits", small_credits),
                               fmt::arg("overflow", pgpol_piece(unused ? "overflow_unused" : "no_overflow")),
                               fmt::arg("credits", tier_credits), fmt::arg("signup", credits::free_credits_on_signup)) +
                   "\n";
        purchased += fmt::format(fmt::runtime(purchased_when), fmt::arg("tier", tier),
                                 fmt::arg("equivalent", rule.purchased_equivalent)) +
                     "\n";
        std::string statuses;
        for (const auto& status : rule.api_statuses) statuses += (statuses.empty() ? "" : ", ") + pgpol_literal(status);
        api += (statuses.empty() ? fmt::format(fmt::runtime(pgpol_piece("api_when_never")), fmt::arg("tier", tier))
                                 : fmt::format(fmt::runtime(pgpol_piece("api_when")), fmt::arg("tier", tier),
                                               fmt::arg("statuses", statuses))) +
               "\n";
    }
    if (tiers.empty()) tiers = "NULL";
    return fmt::format(fmt::runtime(sql::query(db::Engine::postgres, "policy", "functions")), fmt::arg("tiers", tiers),
                       fmt::arg("credits", credits), fmt::arg("purchased", purchased), fmt::arg("api", api));
}

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
    return api_access ||
           std::find(rule.api_statuses.begin(), rule.api_statuses.end(), status) != rule.api_statuses.end();
}

PolicyFunctions::PolicyFunctions(db::Database& db, const Policy& policy) : m_db(db), m_rules(tier_rules(policy)) {
    if (db.engine() == db::Engine::postgres) {
        db.execute(postgres_policy_sql(m_rules));
        return;
    }
    std::size_t registered = 0;
    try {
        for (const auto& spec : function_specs) {
            db::sqlite::register_function(db, spec, this);
            ++registered;
        }
    } catch (...) {
        for (std::size_t i = 0; i < registered; ++i) db::sqlite::unregister_function(m_db, function_specs[i]);
        throw;
    }
}

PolicyFunctions::~PolicyFunctions() {
    if (m_db.engine() == db::Engine::postgres) return;  // temporary: gone with the rollback or the session
    // Statements that used the functions are finished by now.
    for (const auto& spec : function_specs) db::sqlite::unregister_function(m_db, spec);
}

const TierRule* PolicyFunctions::find(std::string_view tier) const {
    for (const auto& rule : m_rules)
        if (rule.tier == tier) return &rule;
    return nullptr;
}

std::vector<Breakdown> PolicyFunctions::breakdown() const {
    if (m_db.engine() == db::Engine::postgres) return recorded_breakdown(m_db);
    return m_tally;
}

void PolicyFunctions::note_failure(const std::exception& e) {
    const auto* pg = dynamic_cast<const db::postgres::PgError*>(&e);
    if (pg == nullptr || m_refusal) return;
    if (pg->sqlstate() == "QTP01") m_refusal = e.what();
    if (pg->sqlstate() == "QTP02") m_refusal = fmt::format("{}; fix those users first (nothing was changed)", e.what());
}

void PolicyFunctions::refuse(db::sqlite::FunctionCall& call, const std::string& message) {
    if (!m_refusal) m_refusal = message;
    call.error(message);
}

void PolicyFunctions::count(std::string_view tier, std::string_view status, bool has_subscription, std::int64_t balance,
                            bool unlocked, bool api_access) {
    // In C++ rather than as an IN list in SQL: that list costs the insert a seventh of its time.
    const bool billing = has_subscription &&
                         std::find(billing_statuses.begin(), billing_statuses.end(), status) != billing_statuses.end();
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
