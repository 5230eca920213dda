#include "quicktools/credits/audit.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/sql_files.hpp"

namespace quicktools::credits {

AuditResult audit(db::Database& db, const AuditOptions& options) {
    require_tool_tables(db);
    SQLite::Transaction snapshot(db.sql());  // both queries see the same database; never committed
    AuditResult result;
    {
        SQLite::Statement q(db.sql(), sql::query("credits", "count_users"));
        q.executeStep();
        result.users_checked = q.getColumn(0).getInt64();
    }
    SQLite::Statement q(db.sql(), sql::query("credits", "audit_violations"));
    while (q.executeStep()) {
        Violation v;
        v.user_id = q.getColumn(0).getInt64();
        v.email = q.getColumn(1).getString();
        v.has_null = q.getColumn(2).isNull() || q.getColumn(3).isNull() || q.getColumn(4).isNull();
        v.balance = q.getColumn(2).getInt64();
        v.purchased_total = q.getColumn(3).getInt64();
        v.lifetime_used = q.getColumn(4).getInt64();
        v.base = q.getColumn(5).getInt64();
        v.ledger_delta = q.getColumn(6).getInt64();
        v.ledger_entries = q.getColumn(7).getInt64();
        ++result.violations;
        if (v.negative_balance()) ++result.negative_balances;
        if (v.invariant_broken()) ++result.invariant_broken;
        if (options.limit <= 0 || static_cast<std::int64_t>(result.listed.size()) < options.limit)
            result.listed.push_back(std::move(v));
    }
    return result;
}

}  // namespace quicktools::credits
