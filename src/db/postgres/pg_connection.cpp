#include "pg_connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "pg_params.hpp"

namespace quicktools::db::postgres {
namespace {

// Type OIDs of pg_type (catalog/pg_type.dat), fixed since PostgreSQL 7.
constexpr Oid pg_oid_bool = 16;
constexpr Oid pg_oid_bytea = 17;
constexpr Oid pg_oid_int8 = 20;
constexpr Oid pg_oid_int2 = 21;
constexpr Oid pg_oid_int4 = 23;
constexpr Oid pg_oid_oid = 26;
constexpr Oid pg_oid_float4 = 700;
constexpr Oid pg_oid_float8 = 701;
constexpr Oid pg_oid_numeric = 1700;

// Where the password of a URI is: [begin, end) of userinfo's password, empty if none.
std::pair<std::size_t, std::size_t> pg_userinfo_password(std::string_view uri) {
    const std::size_t scheme = uri.find("://");
    if (scheme == std::string_view::npos) return {0, 0};
    const std::size_t start = scheme + 3;
    std::size_t i = start;
    while (i < uri.size() && uri[i] != '@' && uri[i] != '/') ++i;  // as libpq looks for the userinfo
    if (i >= uri.size() || uri[i] != '@') return {0, 0};
    const std::size_t colon = uri.find(':', start);
    if (colon == std::string_view::npos || colon > i) return {0, 0};
    return {colon, i};  // from the colon on, so the redacted form drops ":password"
}

// The values of password= parameters in the query part.
std::vector<std::string> pg_query_passwords(std::string_view uri) {
    std::vector<std::string> out;
    const std::size_t q = uri.find('?');
    if (q == std::string_view::npos) return out;
    std::size_t i = q + 1;
    while (i <= uri.size()) {
        std::size_t end = uri.find('&', i);
        if (end == std::string_view::npos) end = uri.size();
        const std::string_view param = uri.substr(i, end - i);
        if (param.rfind("password=", 0) == 0) out.emplace_back(param.substr(9));
        i = end + 1;
    }
    return out;
}

std::string pg_percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

void pg_replace_all(std::string& text, std::string_view what, std::string_view with) {
    if (what.empty()) return;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
        text.replace(at, what.size(), with);
}

// libpq's messages on one line: "FATAL:  x\n\tHint" -> "FATAL: x; Hint".
std::string pg_one_line(std::string_view message) {
    std::string out;
    bool space = false;
    bool newline = false;
    for (char c : message) {
        if (c == '\n') {
            newline = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            space = true;
            continue;
        }
        if (!out.empty()) {
            if (newline)
                out += "; ";
            else if (space)
                out.push_back(' ');
        }
        newline = space = false;
        out.push_back(c);
    }
    return out;
}

bool pg_contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

// A connection failure has no SQLSTATE in libpq; the server's message says which it was.
std::string pg_connect_sqlstate(std::string_view message) {
    if (pg_contains(message, "password authentication failed") || pg_contains(message, "no password supplied") ||
        pg_contains(message, "authentication failed"))
        return "28P01";
    if (pg_contains(message, "database \"") && pg_contains(message, "does not exist")) return "3D000";
    if (pg_contains(message, "role \"") && pg_contains(message, "does not exist")) return "28000";
    if (pg_contains(message, "no pg_hba.conf entry")) return "28000";
    if (pg_contains(message, "too many clients") || pg_contains(message, "remaining connection slots")) return "53300";
    if (pg_contains(message, "the database system is starting up") ||
        pg_contains(message, "the database system is shutting down"))
        return "57P03";
    return "08001";
}

// The notices a server sends (NOTICE: ...) are not the tool's output.
void pg_ignore_notice(void*, const char*) {}

std::int64_t pg_parse_int64(const char* text) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(text, &end, 10);
    if (end != nullptr && (*end == '.' || *end == 'e' || *end == 'E'))
        return static_cast<std::int64_t>(std::strtod(text, nullptr));
    return v;
}

}  // namespace

void PgResultDeleter::operator()(PGresult* r) const noexcept { PQclear(r); }

std::string pg_redact_uri(std::string_view uri) {
    std::string out(uri);
    const auto [from, to] = pg_userinfo_password(uri);
    if (to > from) out.erase(from, to - from);
    // password=... in the query part.
    const std::size_t q = out.find('?');
    if (q != std::string::npos) {
        std::string kept;
        std::size_t i = q + 1;
        while (i <= out.size()) {
            std::size_t end = out.find('&', i);
            if (end == std::string::npos) end = out.size();
            const std::string param = out.substr(i, end - i);
            if (param.rfind("password=", 0) != 0 && !param.empty()) {
                if (!kept.empty()) kept.push_back('&');
                kept += param;
            }
            i = end + 1;
        }
        out.erase(q);
        if (!kept.empty()) out += "?" + kept;
    }
    return out;
}

std::string pg_scrub(std::string message, std::string_view uri) {
    pg_replace_all(message, uri, pg_redact_uri(uri));
    std::vector<std::string> secrets = pg_query_passwords(uri);
    const auto [from, to] = pg_userinfo_password(uri);
    if (to > from + 1) secrets.emplace_back(uri.substr(from + 1, to - from - 1));
    const std::size_t count = secrets.size();
    for (std::size_t i = 0; i < count; ++i) secrets.push_back(pg_percent_decode(secrets[i]));
    // Longest first, so a password that contains another is replaced whole.
    std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& secret : secrets) pg_replace_all(message, secret, "***");
    return message;
}

// ---------------------------------------------------------------------------------------------
// PgConnection

PgConnection::PgConnection(const OpenOptions& options)
    : m_uri(options.path), m_name(pg_redact_uri(options.path)), m_busy_timeout_ms(options.busy_timeout_ms) {
    // The URI as given: libpq fills in what it leaves out from PGHOST, PGPASSWORD, ~/.pgpass and
    // service files, as psql does.
    const char* keys[] = {"dbname", "fallback_application_name", nullptr};
    const char* values[] = {m_uri.c_str(), "quicktools", nullptr};
    m_conn = PQconnectStartParams(keys, values, 1);
    if (m_conn == nullptr) throw std::bad_alloc();
    auto fail = [&](std::string sqlstate = {}) {
        std::string message = pg_one_line(PQerrorMessage(m_conn));
        PQfinish(m_conn);
        m_conn = nullptr;
        if (sqlstate.empty()) sqlstate = pg_connect_sqlstate(message);
        return PgError(PgError::Kind::connect, sqlstate, pg_scrub(std::move(message), m_uri));
    };
    if (PQstatus(m_conn) == CONNECTION_BAD) throw fail();

    // connect_timeout, which only the blocking PQconnectdb enforces.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    if (PQconninfoOption* info = PQconninfo(m_conn)) {
        for (PQconninfoOption* o = info; o->keyword != nullptr; ++o)
            if (std::strcmp(o->keyword, "connect_timeout") == 0 && o->val != nullptr && std::atoi(o->val) > 0)
                deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(2, std::atoi(o->val)));
        PQconninfoFree(info);
    }
    // Polled in steps of 100 ms, so Ctrl-C ends the wait for a server that does not answer.
    PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
    while (polling != PGRES_POLLING_OK) {
        if (polling == PGRES_POLLING_FAILED) throw fail();
        if (util::interrupted()) {
            PQfinish(m_conn);
            m_conn = nullptr;
            throw PgError(PgError::Kind::connect, "57014", "interrupted while connecting");
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            PQfinish(m_conn);
            m_conn = nullptr;
            throw PgError(PgError::Kind::connect, "08001", "timeout expired (connect_timeout)");
        }
        pollfd p{PQsocket(m_conn), static_cast<short>(polling == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
        const int ready = ::poll(&p, 1, 100);
        if (ready > 0 || (ready < 0 && errno != EINTR)) polling = PQconnectPoll(m_conn);
    }
    PQsetNoticeProcessor(m_conn, pg_ignore_notice, nullptr);
    m_cancel = PQgetCancel(m_conn);
    try {
        setup(options.access);
    } catch (...) {
        PQfreeCancel(m_cancel);
        m_cancel = nullptr;
        PQfinish(m_conn);
        m_conn = nullptr;
        throw;
    }
    util::set_interruptible(this);
}

void PgConnection::setup(Access access) {
    // lock_timeout for the whole session, so no statement (in a write transaction or outside
    // one) waits behind another session's lock for longer than --busy-timeout; 0 would mean
    // "for ever" to PostgreSQL, so the least is 1 ms. Values as the tool reads them: UTF-8, ISO
    // dates, UTC. Prepared statements are planned for each run's values and the tables as they
    // are then (plan_cache_mode): a table the run itself fills (the events a replay records, the
    // ledger) starts small, and a generic plan made then scans it whole for every lookup, which
    // made a replay of 100,000 events quadratic; planning a lookup costs a few microseconds.
    const std::string setup = fmt::format(
        "SET lock_timeout = '{}ms'; SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; "
        "SET TimeZone = 'UTC'; SET plan_cache_mode = force_custom_plan; SELECT pg_is_in_recovery()",
        std::max(1, m_busy_timeout_ms));
    PgResultPtr probe = run(setup.c_str());
    if (access == Access::read_write && PQntuples(probe.get()) == 1 &&
        std::strcmp(PQgetvalue(probe.get(), 0, 0), "t") == 0)
        throw PgError(PgError::Kind::statement, "25006", "the server is a read-only standby (in recovery)");
}

PgConnection::~PgConnection() {
    util::clear_interruptible(this);
    if (m_cancel != nullptr) PQfreeCancel(m_cancel);
    if (m_conn != nullptr) PQfinish(m_conn);
}

void PgConnection::interrupt() noexcept {
    // PQcancel is safe in a signal handler (libpq's documentation says so); it asks the server
    // to stop the running statement, which then fails with 57014.
    if (m_cancel == nullptr) return;
    char error[256];
    PQcancel(m_cancel, error, sizeof error);
}

PgError PgConnection::error_from(const PGresult* result) const {
    const bool broken = PQstatus(m_conn) == CONNECTION_BAD;
    const PgError::Kind kind = broken ? PgError::Kind::connection : PgError::Kind::statement;
    if (result == nullptr)
        return PgError(kind, broken ? "08006" : "", pg_scrub(pg_one_line(PQerrorMessage(m_conn)), m_uri));
    const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
    std::string message = pg_one_line(primary != nullptr ? primary : PQresultErrorMessage(result));
    if (message.empty()) message = pg_one_line(PQerrorMessage(m_conn));
    return PgError(kind, sqlstate != nullptr ? sqlstate : (broken ? "08006" : ""), pg_scrub(message, m_uri),
                   detail != nullptr ? pg_scrub(pg_one_line(detail), m_uri) : std::string());
}

PgResultPtr PgConnection::run(const char* sql) {
    settle(nullptr);
    PgResultPtr r(PQexec(m_conn, sql));
    const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
        throw error_from(r.get());
    return r;
}

void PgConnection::settle(PgStatement* next) {
    sync_pipeline();
    if (m_streaming != nullptr && m_streaming != next) m_streaming->buffer_rest();
    if (m_to_deallocate.size() >= 16 && m_streaming == nullptr) deallocate_pending();
}

void PgConnection::send_pipelined(const std::string& name, int count, const char* const* values) {
    if (m_streaming != nullptr) m_streaming->buffer_rest();
    if (PQpipelineStatus(m_conn) == PQ_PIPELINE_OFF && PQenterPipelineMode(m_conn) != 1) throw error_from(nullptr);
    if (PQsendQueryPrepared(m_conn, name.c_str(), count, values, nullptr, nullptr, 0) != 1) {
        PgError error = error_from(nullptr);
        try {
            sync_pipeline();
        } catch (const PgError&) {
            // The failure to send is the one to report.
        }
        throw error;
    }
    // A bounded pipeline: its outcomes (a few dozen bytes each) never fill the socket's buffers,
    // so the server is never stuck writing them while this side is still sending.
    constexpr int pipeline_depth = 256;
    if (++m_pipelined >= pipeline_depth) sync_pipeline();
}

void PgConnection::sync_pipeline() {
    if (PQpipelineStatus(m_conn) == PQ_PIPELINE_OFF) return;
    const int queued = std::exchange(m_pipelined, 0);
    std::optional<PgError> first;
    if (PQpipelineSync(m_conn) != 1) {
        first = error_from(nullptr);
    } else {
        // Each queued statement's results end with a null (after a failure, the rest answer
        // PGRES_PIPELINE_ABORTED); the sync's own result ends the pipeline. A broken connection
        // answers nulls only.
        int nulls = 0;
        for (;;) {
            PgResultPtr result(PQgetResult(m_conn));
            if (!result) {
                if (PQstatus(m_conn) == CONNECTION_BAD || ++nulls > queued + 1) break;
                continue;
            }
            const ExecStatusType status = PQresultStatus(result.get());
            if (status == PGRES_PIPELINE_SYNC) break;
            if (status == PGRES_FATAL_ERROR && !first) first = error_from(result.get());
        }
        if (!first && PQstatus(m_conn) == CONNECTION_BAD) first = error_from(nullptr);
    }
    PQexitPipelineMode(m_conn);
    if (first) throw *first;
}

void PgConnection::forget(PgStatement* statement) {
    if (m_streaming == statement) m_streaming = nullptr;
}

std::string PgConnection::next_statement_name() { return fmt::format("quicktools_{}", ++m_statements); }

void PgConnection::deallocate_later(std::string name) { m_to_deallocate.push_back(std::move(name)); }

void PgConnection::deallocate_pending() {
    // Prepared statements live as long as the session whatever becomes of a transaction, but no
    // statement runs in an aborted one: those wait for the next chance.
    if (PQtransactionStatus(m_conn) == PQTRANS_INERROR || PQstatus(m_conn) != CONNECTION_OK) return;
    std::string sql;
    for (const auto& name : m_to_deallocate) sql += "DEALLOCATE " + name + ";";
    m_to_deallocate.clear();
    PgResultPtr r(PQexec(m_conn, sql.c_str()));
}

std::unique_ptr<StatementImpl> PgConnection::prepare(std::string_view sql) {
    return std::make_unique<PgStatement>(*this, sql);
}

void PgConnection::execute(std::string_view sql) { run(std::string(sql).c_str()); }

void PgConnection::begin(TransactionKind kind) {
    // REPEATABLE READ: one snapshot for every statement of the read, as SQLite's read transaction.
    // Not READ ONLY: a read may build temporary views and tables (a dry run's plan), which a
    // READ ONLY transaction refuses; it always ends with a rollback, so nothing it does stays.
    // A write transaction is READ COMMITTED (PostgreSQL's default, as the web app's): its rows
    // are locked where it changes them (SELECT ... FOR UPDATE in the PostgreSQL variants).
    run(kind == TransactionKind::read ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN");
}

void PgConnection::commit() {
    settle(nullptr);
    if (PQtransactionStatus(m_conn) == PQTRANS_INERROR) {
        rollback();
        throw PgError(PgError::Kind::statement, "25P02",
                      "a statement of the transaction failed, so it was rolled back");
    }
    PgResultPtr r(PQexec(m_conn, "COMMIT"));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        PgError e = error_from(r.get());
        e.during_commit = true;
        throw e;
    }
    // COMMIT of a transaction that failed answers ROLLBACK, without an error.
    if (std::strcmp(PQcmdStatus(r.get()), "ROLLBACK") == 0)
        throw PgError(PgError::Kind::statement, "25P02", "the server rolled the transaction back");
    if (m_to_deallocate.size() >= 16) deallocate_pending();
}

void PgConnection::rollback() noexcept {
    try {
        settle(nullptr);
    } catch (...) {
        // Only the rollback matters now.
    }
    if (m_conn == nullptr || PQstatus(m_conn) != CONNECTION_OK) return;
    if (PQtransactionStatus(m_conn) == PQTRANS_IDLE) return;
    PQclear(PQexec(m_conn, "ROLLBACK"));
}

bool PgConnection::in_transaction() {
    settle(nullptr);
    const PGTransactionStatusType status = PQtransactionStatus(m_conn);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

bool PgConnection::has_table(std::string_view name) {
    PgStatement q(*this,
                  "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')");
    q.bind_text(1, name);
    const bool found = q.step();
    q.reset();
    return found;
}

std::vector<std::string> PgConnection::table_columns(std::string_view table) {
    PgStatement q(*this,
                  "SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
                  "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE n.nspname = current_schema() AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped "
                  "ORDER BY a.attnum");
    q.bind_text(1, table);
    std::vector<std::string> out;
    while (q.step()) out.push_back(q.column_text(0));
    return out;
}

// ---------------------------------------------------------------------------------------------
// PgStatement

PgStatement::PgStatement(PgConnection& connection, std::string_view sql) : m_connection(connection) {
    PgParameterSql translated = pg_translate_parameters(sql);
    m_sql = std::move(translated.text);
    m_parameter_count = translated.parameter_count;
    m_names = std::move(translated.names);
    m_values.resize(static_cast<std::size_t>(m_parameter_count));
    m_null.assign(static_cast<std::size_t>(m_parameter_count), 1);  // unbound is NULL, as in SQLite
}

PgStatement::~PgStatement() {
    drain();
    m_connection.forget(this);
    if (!m_prepared.empty()) m_connection.deallocate_later(std::move(m_prepared));
}

void PgStatement::check_index(int index) const {
    if (index < 1 || index > m_parameter_count)
        throw std::logic_error(
            fmt::format("parameter {} out of range (the statement has {})", index, m_parameter_count));
}

void PgStatement::bind_int64(int index, std::int64_t value) {
    check_index(index);
    m_values[static_cast<std::size_t>(index - 1)] = std::to_string(value);
    m_null[static_cast<std::size_t>(index - 1)] = 0;
}

void PgStatement::bind_double(int index, double value) {
    check_index(index);
    m_values[static_cast<std::size_t>(index - 1)] = fmt::format("{}", value);
    m_null[static_cast<std::size_t>(index - 1)] = 0;
}

void PgStatement::bind_text(int index, std::string_view value) {
    check_index(index);
    m_values[static_cast<std::size_t>(index - 1)] = std::string(value);
    m_null[static_cast<std::size_t>(index - 1)] = 0;
}

void PgStatement::bind_null(int index) {
    check_index(index);
    m_values[static_cast<std::size_t>(index - 1)].clear();
    m_null[static_cast<std::size_t>(index - 1)] = 1;
}

int PgStatement::parameter_index(std::string_view name) {
    for (const auto& [n, index] : m_names)
        if (n == name) return index;
    throw std::logic_error(fmt::format("the statement has no parameter {}", name));
}

void PgStatement::start() {
    m_connection.settle(this);
    PGconn* conn = m_connection.raw();
    // Prepared on the second run: a statement run once costs one round trip, one run in a loop
    // is parsed and planned once.
    if (m_runs >= 1 && m_prepared.empty()) {
        std::string name = m_connection.next_statement_name();
        PgResultPtr r(PQprepare(conn, name.c_str(), m_sql.c_str(), 0, nullptr));
        if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) throw m_connection.error_from(r.get());
        m_prepared = std::move(name);
    }
    std::vector<const char*> values(static_cast<std::size_t>(m_parameter_count));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = m_null[i] != 0 ? nullptr : m_values[i].c_str();
    const int sent =
        m_prepared.empty()
            ? PQsendQueryParams(conn, m_sql.c_str(), m_parameter_count, nullptr, values.data(), nullptr, nullptr, 0)
            : PQsendQueryPrepared(conn, m_prepared.c_str(), m_parameter_count, values.data(), nullptr, nullptr, 0);
    if (sent == 0) throw m_connection.error_from(nullptr);
    PQsetSingleRowMode(conn);
    m_reading = true;
    m_connection.set_streaming(this);
    m_state = State::running;
    m_changes = 0;
    ++m_runs;
}

PgResultPtr PgStatement::take_result() {
    if (!m_buffered.empty()) {
        PgResultPtr r = std::move(m_buffered.front());
        m_buffered.pop_front();
        return r;
    }
    if (!m_reading) return nullptr;
    PgResultPtr r(PQgetResult(m_connection.raw()));
    if (!r) {
        m_reading = false;
        m_connection.forget(this);
    }
    return r;
}

void PgStatement::buffer_rest() {
    while (m_reading) {
        PgResultPtr r(PQgetResult(m_connection.raw()));
        if (!r) break;
        m_buffered.push_back(std::move(r));
    }
    m_reading = false;
    m_connection.forget(this);
}

void PgStatement::drain() noexcept {
    m_row.reset();
    m_buffered.clear();
    while (m_reading) {
        PGresult* r = PQgetResult(m_connection.raw());
        if (r == nullptr) break;
        PQclear(r);
    }
    m_reading = false;
    m_connection.forget(this);
}

bool PgStatement::step() {
    if (m_state == State::ready) start();
    if (m_state == State::done) return false;
    m_row.reset();
    for (;;) {
        PgResultPtr r = take_result();
        if (!r) {
            m_state = State::done;
            return false;
        }
        switch (PQresultStatus(r.get())) {
            case PGRES_SINGLE_TUPLE: m_row = std::move(r); return true;
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
            case PGRES_EMPTY_QUERY: {
                const char* tuples = PQcmdTuples(r.get());
                m_changes = tuples != nullptr && *tuples != '\0' ? std::strtoll(tuples, nullptr, 10) : 0;
                if (PQnfields(r.get()) > 0) m_description = std::move(r);
                drain();
                m_state = State::done;
                return false;
            }
            default: {
                PgError error = m_connection.error_from(r.get());
                drain();
                m_state = State::done;
                throw error;
            }
        }
    }
}

void PgStatement::exec_pipelined() {
    reset();
    // The first run is unnamed and the second prepares: both wait for their outcome. From then
    // on the run is queued.
    if (m_prepared.empty()) {
        while (step()) {
        }
        reset();
        return;
    }
    std::vector<const char*> values(static_cast<std::size_t>(m_parameter_count));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = m_null[i] != 0 ? nullptr : m_values[i].c_str();
    m_connection.send_pipelined(m_prepared, m_parameter_count, values.data());
    ++m_runs;
    m_changes = 0;
}

void PgStatement::reset() {
    drain();
    m_state = State::ready;
}

void PgStatement::ensure_description() {
    if (m_row || m_description) return;
    // Column names before the first step: the statement is prepared and described.
    m_connection.settle(this);
    PGconn* conn = m_connection.raw();
    if (m_prepared.empty()) {
        std::string name = m_connection.next_statement_name();
        PgResultPtr r(PQprepare(conn, name.c_str(), m_sql.c_str(), 0, nullptr));
        if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) throw m_connection.error_from(r.get());
        m_prepared = std::move(name);
    }
    PgResultPtr d(PQdescribePrepared(conn, m_prepared.c_str()));
    if (!d || PQresultStatus(d.get()) != PGRES_COMMAND_OK) throw m_connection.error_from(d.get());
    m_description = std::move(d);
}

int PgStatement::column_count() {
    ensure_description();
    return PQnfields(m_row ? m_row.get() : m_description.get());
}

int PgStatement::column_index(std::string_view name) {
    ensure_description();
    const PGresult* r = m_row ? m_row.get() : m_description.get();
    const int n = PQnfields(r);
    for (int i = 0; i < n; ++i)
        if (name == PQfname(r, i)) return i;
    throw std::logic_error(fmt::format("the statement has no column {}", name));
}

std::string PgStatement::column_name(int index) {
    ensure_description();
    const char* name = PQfname(m_row ? m_row.get() : m_description.get(), index);
    if (name == nullptr) throw std::logic_error(fmt::format("no column {}", index));
    return name;
}

const char* PgStatement::value(int index) {
    if (!m_row) throw std::logic_error("no current row");
    if (index < 0 || index >= PQnfields(m_row.get())) throw std::logic_error(fmt::format("no column {}", index));
    return PQgetvalue(m_row.get(), 0, index);
}

ColumnType PgStatement::column_type(int index) {
    value(index);
    if (PQgetisnull(m_row.get(), 0, index) != 0) return ColumnType::null;
    switch (PQftype(m_row.get(), index)) {
        case pg_oid_bool:
        case pg_oid_int2:
        case pg_oid_int4:
        case pg_oid_int8:
        case pg_oid_oid: return ColumnType::integer;
        case pg_oid_float4:
        case pg_oid_float8: return ColumnType::real;
        case pg_oid_numeric: {
            // sum() of bigints is numeric: a whole number reads as an integer, as in SQLite.
            const char* v = PQgetvalue(m_row.get(), 0, index);
            return std::strpbrk(v, ".eEN") != nullptr ? ColumnType::real : ColumnType::integer;
        }
        case pg_oid_bytea: return ColumnType::blob;
        default: return ColumnType::text;
    }
}

std::int64_t PgStatement::column_int64(int index) {
    const char* v = value(index);
    if (PQgetisnull(m_row.get(), 0, index) != 0) return 0;
    if (PQftype(m_row.get(), index) == pg_oid_bool) return *v == 't' ? 1 : 0;
    return pg_parse_int64(v);
}

double PgStatement::column_double(int index) {
    const char* v = value(index);
    if (PQgetisnull(m_row.get(), 0, index) != 0) return 0.0;
    if (PQftype(m_row.get(), index) == pg_oid_bool) return *v == 't' ? 1.0 : 0.0;
    return std::strtod(v, nullptr);
}

std::string PgStatement::column_text(int index) {
    const char* v = value(index);
    if (PQgetisnull(m_row.get(), 0, index) != 0) return {};
    switch (PQftype(m_row.get(), index)) {
        case pg_oid_bool: return *v == 't' ? "1" : "0";
        case pg_oid_bytea: {
            std::size_t length = 0;
            unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &length);
            if (bytes == nullptr) throw std::bad_alloc();
            std::string out(reinterpret_cast<const char*>(bytes), length);
            PQfreemem(bytes);
            return out;
        }
        default: return std::string(v, static_cast<std::size_t>(PQgetlength(m_row.get(), 0, index)));
    }
}

}  // namespace quicktools::db::postgres
