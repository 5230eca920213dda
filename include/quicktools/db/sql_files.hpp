#pragma once
// The SQL files of sql/, embedded in the binary at build time (cmake/EmbedSqlScript.cmake).
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/db/engine.hpp"

namespace quicktools::sql {

struct EmbeddedFile {
    std::string_view path;  // relative to sql/, e.g. "migrations/002_credit_pack_columns.sql"
    std::string_view text;
};

// Every embedded file, sorted by path.
const std::vector<EmbeddedFile>& embedded_files();

// The text of one embedded file; throws std::logic_error if there is none (a programming error).
std::string_view file(std::string_view path);

// One named statement of sql/queries/FILE.sql, where each statement follows a
// `-- name: NAME` line. Throws std::logic_error for an unknown file or name.
const std::string& query(std::string_view file, std::string_view name);

// The engine's text of that statement: NAME from sql/ENGINE/queries/FILE.sql if that file has
// it (sql/sqlite/, sql/postgres/), else the shared one of sql/queries/FILE.sql.
const std::string& query(db::Engine engine, std::string_view file, std::string_view name);

}  // namespace quicktools::sql
