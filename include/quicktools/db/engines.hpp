#pragma once
// The engines' entry points, which db::Database and db::translate dispatch to by the target (a
// SQLite file's path, or a postgresql:// URI). Each is defined in its engine's folder:
// src/db/sqlite/ and src/db/postgres/.
#include <exception>
#include <memory>
#include <string>

#include "quicktools/db/database.hpp"
#include "quicktools/db/engine.hpp"
#include "quicktools/error.hpp"

namespace quicktools::db {

// SQLite (src/db/sqlite/): an existing file; a new file (refused if anything is at the path);
// a private in-memory database.
std::unique_ptr<Connection> open_sqlite(const OpenOptions& options);
std::unique_ptr<Connection> create_sqlite(const std::string& path, int busy_timeout_ms);
std::unique_ptr<Connection> open_sqlite_in_memory();
Error translate_sqlite(const std::exception& e, const std::string& path, int busy_timeout_ms);

// PostgreSQL (src/db/postgres/): the database `options.path` (a URI) names; throws Error if it
// cannot be reached or is read-only while write access was asked for.
std::unique_ptr<Connection> open_postgres(const OpenOptions& options);
// A second connection to the database of `live` (a PostgreSQL connection), inside a transaction
// that never commits, whose current schema is a new, empty one: `db verify` builds the schema
// the migrations make there, as it does in an in-memory database on SQLite.
std::unique_ptr<Connection> open_postgres_scratch(Connection& live);
// `target` is the URI (without its password, as Connection::name() gives it).
Error translate_postgres(const std::exception& e, const std::string& target, int busy_timeout_ms);

}  // namespace quicktools::db
