#include "quicktools/credits/audit.hpp"

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/db/sql_files.hpp"

namespace quicktools::credits {

AuditResult audit(db::Database& db, const AuditOptions& options) {
    require_tool_tables(db);
    db::ReadTransaction snapshot(db);  // both queries see the same database
    AuditResult result;
    {
        db::Statement q(db, sql::query(db.engine(), "credits", "count_users"));
        q.step();
        result.users_checked = q.column("users").int64();
    }
    db::Statement q(db, sql::query(db.engine(), "credits", "audit_violations"));
    while (q.step()) {
        Violation v;
        const auto balance = q.column("credits_balance");
        const auto purchased_total = q.column("credits_purchased_total");
        const auto lifetime_used = q.column("credits_lifetime_used");
        v.user_id = q.column("id").int64();
        v.email = q.column("email").text();
        v.has_null = balance.is_null() || purchased_total.is_null() || lifetime_used.is_null();
        v.balance = balance.int64();
        v.purchased_total = purchased_total.int64();
        v.lifetime_used = lifetime_used.int64();
        v.base = q.column("base").int64();
        v.ledger_delta = q.column("delta").int64();
        v.ledger_entries = q.column("entries").int64();
        ++result.violations;
        if (v.negative_balance()) ++result.negative_balances;
        if (v.invariant_broken()) ++result.invariant_broken;
        if (options.limit <= 0 || static_cast<std::int64_t>(result.listed.size()) < options.limit)
            result.listed.push_back(std::move(v));
    }
    return result;
}

}  // namespace quicktools::credits
