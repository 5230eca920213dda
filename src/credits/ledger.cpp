#include "quicktools/credits/ledger.hpp"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include "quicktools/db/schema_state.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::credits {

std::int64_t append(db::Database& db, LedgerEntry entry) { return LedgerWriter(db).append(std::move(entry)); }

LedgerWriter::LedgerWriter(db::Database& db) : m_db(db), m_insert(db.sql(), sql::query("ledger", "insert")) {}

std::int64_t LedgerWriter::append(LedgerEntry e) {
    if (e.created_at.empty()) e.created_at = util::now_timestamp();
    auto& q = m_insert;
    q.reset();
    q.bind(1, e.user_id);
    q.bind(2, e.kind);
    q.bind(3, e.amount);
    q.bind(4, e.balance_delta);
    q.bind(5, e.purchased_delta);
    q.bind(6, e.used_delta);
    q.bind(7, e.balance_after);
    q.bind(8, e.reason);
    q.bind(9, e.actor);
    q.bind(10, e.source);
    if (e.idempotency_key) q.bind(11, *e.idempotency_key); else q.bind(11);
    if (e.request_fingerprint) q.bind(12, *e.request_fingerprint); else q.bind(12);
    q.bind(13, e.created_at);
    q.exec();
    return m_db.sql().getLastInsertRowid();
}

void require_tool_tables(db::Database& db) {
    for (auto table : db::tool_tables)
        if (!db.has_table(std::string(table)))
            throw refusal(fmt::format("{} has no {} table yet: run `quicktools --db {} db upgrade` first", db.path(),
                                      table, db.path()));
}

}  // namespace quicktools::credits
