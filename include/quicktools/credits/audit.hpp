#pragma once
// `credits audit`: every user checked against the credit invariant, in one set-based query.
//
//   credits_balance - credits_purchased_total + credits_lifetime_used
//     = base + SUM(balance_delta - purchased_delta + used_delta) over the user's ledger entries
//
// base is quicktools_migrated_users.invariant_base when the migration set the user, else 10
// (the sign-up grant). The web app's own writes leave both sides unchanged (usage moves
// balance down and lifetime used up by the same n; a purchase moves balance and purchased total
// up by the same c), and every write of the tool adds a ledger entry with its exact deltas.
#include <cstdint>
#include <string>
#include <vector>

#include "quicktools/db/database.hpp"

namespace quicktools::credits {

struct AuditOptions {
    std::int64_t limit = 100;  // violations listed at most (all are counted); 0 lists all
};

struct Violation {
    std::int64_t user_id = 0;
    std::string email;
    std::int64_t balance = 0;
    std::int64_t purchased_total = 0;
    std::int64_t lifetime_used = 0;
    std::int64_t base = 0;
    std::int64_t ledger_delta = 0;  // the sum of the user's ledger deltas
    std::int64_t ledger_entries = 0;
    bool has_null = false;  // a credit column holds NULL
    std::int64_t expected() const { return base + ledger_delta; }
    std::int64_t actual() const { return balance - purchased_total + lifetime_used; }
    std::int64_t difference() const { return actual() - expected(); }
    // The balance that would satisfy the invariant with the other two columns as they are.
    std::int64_t expected_balance() const { return balance - difference(); }
    bool negative_balance() const { return balance < 0; }
    bool invariant_broken() const { return has_null || difference() != 0; }
};

struct AuditResult {
    std::int64_t users_checked = 0;
    std::int64_t violations = 0;  // users with at least one problem
    std::int64_t negative_balances = 0;
    std::int64_t invariant_broken = 0;
    std::vector<Violation> listed;  // the first `limit` violations, by user id
    bool clean() const { return violations == 0; }
};

// Reads every user in one snapshot; never writes. Throws Error (exit 4) if the tool's tables
// are missing.
AuditResult audit(db::Database& db, const AuditOptions& options);

}  // namespace quicktools::credits
