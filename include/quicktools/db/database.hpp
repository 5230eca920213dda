#pragma once
// A connection to quicktools.db that never creates a file by accident, waits politely for
// the web app's locks, and turns SQLite's failures into sentences.
#include <SQLiteCpp/Database.h>

#include <memory>
#include <string>

#include "quicktools/error.hpp"

namespace quicktools::db {

enum class Access { read_only, read_write };

struct OpenOptions {
    std::string path;
    int busy_timeout_ms = 5000;
    Access access = Access::read_only;
};

class Database {
public:
    // Opens an existing database file. Throws Error if it is missing, unreadable, read-only
    // while write access was asked for, or not a SQLite database.
    static Database open_existing(const OpenOptions& options);
    // Creates a new database file; throws Error if anything already exists at the path.
    static Database create_new(const std::string& path, int busy_timeout_ms);
    // A private in-memory database (tests and the expected-schema model).
    static Database in_memory();

    ~Database();
    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;

    SQLite::Database& sql() { return *m_db; }
    const std::string& path() const { return m_path; }
    int busy_timeout_ms() const { return m_busy_timeout_ms; }

    // True if a table (or view) of that name exists.
    bool has_table(const std::string& name);

    struct BusyWait;  // the state of the busy handler (see database.cpp)

private:
    Database(std::unique_ptr<SQLite::Database> db, std::string path, int busy_timeout_ms);
    std::unique_ptr<BusyWait> m_busy;
    std::unique_ptr<SQLite::Database> m_db;
    std::string m_path;
    int m_busy_timeout_ms;
};

// A write transaction begun with BEGIN IMMEDIATE, so the write lock is taken up front (waiting
// up to the busy timeout) instead of failing half-way. Rolls back unless commit() is called.
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

private:
    Database& m_db;
    bool m_open = true;
};

// Translates a SQLite failure into an Error a person can act on.
Error translate(const std::exception& e, const std::string& path, int busy_timeout_ms);

}  // namespace quicktools::db
