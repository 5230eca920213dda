#pragma once
// Token-level editing of SQLite DDL: reading the identifiers a statement names, and removing
// columns (with the constraints that name them) from a CREATE TABLE so that the result reads
// as if written by hand. Pure text work; never touches a database.
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace quicktools::db::ddl {

enum class TokenKind { space, comment, word, quoted, string, number, punct };

struct Token {
    TokenKind kind = TokenKind::space;
    std::size_t begin = 0;
    std::size_t end = 0;
};

// Splits SQL into tokens, keeping whitespace and comments so the text can be rebuilt exactly.
// Understands 'strings', "ids", [ids], `ids`, -- and /* */ comments; never throws.
std::vector<Token> tokenize(std::string_view sql);

// The name an identifier token stands for: unquoted, doubled quotes undone, lower-cased
// (SQLite compares identifiers case-insensitively). Empty for tokens that are not names.
std::string identifier(std::string_view sql, const Token& token);

// The first of `names` (lower-case) that `sql` uses as an identifier, or "" when none: a
// name inside a string literal or a comment does not count.
std::string first_name_used(std::string_view sql, const std::set<std::string>& names);

// `name` as SQL: bare when it is a plain word that is no keyword, else "double-quoted".
std::string quote_identifier(std::string_view name);

struct TableRewrite {
    std::string sql;                               // the new CREATE TABLE statement
    std::vector<std::string> removed_columns;      // as named in the DDL
    std::vector<std::string> removed_constraints;  // the text of each CHECK/UNIQUE/... removed
};

// Rewrites a CREATE TABLE statement without the columns in `columns` (lower-case names) and
// without every table or column constraint that names one of them; the table is renamed to
// `new_name`. Everything else (types, defaults, comments, layout) is kept as written.
// Throws quicktools::Error when the text is not a CREATE TABLE with a column list.
TableRewrite drop_columns(std::string_view create_sql, const std::set<std::string>& columns, std::string_view new_name);

}  // namespace quicktools::db::ddl
