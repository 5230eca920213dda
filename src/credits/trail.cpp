#include "quicktools/credits/trail.hpp"

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/db/sql_files.hpp"

namespace quicktools::credits {
namespace {

StoredEntry read_entry(db::Statement& q) {
    StoredEntry e;
    e.id = q.column("id").int64();
    e.user_id = q.column("user_id").int64();
    e.kind = q.column("kind").text();
    e.amount = q.column("amount").int64();
    e.balance_delta = q.column("balance_delta").int64();
    e.purchased_delta = q.column("purchased_delta").int64();
    e.used_delta = q.column("used_delta").int64();
    e.balance_after = q.column("balance_after").int64();
    e.reason = q.column("reason").text();
    e.actor = q.column("actor").text();
    e.source = q.column("source").text();
    e.idempotency_key = q.column("idempotency_key").optional_text();
    e.request_fingerprint = q.column("request_fingerprint").optional_text();
    e.created_at = q.column("created_at").text();
    return e;
}

}  // namespace

std::optional<StoredEntry> find_by_key(db::Database& db, std::string_view key) { return KeyLookup(db).find(key); }

KeyLookup::KeyLookup(db::Database& db) : m_query(db, sql::query(db.engine(), "credits", "entry_by_key")) {}

std::optional<StoredEntry> KeyLookup::find(std::string_view key) {
    m_query.reset();
    m_query.bind(1, std::string(key));
    if (!m_query.step()) return std::nullopt;
    return read_entry(m_query);
}

std::vector<StoredEntry> entries_of_user(db::Database& db, std::int64_t user_id, std::int64_t limit) {
    db::Statement q(db, sql::query(db.engine(), "credits", "entries_of_user"));
    q.bind(1, user_id);
    q.bind(2, limit > 0 ? limit : std::int64_t{-1});
    std::vector<StoredEntry> out;
    while (q.step()) out.push_back(read_entry(q));
    return out;
}

std::int64_t count_entries(db::Database& db, std::int64_t user_id) {
    db::Statement q(db, sql::query(db.engine(), "credits", "count_of_user"));
    q.bind(1, user_id);
    q.step();
    return q.column("entries").int64();
}

History history(db::Database& db, const std::string& user, std::int64_t limit) {
    require_tool_tables(db);
    db::ReadTransaction snapshot(db);
    History h;
    h.user = users::load_user(db, users::resolve_user(db, user));
    h.entries = entries_of_user(db, h.user.id, limit);
    h.total_entries = count_entries(db, h.user.id);
    return h;
}

}  // namespace quicktools::credits
