#include "quicktools/credits/ledger.hpp"

#include <fmt/format.h>

#include "quicktools/db/schema_state.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::credits {

std::int64_t append(db::Database& db, LedgerEntry entry) { return LedgerWriter(db).append(std::move(entry)); }

LedgerWriter::LedgerWriter(db::Database& db) : m_db(db) {}

void LedgerWriter::bind(db::Statement& q, LedgerEntry& e) {
    if (e.created_at.empty()) e.created_at = util::now_timestamp();
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
    q.bind(11, e.idempotency_key);
    q.bind(12, e.request_fingerprint);
    q.bind(13, e.created_at);
}

std::int64_t LedgerWriter::append(LedgerEntry e) {
    if (!m_insert_returning_id) {
        m_insert_returning_id.emplace(m_db, sql::query(m_db.engine(), "ledger", "insert_returning_id"));
        m_id_column = m_insert_returning_id->column_index("id");
    }
    auto& q = *m_insert_returning_id;
    bind(q, e);
    if (!q.step()) throw Error("the ledger entry was not written (its INSERT returned no id)");
    const std::int64_t id = q.column(m_id_column).int64();
    q.exec();  // to the statement's end
    return id;
}

void LedgerWriter::append_without_id(LedgerEntry e) {
    if (!m_insert) m_insert.emplace(m_db, sql::query(m_db.engine(), "ledger", "insert"));
    bind(*m_insert, e);
    m_insert->exec_pipelined();
}

void require_tool_tables(db::Database& db) {
    for (auto table : db::tool_tables)
        if (!db.has_table(std::string(table)))
            throw refusal(fmt::format("{} has no {} table yet: run `quicktools --db {} db upgrade` first", db.path(),
                                      table, db.path()));
}

}  // namespace quicktools::credits
