#pragma once
// The checking half of `credits import` (internal to src/credits/): reads the header, then
// checks every row against the database and against the rows before it.
#include <string>
#include <unordered_map>

#include "quicktools/credits/import.hpp"
#include "quicktools/credits/trail.hpp"
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
    RowChecker(db::Database& db, Columns columns);
    // Checks one record; appends it to result.rows or its problems to result.errors.
    void check(const util::CsvRecord& record, ImportResult& result);

private:
    struct Counters {
        std::int64_t id = 0;
        std::string email;
        std::int64_t balance = 0;
        std::int64_t used = 0;
    };
    // The user named by id or email (as users::find_user_id names them), with the counters as
    // the rows so far leave them; nullptr if there is no such user.
    Counters* user(const std::string& ref);
    std::optional<Counters> read_counters(SQLite::Statement& query);

    db::Database& m_db;
    Columns m_columns;
    SQLite::Statement m_by_id;
    SQLite::Statement m_by_email;
    KeyLookup m_keys;
    std::unordered_map<std::string, std::int64_t> m_ids;  // user reference -> id (0: no such user)
    std::unordered_map<std::int64_t, Counters> m_counters;
    std::unordered_map<std::string, std::size_t> m_key_rows;   // key -> index in result.rows
};

}  // namespace quicktools::credits::detail
