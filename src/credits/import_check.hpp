#pragma once
// The checking half of `credits import` (internal to src/credits/): reads the header, then
// checks every row against the database and against the rows before it.
#include <string>
#include <unordered_map>

#include "quicktools/credits/import.hpp"
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
    RowChecker(db::Database& db, Columns columns) : m_db(db), m_columns(columns) {}
    // Checks one record; appends it to result.rows or its problems to result.errors.
    void check(const util::CsvRecord& record, ImportResult& result);

private:
    struct Counters {
        std::string email;
        std::int64_t balance = 0;
        std::int64_t used = 0;
    };
    std::optional<std::int64_t> user_id(const std::string& ref);
    Counters& counters(std::int64_t user_id);

    db::Database& m_db;
    Columns m_columns;
    std::unordered_map<std::string, std::optional<std::int64_t>> m_ids;
    std::unordered_map<std::int64_t, Counters> m_counters;      // as the rows so far leave them
    std::unordered_map<std::string, std::size_t> m_key_rows;   // key -> index in result.rows
};

}  // namespace quicktools::credits::detail
