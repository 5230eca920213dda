#pragma once
// A connection to the web app's database, on SQLite (a file) or PostgreSQL (a server), behind
// one seam (engine.hpp). It never creates a SQLite file by accident, waits politely for the web
// app's locks, and turns the engine's failures into sentences.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/db/engine.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/error.hpp"

namespace quicktools::db {

enum class Access { read_only, read_write };

struct OpenOptions {
    // A SQLite file's path, or a PostgreSQL connection URI (postgresql://... or postgres://...).
    std::string path;
    int busy_timeout_ms = 5000;
    Access access = Access::read_only;
};

// Whether `target` names a PostgreSQL database (a postgresql:// or postgres:// URI).
bool is_postgres_uri(std::string_view target);

class Database {
public:
    // Opens an existing database. Throws Error if it is missing, unreadable, read-only while
    // write access was asked for, or not a database of its engine.
    static Database open_existing(const OpenOptions& options);
    // Creates a new SQLite database file; throws Error if anything already exists at the path.
    // On PostgreSQL it opens the (existing, empty) database named by the URI.
    static Database create_new(const std::string& path, int busy_timeout_ms);
    // A private in-memory SQLite database (tests and the expected-schema model).
    static Database in_memory();

    explicit Database(std::unique_ptr<Connection> connection);
    ~Database();
    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;

    Engine engine() const { return m_connection->engine(); }
    // The file's path, or the URI without its password: what messages call the database.
    const std::string& path() const { return m_connection->name(); }
    int busy_timeout_ms() const { return m_connection->busy_timeout_ms(); }

    // Runs one or more statements that return no rows.
    void execute(std::string_view sql) { m_connection->execute(sql); }
    // Waits for the outcome of every write sent without waiting (Statement::exec_pipelined) and
    // throws the first failure among them.
    void sync() { m_connection->sync(); }
    // True if a table (or view) of that name exists.
    bool has_table(std::string_view name) { return m_connection->has_table(name); }
    // The column names of a table, in order (empty if there is no such table).
    std::vector<std::string> table_columns(std::string_view table) { return m_connection->table_columns(table); }

    Connection& connection() { return *m_connection; }

private:
    std::unique_ptr<Connection> m_connection;
};

// A write transaction, begun up front (SQLite: BEGIN IMMEDIATE, waiting up to the busy timeout
// for the write lock, so it never fails half-way; PostgreSQL: BEGIN with the lock timeout set).
// Rolls back unless commit() is called.
class WriteTransaction {
public:
    explicit WriteTransaction(Database& db);
    ~WriteTransaction();
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;

    // Once Ctrl-C or SIGTERM has arrived, commit() refuses (Error 130) and the destructor rolls
    // back; a record of what already happened outside the database (Stripe cancelled a
    // subscription) is committed all the same.
    enum class OnSignal { roll_back, commit };
    void commit(OnSignal on_signal = OnSignal::roll_back);
    // Commits what was done so far (as commit()) and goes on in a new write transaction: for
    // bulk work committed in batches.
    void commit_and_continue();

private:
    Database& m_db;
    bool m_open = true;
};

// One read snapshot: every statement until it ends sees the same database. Never commits
// anything (it ends with a rollback); the one type for every read of several statements.
class ReadTransaction {
public:
    explicit ReadTransaction(Database& db);
    ~ReadTransaction();
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;
    // Ends the snapshot early.
    void end();

private:
    Database& m_db;
    bool m_open = true;
};

// Translates a failure into an Error a person can act on, by the engine `target` names (a path
// or a URI, as in OpenOptions). Runs at the catch site too, after the connection is gone.
Error translate(const std::exception& e, const std::string& target, int busy_timeout_ms);

}  // namespace quicktools::db
