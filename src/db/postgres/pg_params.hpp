#pragma once
// Our SQL's parameters (`?`, `?N`, `:name`, numbered as SQLite numbers them) in PostgreSQL's
// `$n` form. A pure function of the text, so it is unit-tested on its own.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quicktools::db::postgres {

struct PgParameterSql {
    std::string text;         // the statement with $1, $2, ... in place of our parameters
    int parameter_count = 0;  // the highest parameter number
    // Each `:name` (with its colon) and its number.
    std::vector<std::pair<std::string, int>> names;
};

// Rewrites `?` (the next number after the highest so far), `?N` (number N) and `:name` (one
// number per distinct name, the next one at its first use), as SQLite numbers them. Leaves
// alone whatever is not a parameter: string literals ('...', E'...'), quoted identifiers
// ("..."), dollar-quoted bodies ($tag$...$tag$), comments (-- and nested /* */), `::` casts and
// `$n` already written for PostgreSQL.
PgParameterSql pg_translate_parameters(std::string_view sql);

}  // namespace quicktools::db::postgres
