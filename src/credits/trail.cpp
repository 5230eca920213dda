#include "quicktools/credits/trail.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/sql_files.hpp"

namespace quicktools::credits {
namespace {

std::optional<std::string> optional_text(const SQLite::Column& c) {
    if (c.isNull()) return std::nullopt;
    return c.getString();
}

StoredEntry read_entry(SQLite::Statement& q) {
    StoredEntry e;
    e.id = q.getColumn(0).getInt64();
    e.user_id = q.getColumn(1).getInt64();
    e.kind = q.getColumn(2).getString();
    e.amount = q.getColumn(3).getInt64();
    e.balance_delta = q.getColumn(4).getInt64();
    e.purchased_delta = q.getColumn(5).getInt64();
    e.used_delta = q.getColumn(6).getInt64();
    e.balance_after = q.getColumn(7).getInt64();
    e.reason = q.getColumn(8).getString();
    e.actor = q.getColumn(9).getString();
    e.source = q.getColumn(10).getString();
    e.idempotency_key = optional_text(q.getColumn(11));
    e.request_fingerprint = optional_text(q.getColumn(12));
    e.created_at = q.getColumn(13).getString();
    return e;
}

}  // namespace

std::optional<StoredEntry> find_by_key(db::Database& db, std::string_view key) { return KeyLookup(db).find(key); }

KeyLookup::KeyLookup(db::Database& db) : m_query(db.sql(), sql::query("credits", "entry_by_key")) {}

std::optional<StoredEntry> KeyLookup::find(std::string_view key) {
    m_query.reset();
    m_query.bind(1, std::string(key));
    if (!m_query.executeStep()) return std::nullopt;
    return read_entry(m_query);
}

std::vector<StoredEntry> entries_of_user(db::Database& db, std::int64_t user_id, std::int64_t limit) {
    SQLite::Statement q(db.sql(), sql::query("credits", "entries_of_user"));
    q.bind(1, user_id);
    q.bind(2, limit > 0 ? limit : std::int64_t{-1});
    std::vector<StoredEntry> out;
    while (q.executeStep()) out.push_back(read_entry(q));
    return out;
}

std::int64_t count_entries(db::Database& db, std::int64_t user_id) {
    SQLite::Statement q(db.sql(), sql::query("credits", "count_of_user"));
    q.bind(1, user_id);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

History history(db::Database& db, const std::string& user, std::int64_t limit) {
    require_tool_tables(db);
    SQLite::Transaction snapshot(db.sql());
    History h;
    h.user = users::load_user(db, users::resolve_user(db, user));
    h.entries = entries_of_user(db, h.user.id, limit);
    h.total_entries = count_entries(db, h.user.id);
    return h;
}

}  // namespace quicktools::credits
