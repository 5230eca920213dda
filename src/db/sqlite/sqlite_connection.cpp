#include "sqlite_connection.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>

#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/interrupt.hpp"

namespace quicktools::db::sqlite {
namespace {

// Process-wide, like the interrupt flag: translate() runs at the catch site, after the
// connection is gone.
std::atomic<Waited> g_sqlite_last_wait{Waited::nobody};

void note_wait_ran_out(Waited whom) { g_sqlite_last_wait = whom; }

// Like SQLite's own busy timeout, but it also gives up at once on Ctrl-C, so an operator who
// stops a waiting command is not kept waiting for the rest of the timeout.
int sqlite_busy_handler(void* self, int attempt) {
    auto* wait = static_cast<SqliteConnection::BusyWait*>(self);
    const auto now = std::chrono::steady_clock::now();
    if (attempt == 0) wait->started = now;
    if (util::interrupted()) return 0;
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - wait->started).count();
    if (waited >= wait->timeout_ms) {
        note_wait_ran_out(sqlite3_txn_state(wait->connection, "main") == SQLITE_TXN_WRITE ? Waited::readers
                                                                                          : Waited::writer);
        return 0;
    }
    const auto step = std::min<long long>(attempt < 5 ? 2 : 20, wait->timeout_ms - waited);
    std::this_thread::sleep_for(std::chrono::milliseconds(step));
    return 1;
}

[[noreturn]] void sqlite_throw(sqlite3* connection, int rc) {
    throw SqliteError(rc & 0xFF, sqlite3_extended_errcode(connection), sqlite3_errmsg(connection));
}

}  // namespace

// ---- statements ----

SqliteStatement::~SqliteStatement() { sqlite3_finalize(m_statement); }

void SqliteStatement::bind_int64(int index, std::int64_t value) {
    if (const int rc = sqlite3_bind_int64(m_statement, index, value); rc != SQLITE_OK) sqlite_throw(m_connection, rc);
}

void SqliteStatement::bind_double(int index, double value) {
    if (const int rc = sqlite3_bind_double(m_statement, index, value); rc != SQLITE_OK) sqlite_throw(m_connection, rc);
}

void SqliteStatement::bind_text(int index, std::string_view value) {
    // A view's data may be nullptr (an empty view): that would bind NULL, not ''.
    const char* data = value.data() != nullptr ? value.data() : "";
    if (const int rc = sqlite3_bind_text64(m_statement, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        rc != SQLITE_OK)
        sqlite_throw(m_connection, rc);
}

void SqliteStatement::bind_null(int index) {
    if (const int rc = sqlite3_bind_null(m_statement, index); rc != SQLITE_OK) sqlite_throw(m_connection, rc);
}

int SqliteStatement::parameter_index(std::string_view name) {
    const int index = sqlite3_bind_parameter_index(m_statement, std::string(name).c_str());
    if (index == 0) throw std::logic_error(fmt::format("no parameter {} in: {}", name, sqlite3_sql(m_statement)));
    return index;
}

bool SqliteStatement::step() {
    if (m_done) return false;
    const int rc = sqlite3_step(m_statement);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
        m_done = true;
        m_changes = sqlite3_changes64(m_connection);
        return false;
    }
    sqlite_throw(m_connection, rc);
}

void SqliteStatement::reset() {
    m_done = false;
    // The error of the last step (if any) was thrown by step(); the reset itself cannot fail.
    sqlite3_reset(m_statement);
}

int SqliteStatement::column_count() {
    if (m_column_count < 0) m_column_count = sqlite3_column_count(m_statement);
    return m_column_count;
}

void SqliteStatement::check_column(int index) {
    if (index < 0 || index >= column_count())
        throw std::logic_error(fmt::format("no column {} in: {}", index, sqlite3_sql(m_statement)));
}

int SqliteStatement::column_index(std::string_view name) {
    if (m_column_names.empty()) {
        const int count = column_count();
        m_column_names.reserve(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) m_column_names.emplace_back(sqlite3_column_name(m_statement, i));
    }
    for (std::size_t i = 0; i < m_column_names.size(); ++i)
        if (m_column_names[i] == name) return static_cast<int>(i);
    throw std::logic_error(fmt::format("no column {} in: {}", name, sqlite3_sql(m_statement)));
}

std::string SqliteStatement::column_name(int index) {
    check_column(index);
    return sqlite3_column_name(m_statement, index);
}

ColumnType SqliteStatement::column_type(int index) {
    check_column(index);
    switch (sqlite3_column_type(m_statement, index)) {
        case SQLITE_INTEGER: return ColumnType::integer;
        case SQLITE_FLOAT: return ColumnType::real;
        case SQLITE_TEXT: return ColumnType::text;
        case SQLITE_BLOB: return ColumnType::blob;
        default: return ColumnType::null;
    }
}

std::int64_t SqliteStatement::column_int64(int index) {
    check_column(index);
    return sqlite3_column_int64(m_statement, index);
}

double SqliteStatement::column_double(int index) {
    check_column(index);
    return sqlite3_column_double(m_statement, index);
}

std::string SqliteStatement::column_text(int index) {
    check_column(index);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, index));
    if (text == nullptr) return {};
    return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(m_statement, index)));
}

// ---- the connection ----

SqliteConnection::SqliteConnection(sqlite3* handle, std::string path, int busy_timeout_ms)
    : m_handle(handle), m_path(std::move(path)) {
    m_busy.timeout_ms = busy_timeout_ms;
    m_busy.connection = m_handle;
    sqlite3_busy_handler(m_handle, &sqlite_busy_handler, &m_busy);
}

SqliteConnection::~SqliteConnection() {
    util::clear_interruptible(this);
    // v2: statements still open (none should be) keep the connection until they are finalized.
    sqlite3_close_v2(m_handle);
}

Waited take_last_wait() { return g_sqlite_last_wait.exchange(Waited::nobody); }

void SqliteConnection::fail(int rc) { sqlite_throw(m_handle, rc); }

std::unique_ptr<StatementImpl> SqliteConnection::prepare(std::string_view sql) {
    sqlite3_stmt* statement = nullptr;
    const int rc = sqlite3_prepare_v2(m_handle, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(statement);
        fail(rc);
    }
    if (statement == nullptr) throw std::logic_error(fmt::format("no SQL statement in: {}", sql));
    return std::make_unique<SqliteStatement>(m_handle, statement);
}

void SqliteConnection::execute(std::string_view sql) {
    const std::string text(sql);  // sqlite3_exec wants a terminated string
    if (const int rc = sqlite3_exec(m_handle, text.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) fail(rc);
}

void SqliteConnection::begin(TransactionKind kind) {
    // IMMEDIATE takes the write lock up front (waiting up to the busy timeout) instead of failing
    // half-way; a deferred BEGIN takes its snapshot at the first read and keeps it until the end.
    execute(kind == TransactionKind::write ? "BEGIN IMMEDIATE" : "BEGIN");
}

void SqliteConnection::commit() { execute("COMMIT"); }

void SqliteConnection::rollback() noexcept {
    // Nothing more can be done if this fails: SQLite rolls back an open transaction when the
    // connection closes.
    if (sqlite3_get_autocommit(m_handle) == 0) sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
}

bool SqliteConnection::in_transaction() { return sqlite3_get_autocommit(m_handle) == 0; }

bool SqliteConnection::has_table(std::string_view name) {
    auto statement = prepare(sql::query(Engine::sqlite, "introspect", "has_table"));
    statement->bind_text(1, name);
    return statement->step();
}

std::vector<std::string> SqliteConnection::table_columns(std::string_view table) {
    auto statement = prepare(sql::query(Engine::sqlite, "introspect", "table_info"));
    statement->bind_text(1, table);
    std::vector<std::string> out;
    const int name = statement->column_index("name");
    while (statement->step()) out.push_back(statement->column_text(name));
    return out;
}

void SqliteConnection::interrupt() noexcept { sqlite3_interrupt(m_handle); }

bool SqliteConnection::holds_write_lock() { return sqlite3_txn_state(m_handle, "main") == SQLITE_TXN_WRITE; }

std::int64_t SqliteConnection::last_changes() { return sqlite3_changes64(m_handle); }

SqliteConnection& connection_of(Database& db, std::string_view what) {
    if (auto* connection = dynamic_cast<SqliteConnection*>(&db.connection())) return *connection;
    throw Error(fmt::format("{} works only on a SQLite database; {} is a {} database", what, db.path(),
                            db.engine() == Engine::postgres ? "PostgreSQL" : "different"));
}

}  // namespace quicktools::db::sqlite
