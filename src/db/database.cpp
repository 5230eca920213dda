#include "quicktools/db/database.hpp"

#include <fmt/format.h>

#include "quicktools/db/engines.hpp"
#include "quicktools/util/interrupt.hpp"

namespace quicktools::db {

bool is_postgres_uri(std::string_view target) {
    return target.rfind("postgresql://", 0) == 0 || target.rfind("postgres://", 0) == 0;
}

Database::Database(std::unique_ptr<Connection> connection) : m_connection(std::move(connection)) {}
Database::~Database() = default;
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

Database Database::open_existing(const OpenOptions& options) {
    return Database(is_postgres_uri(options.path) ? open_postgres(options) : open_sqlite(options));
}

Database Database::create_new(const std::string& path, int busy_timeout_ms) {
    if (is_postgres_uri(path)) {
        // A server database exists before `db init`; it must not hold the web app's tables yet.
        Database db(open_postgres({path, busy_timeout_ms, Access::read_write}));
        if (db.has_table("users") || db.has_table("quicktools_schema_history"))
            throw refusal(
                fmt::format("{} already has the web app's tables; `db init` only initialises an empty "
                            "database",
                            db.path()));
        return db;
    }
    return Database(create_sqlite(path, busy_timeout_ms));
}

Database Database::in_memory() { return Database(open_sqlite_in_memory()); }

Statement::Statement(Database& db, std::string_view sql) : m_impl(db.connection().prepare(sql)) {}

WriteTransaction::WriteTransaction(Database& db) : m_db(db) {
    try {
        m_db.connection().begin(TransactionKind::write);
    } catch (const EngineError& e) {
        throw translate(e, m_db.path(), m_db.busy_timeout_ms());
    }
}

WriteTransaction::~WriteTransaction() {
    if (m_open) m_db.connection().rollback();
}

void WriteTransaction::commit(OnSignal on_signal) {
    // A signal that came between statements is not seen by the engine; it still means "stop".
    if (on_signal == OnSignal::roll_back) util::throw_if_interrupted();
    try {
        m_db.connection().commit();
        m_open = false;
    } catch (const EngineError& e) {
        throw translate(e, m_db.path(), m_db.busy_timeout_ms());
    }
}

void WriteTransaction::commit_and_continue() {
    commit();
    try {
        m_db.connection().begin(TransactionKind::write);
        m_open = true;
    } catch (const EngineError& e) {
        throw translate(e, m_db.path(), m_db.busy_timeout_ms());
    }
}

ReadTransaction::ReadTransaction(Database& db) : m_db(db) {
    try {
        m_db.connection().begin(TransactionKind::read);
    } catch (const EngineError& e) {
        throw translate(e, m_db.path(), m_db.busy_timeout_ms());
    }
}

ReadTransaction::~ReadTransaction() { end(); }

void ReadTransaction::end() {
    if (!m_open) return;
    m_open = false;
    m_db.connection().rollback();
}

Error translate(const std::exception& e, const std::string& target, int busy_timeout_ms) {
    if (util::interrupted())
        return Error(ExitCode::interrupted, "interrupted: the transaction was rolled back, nothing changed");
    if (is_postgres_uri(target)) return translate_postgres(e, target, busy_timeout_ms);
    return translate_sqlite(e, target, busy_timeout_ms);
}

}  // namespace quicktools::db
