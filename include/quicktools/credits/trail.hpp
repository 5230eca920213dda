#pragma once
// Reading the ledger back: one user's trail, and the entry holding an idempotency key.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/users/users.hpp"

namespace quicktools::credits {

// A ledger row as stored: the entry and the id the ledger gave it.
struct StoredEntry : LedgerEntry {
    std::int64_t id = 0;
};

// The entry that holds this idempotency key, or nullopt.
std::optional<StoredEntry> find_by_key(db::Database& db, std::string_view key);

// find_by_key for many keys, with one prepared statement.
class KeyLookup {
public:
    explicit KeyLookup(db::Database& db);
    std::optional<StoredEntry> find(std::string_view key);

private:
    db::Statement m_query;
};

// A user's entries, oldest first; with limit > 0 only the newest `limit` of them.
std::vector<StoredEntry> entries_of_user(db::Database& db, std::int64_t user_id, std::int64_t limit);

// How many entries the user has in all.
std::int64_t count_entries(db::Database& db, std::int64_t user_id);

struct History {
    users::User user;
    std::vector<StoredEntry> entries;  // oldest first
    std::int64_t total_entries = 0;    // all of the user's entries, also those past the limit
};

// The trail of the user named by id or email (`credits history`). Throws Error for an unknown
// user (exit 1) or missing tool tables (exit 4).
History history(db::Database& db, const std::string& user, std::int64_t limit);

}  // namespace quicktools::credits
