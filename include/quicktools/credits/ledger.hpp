#pragma once
// The append-only trail of every credit change the tool makes (quicktools_ledger).
#include <cstdint>
#include <optional>
#include <string>

#include "quicktools/db/database.hpp"
#include "quicktools/db/statement.hpp"

namespace quicktools::credits {

struct LedgerEntry {
    std::int64_t user_id = 0;
    std::string kind;         // grant, refund, debit, purchase, purchase_refund, migration, opening
    std::int64_t amount = 0;  // the amount as asked (positive)
    // How the entry moved users.credits_balance, credits_purchased_total, credits_lifetime_used.
    std::int64_t balance_delta = 0;
    std::int64_t purchased_delta = 0;
    std::int64_t used_delta = 0;
    std::int64_t balance_after = 0;
    std::string reason;
    std::string actor;
    std::string source;  // "cli", "import:FILE:LINE", "stripe:evt_...", "migrate"
    std::optional<std::string> idempotency_key;
    std::optional<std::string> request_fingerprint;
    std::string created_at;  // filled in by append() when empty
};

// Appends one entry inside the caller's transaction; returns its id.
std::int64_t append(db::Database& db, LedgerEntry entry);

// Appends many entries with one prepared statement (bulk work such as `stripe replay`).
class LedgerWriter {
public:
    explicit LedgerWriter(db::Database& db);
    // Like append(): inside the caller's transaction; returns the new entry's id.
    std::int64_t append(LedgerEntry entry);
    // The same without reading the new id back, which costs a little per entry (the replay);
    // queued as StatementImpl::exec_pipelined, so a failure may come from the next statement.
    void append_without_id(LedgerEntry entry);

private:
    void bind(db::Statement& q, LedgerEntry& entry);

    db::Database& m_db;
    std::optional<db::Statement> m_insert, m_insert_returning_id;  // prepared on first use
    int m_id_column = -1;                                          // of the id m_insert_returning_id returns
};

// Throws Error telling the operator to run `db upgrade` if the tool's tables are missing.
void require_tool_tables(db::Database& db);

}  // namespace quicktools::credits
