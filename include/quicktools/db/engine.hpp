#pragma once
// The database-engine seam. Everything outside src/db/sqlite/ and src/db/postgres/ reaches the
// database through these interfaces (by way of db::Database and db::Statement, which hold them),
// so a command or a rule never knows which engine it runs on. An engine implements:
//
//   StatementImpl  one prepared statement: bind (1-based, or by :name), step, columns by index
//                  or by name, reset;
//   Connection     prepare, run a script, transactions (read / write, with the busy or lock
//                  timeout) and introspection.
//
// The translation of the engine's failures (EngineError) into sentences is db::translate
// (database.hpp). Engine-specific operations (online backup, the table rewrite behind `db
// drop-deprecated`, SQL functions) live in the engine's folder (src/db/sqlite/) and refuse
// another engine with an Error.
//
// SQL text: statements are written once, with `?`, `?N` or `:name` parameters, in sql/queries/;
// where engines need different text, sql/sqlite/queries/ and sql/postgres/queries/ hold the
// variant of the same name (sql::query picks the engine's variant, else the shared text). Each
// engine has its own migrations, of the same versions and names: sql/ENGINE/migrations/.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/error.hpp"

namespace quicktools::db {

enum class Engine { sqlite, postgres };

// "sqlite" or "postgres" (also the name of the engine's folder under sql/).
inline std::string_view to_string(Engine engine) { return engine == Engine::sqlite ? "sqlite" : "postgres"; }

// A failure as the engine reported it (a statement, a connection, a transaction). Every engine
// throws this type or one derived from it; db::translate (database.hpp) turns it into an Error.
class EngineError : public std::runtime_error {
public:
    EngineError(Engine engine, int code, const std::string& message)
        : std::runtime_error(message), m_engine(engine), m_code(code) {}
    Engine engine() const noexcept { return m_engine; }
    // The engine's own code: SQLite's primary result code (SQLITE_BUSY, ...); 0 where the engine
    // has none (PostgreSQL's SQLSTATE is on its derived type).
    int code() const noexcept { return m_code; }

private:
    Engine m_engine;
    int m_code;
};

// The kind of a column's value in the current row.
enum class ColumnType { integer, real, text, blob, null };

class StatementImpl {
public:
    virtual ~StatementImpl() = default;

    // Parameters are numbered from 1.
    virtual void bind_int64(int index, std::int64_t value) = 0;
    virtual void bind_double(int index, double value) = 0;
    virtual void bind_text(int index, std::string_view value) = 0;
    virtual void bind_null(int index) = 0;
    // The number of the parameter written `:name` (name given with its colon); throws
    // std::logic_error for a name the statement does not have (a programming error).
    virtual int parameter_index(std::string_view name) = 0;

    // Runs the statement on its first call after prepare or reset, then moves to the next row:
    // true while there is a row; after the last row, false until reset(). Throws EngineError
    // (db::translate turns it into an Error).
    virtual bool step() = 0;
    // Runs a statement whose result is not read (no rows, no changes()). An engine may send it
    // without waiting for its outcome -- PostgreSQL queues it in a pipeline, so a run of such
    // writes costs one round trip -- and then reports its failure from the next statement or
    // commit on the connection, in the same transaction. Leaves the statement ready to run again.
    virtual void exec_pipelined() {
        while (step()) {
        }
        reset();
    }
    // Ready to run again with the same bindings.
    virtual void reset() = 0;
    // Rows changed by the last completed run of an INSERT, UPDATE or DELETE.
    virtual std::int64_t changes() = 0;

    virtual int column_count() = 0;
    // The index of the result column of that name; throws std::logic_error if there is none.
    virtual int column_index(std::string_view name) = 0;
    virtual std::string column_name(int index) = 0;
    virtual ColumnType column_type(int index) = 0;
    virtual std::int64_t column_int64(int index) = 0;
    virtual double column_double(int index) = 0;
    virtual std::string column_text(int index) = 0;
};

enum class TransactionKind {
    read,   // one snapshot for every statement until it ends; writes nothing
    write,  // takes the write lock (SQLite) or begins a read-write transaction (PostgreSQL) up front
};

class Connection {
public:
    virtual ~Connection() = default;

    virtual Engine engine() const = 0;
    // What to call the database in a message: the SQLite file's path, or the PostgreSQL URI
    // without its password.
    virtual const std::string& name() const = 0;
    // How long a statement waits for another connection's lock before failing.
    virtual int busy_timeout_ms() const = 0;

    virtual std::unique_ptr<StatementImpl> prepare(std::string_view sql) = 0;
    // Runs one or more statements that return no rows.
    virtual void execute(std::string_view sql) = 0;
    // Waits for the outcome of every statement sent without waiting (StatementImpl::
    // exec_pipelined) and throws the first failure; an engine that never defers has none.
    virtual void sync() {}

    virtual void begin(TransactionKind kind) = 0;
    virtual void commit() = 0;
    virtual void rollback() noexcept = 0;
    virtual bool in_transaction() = 0;

    // True if a table or view of that name exists.
    virtual bool has_table(std::string_view name) = 0;
    // The column names of a table, in order (empty if there is no such table).
    virtual std::vector<std::string> table_columns(std::string_view table) = 0;
};

}  // namespace quicktools::db
