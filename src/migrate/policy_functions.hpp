#pragma once
// The migration policy as SQL functions on one connection (internal to migrate/). Every statement
// of `migrate packs` that needs a user's new values (the plan of a dry run, the record, the users
// update) calls the same C++ code, and a tally function sums the records up while they are
// inserted, so nothing reads them back:
//
//   quicktools_policy_covers(tier)                               1 if the policy covers the tier
//   quicktools_policy_credits(tier, monthly, used, balance[, id]) the new balance
//   quicktools_policy_purchased(tier, purchased_total[, id])     the new purchased total
//   quicktools_policy_api(tier, status, api_access)              the new API access, 0 or 1
//   quicktools_migrate_tally(tier, status, has_subscription, balance, unlocked, api_access)
//                                                                1, after adding the row to tally()
//                                                                (billing: a subscription, in a
//                                                                status of billing_statuses)
//
// The credits, purchased and API functions fail the statement on a tier the policy does not cover;
// credits and purchased also on a value that is not a whole number or a result past the 64-bit
// range (naming the user `id`), kept in refusal().
//
// On PostgreSQL the same rules are temporary SQL functions (pg_temp.quicktools_policy_covers,
// _credits, _purchased, _api), the template sql/postgres/queries/policy.sql filled in with the
// policy's tiers (postgres_policy_sql), created on the connection inside the caller's
// transaction; a refusal is raised with the same sentence
// (SQLSTATE QTP01, QTP02 for an uncovered tier) and read back by note_failure. There is no tally
// function there: breakdown() reads what was recorded (breakdown_done).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/migrate/packs_migration.hpp"
#include "quicktools/migrate/policy.hpp"

namespace quicktools::db::sqlite {
class FunctionCall;
}

namespace quicktools::migrate {

// One tier's rule in the form the functions use per row.
struct TierRule {
    std::string tier;
    CreditsRule credits = CreditsRule::unused_allowance;
    std::int64_t fixed_credits = 0;
    std::vector<std::string> api_statuses;  // empty: the tier never unlocks API access
    std::int64_t purchased_equivalent = 0;
};

// The credits the policy grants a user of this rule, before what the web app added or took;
// nullopt when the arithmetic leaves the 64-bit range.
std::optional<std::int64_t> policy_credits(const TierRule& rule, std::int64_t monthly_credits,
                                           std::int64_t used_this_month);

// The new balance: the policy's credits plus whatever the web app added or took since `db upgrade`
// gave every user the sign-up credits (usage, purchases), never below zero; nullopt when the
// arithmetic leaves the 64-bit range.
std::optional<std::int64_t> new_balance(const TierRule& rule, std::int64_t monthly_credits,
                                        std::int64_t used_this_month, std::int64_t balance);

// Whether a user of this rule and subscription status gets API access (or already had it).
bool new_api_access(const TierRule& rule, std::string_view status, bool api_access);

// The CREATE FUNCTION statements of the policy's rules on PostgreSQL (one script): the pieces of
// sql/postgres/queries/policy.sql filled in per tier.
std::string postgres_policy_sql(const std::vector<TierRule>& rules);

// The policy's rules as they are applied per user.
std::vector<TierRule> tier_rules(const Policy& policy);

// Registers the functions for as long as it lives (SQLite), or creates them in the current
// transaction (PostgreSQL: they go with its rollback, or with the session).
class PolicyFunctions {
public:
    PolicyFunctions(db::Database& db, const Policy& policy);
    ~PolicyFunctions();
    PolicyFunctions(const PolicyFunctions&) = delete;
    PolicyFunctions& operator=(const PolicyFunctions&) = delete;

    // Per tier and status, what the recording statements recorded: on SQLite the rows the tally
    // function counted (in the order first seen), on PostgreSQL read back from the record.
    std::vector<Breakdown> breakdown() const;
    // Whether a statement failed because a user's tier is one the policy does not cover (and the
    // transaction can still list them: SQLite).
    bool met_uncovered_tier() const { return m_uncovered; }
    // Whether uncovered tiers must be refused before the first statement that applies the policy:
    // a failed statement ends a PostgreSQL transaction, so nothing can list them afterwards.
    bool check_tiers_first() const { return m_db.engine() == db::Engine::postgres; }
    // Keeps the refusal a failed statement raised from the generated functions (PostgreSQL).
    void note_failure(const std::exception& e);

    // For the functions' callbacks.
    const TierRule* find(std::string_view tier) const;
    void note_uncovered() { m_uncovered = true; }
    // Fails the statement with `message` and keeps the first such message for refusal().
    void refuse(db::sqlite::FunctionCall& call, const std::string& message);
    // Why a statement failed on a user's values (not a whole number, past the 64-bit range).
    const std::optional<std::string>& refusal() const { return m_refusal; }
    void count(std::string_view tier, std::string_view status, bool has_subscription, std::int64_t balance,
               bool unlocked, bool api_access);

private:
    db::Database& m_db;
    std::vector<TierRule> m_rules;
    std::vector<Breakdown> m_tally;
    std::size_t m_last = 0;  // the tally entry of the row before: rows often come in runs
    bool m_uncovered = false;
    std::optional<std::string> m_refusal;
};

}  // namespace quicktools::migrate
