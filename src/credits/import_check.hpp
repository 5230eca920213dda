#pragma once
// The checking half of `credits import` (internal to src/credits/): reads the header, then
// checks each row against the database and against the rows before it. What it remembers is
// bounded by the database, not by the file: the counters of the users the rows touch, and the
// idempotency keys of the file in a temporary table.
#include <optional>
#include <string>
#include <unordered_map>

#include "quicktools/credits/import.hpp"
#include "quicktools/credits/trail.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/users/users.hpp"
#include "quicktools/util/csv.hpp"

namespace quicktools::credits::detail {

struct Columns {
    int user = -1;
    int action = -1;
    int amount = -1;
    int reason = -1;
    int key = -1;
    std::size_t count = 0;
};

// The column positions from the header record; throws usage_error naming what is wrong.
Columns read_header(const util::CsvRecord& header, const std::string& source_name);

class RowChecker {
public:
    // With RowLocks::yes (a real run, in its write transaction) each user's row is locked when
    // it is first read, so the counters checked are the ones the writes then change.
    enum class RowLocks { no, yes };
    RowChecker(db::Database& db, Columns columns, RowLocks locks);

    // Checks one record: the row as it applies after the rows before it, or nullopt with its
    // problems as one sentence in `problem`.
    std::optional<ImportRow> check(const util::CsvRecord& record, std::string& problem);

private:
    struct Counters {
        std::int64_t id = 0;
        std::string email;
        std::int64_t balance = 0;
        std::int64_t used = 0;
        std::optional<std::string> not_whole;  // a credit column that holds no whole number
    };
    // The counters of a user as the rows so far leave them.
    Counters& counters(std::int64_t id);

    Columns m_columns;
    users::UserResolver m_users;
    db::Statement m_counters_query;
    KeyLookup m_ledger_keys;
    db::Statement m_file_key_find, m_file_key_add;
    std::unordered_map<std::int64_t, Counters> m_counters;
};

}  // namespace quicktools::credits::detail
