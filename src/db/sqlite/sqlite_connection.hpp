#pragma once
// The SQLite engine (internal to src/db/): a Connection and its statements over SQLite's C API.
// Code outside src/db/sqlite/ reaches SQLite-only operations through the functions of this
// folder, which refuse another engine with a clear Error.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/db/engine.hpp"
#include "quicktools/util/interrupt.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace quicktools::db::sqlite {

// A SQLite failure: code() is the primary result code (SQLITE_BUSY, ...), extended_code() the
// extended one; what() is SQLite's message.
class SqliteError : public EngineError {
public:
    SqliteError(int code, int extended_code, const std::string& message)
        : EngineError(Engine::sqlite, code, message), m_extended_code(extended_code) {}
    int extended_code() const noexcept { return m_extended_code; }

private:
    int m_extended_code;
};

class SqliteStatement final : public StatementImpl {
public:
    SqliteStatement(sqlite3* connection, sqlite3_stmt* statement) : m_connection(connection), m_statement(statement) {}
    ~SqliteStatement() override;
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    void bind_int64(int index, std::int64_t value) override;
    void bind_double(int index, double value) override;
    void bind_text(int index, std::string_view value) override;
    void bind_null(int index) override;
    int parameter_index(std::string_view name) override;

    bool step() override;
    void reset() override;
    std::int64_t changes() override { return m_changes; }

    int column_count() override;
    int column_index(std::string_view name) override;
    std::string column_name(int index) override;
    ColumnType column_type(int index) override;
    std::int64_t column_int64(int index) override;
    double column_double(int index) override;
    std::string column_text(int index) override;

    sqlite3_stmt* handle() { return m_statement; }

private:
    void check_column(int index);

    sqlite3* m_connection;
    sqlite3_stmt* m_statement;
    bool m_done = false;
    std::int64_t m_changes = 0;
    int m_column_count = -1;                  // read once
    std::vector<std::string> m_column_names;  // filled by the first lookup by name
};

class SqliteConnection final : public Connection, public util::Interruptible {
public:
    // Takes ownership of an open handle and installs the busy handler.
    SqliteConnection(sqlite3* handle, std::string path, int busy_timeout_ms);
    ~SqliteConnection() override;
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    Engine engine() const override { return Engine::sqlite; }
    const std::string& name() const override { return m_path; }
    int busy_timeout_ms() const override { return m_busy.timeout_ms; }

    std::unique_ptr<StatementImpl> prepare(std::string_view sql) override;
    void execute(std::string_view sql) override;

    void begin(TransactionKind kind) override;
    void commit() override;
    void rollback() noexcept override;
    bool in_transaction() override;

    bool has_table(std::string_view name) override;
    std::vector<std::string> table_columns(std::string_view table) override;

    // Signal handler side (util::Interruptible).
    void interrupt() noexcept override;

    // SQLite only.
    sqlite3* handle() { return m_handle; }
    // Whether this connection holds the write lock (a write transaction that has begun).
    bool holds_write_lock();
    // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    std::int64_t last_changes();
    // Throws SqliteError for the connection's last failure, with result code `rc`.
    [[noreturn]] void fail(int rc);

    // The state of the busy handler (sqlite_connection.cpp).
    struct BusyWait {
        int timeout_ms = 0;
        sqlite3* connection = nullptr;
        std::chrono::steady_clock::time_point started;
    };

private:
    sqlite3* m_handle;
    std::string m_path;
    BusyWait m_busy;
};

// Opens a connection (SQLITE_OPEN_* flags), busy handler installed; throws SqliteError. No
// checks, no pragmas: db::open_sqlite and create_sqlite (engines.hpp) are the commands' way in.
std::unique_ptr<SqliteConnection> open_connection(const std::string& path, int flags, int busy_timeout_ms);

// Whom the last busy wait that ran out was for. A connection that holds the write lock and
// still has to wait is waiting for readers (in rollback-journal mode a commit needs every reader
// gone); one without it waits for another writer.
enum class Waited { nobody, writer, readers };
// The last one, forgotten once read (by translate).
Waited take_last_wait();

// The SQLite connection under `db`; refuses another engine with Error("WHAT works only on a
// SQLite database; DB is ENGINE").
SqliteConnection& connection_of(Database& db, std::string_view what);

}  // namespace quicktools::db::sqlite
