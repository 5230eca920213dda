#pragma once
// The value of a one-value query, for tests: the first column of its first row (throws
// std::logic_error when there is no row).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "quicktools/db/database.hpp"
#include "quicktools/db/statement.hpp"

namespace quicktools::test {

inline std::int64_t value_int64(db::Database& database, std::string_view sql) {
    db::Statement q(database, sql);
    if (!q.step()) throw std::logic_error("no row from: " + std::string(sql));
    return q.column(0).int64();
}

inline std::string value_text(db::Database& database, std::string_view sql) {
    db::Statement q(database, sql);
    if (!q.step()) throw std::logic_error("no row from: " + std::string(sql));
    return q.column(0).text();
}

}  // namespace quicktools::test
