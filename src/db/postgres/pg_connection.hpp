#pragma once
// The PostgreSQL engine over libpq (see engine.hpp). Nothing outside src/db/postgres/ names
// libpq: the rest of the tool reaches these types through db::Connection and db::StatementImpl.
//
// Statements run with the extended protocol in text format, the server inferring the parameter
// types; a statement runs unnamed on its first execution and is prepared (PQprepare, a unique
// name) on its second, so one run costs one round trip and a statement reused in a loop is
// parsed and planned once. Rows come in single-row mode: a result of a million rows never sits
// in memory as a whole. The one connection runs one statement at a time, so when another
// statement starts while a result is still being read, the rest of that result is read into
// memory first (the loop over it goes on from there). Writes whose outcome is not read
// (exec_pipelined) are queued in libpq's pipeline and their outcomes read, all in one round trip,
// before the next statement that is not queued, or the commit.
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/db/engine.hpp"
#include "quicktools/util/interrupt.hpp"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
typedef struct pg_cancel PGcancel;

namespace quicktools::db::postgres {

// A failure as PostgreSQL or libpq reported it.
class PgError : public EngineError {
public:
    enum class Kind {
        statement,   // the server refused a statement (sqlstate says why)
        connect,     // no connection could be made
        connection,  // the connection broke after it was made
    };
    PgError(Kind kind, std::string sqlstate, const std::string& message, std::string detail = {})
        : EngineError(Engine::postgres, 0, message),
          m_kind(kind),
          m_sqlstate(std::move(sqlstate)),
          m_detail(std::move(detail)) {}
    Kind kind() const noexcept { return m_kind; }
    const std::string& sqlstate() const noexcept { return m_sqlstate; }
    const std::string& detail() const noexcept { return m_detail; }
    // Whether the failure came while COMMIT was on its way (its outcome is then unknown).
    bool during_commit = false;

private:
    Kind m_kind;
    std::string m_sqlstate;
    std::string m_detail;
};

// The URI without its password (userinfo's ":password" and a password= parameter dropped).
std::string pg_redact_uri(std::string_view uri);

// `message` with every trace of the URI's password replaced by "***" (libpq's own messages can
// quote the URI or a part of it).
std::string pg_scrub(std::string message, std::string_view uri);

struct PgResultDeleter {
    void operator()(PGresult* r) const noexcept;
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

class PgStatement;

class PgConnection final : public Connection, public util::Interruptible {
public:
    // Connects (Ctrl-C stops the wait) and probes the server; throws PgError.
    explicit PgConnection(const OpenOptions& options);
    ~PgConnection() override;
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    Engine engine() const override { return Engine::postgres; }
    const std::string& name() const override { return m_name; }
    int busy_timeout_ms() const override { return m_busy_timeout_ms; }

    std::unique_ptr<StatementImpl> prepare(std::string_view sql) override;
    void execute(std::string_view sql) override;
    void sync() override { sync_pipeline(); }

    void begin(TransactionKind kind) override;
    void commit() override;
    void rollback() noexcept override;
    bool in_transaction() override;

    bool has_table(std::string_view name) override;
    std::vector<std::string> table_columns(std::string_view table) override;

    void interrupt() noexcept override;

    // The URI as given (with its password, if it has one): for a second connection only.
    const std::string& uri() const { return m_uri; }

    // For PgStatement.
    PGconn* raw() { return m_conn; }
    // Makes the connection free for `next` (nullptr: for the connection itself): the statement
    // whose rows are still coming reads the rest into memory.
    void settle(PgStatement* next);
    void set_streaming(PgStatement* statement) { m_streaming = statement; }
    PgStatement* streaming() const { return m_streaming; }
    void forget(PgStatement* statement);
    // Queues a run of the prepared statement `name` in the connection's pipeline (entered on
    // the first), without waiting for its outcome; settle() reads the outcomes.
    void send_pipelined(const std::string& name, int count, const char* const* values);
    std::string next_statement_name();
    void deallocate_later(std::string name);
    // A PgError from a failed result (or from the connection when there is none).
    PgError error_from(const PGresult* result) const;

private:
    // The session's settings, and a probe of the server (a standby refuses write access).
    void setup(Access access);
    PgResultPtr run(const char* sql);
    void deallocate_pending();
    // Ends the pipeline: a sync, every queued outcome read, pipeline mode left; throws the first
    // failure among them.
    void sync_pipeline();

    PGconn* m_conn = nullptr;
    PGcancel* m_cancel = nullptr;
    std::string m_uri;
    std::string m_name;
    int m_busy_timeout_ms = 0;
    PgStatement* m_streaming = nullptr;
    std::uint64_t m_statements = 0;
    int m_pipelined = 0;  // statements queued in the pipeline, their outcomes not yet read
    std::vector<std::string> m_to_deallocate;
};

class PgStatement final : public StatementImpl {
public:
    PgStatement(PgConnection& connection, std::string_view sql);
    ~PgStatement() override;
    PgStatement(const PgStatement&) = delete;
    PgStatement& operator=(const PgStatement&) = delete;

    void bind_int64(int index, std::int64_t value) override;
    void bind_double(int index, double value) override;
    void bind_text(int index, std::string_view value) override;
    void bind_null(int index) override;
    int parameter_index(std::string_view name) override;

    bool step() override;
    void exec_pipelined() override;
    void reset() override;
    std::int64_t changes() override { return m_changes; }

    int column_count() override;
    int column_index(std::string_view name) override;
    std::string column_name(int index) override;
    ColumnType column_type(int index) override;
    std::int64_t column_int64(int index) override;
    double column_double(int index) override;
    std::string column_text(int index) override;

    // Reads the rest of the result into memory (another statement needs the connection).
    void buffer_rest();

private:
    enum class State { ready, running, done };
    void start();
    PgResultPtr take_result();
    // Reads and drops the results up to the end of this run.
    void drain() noexcept;
    void check_index(int index) const;
    void ensure_description();
    const char* value(int index);

    PgConnection& m_connection;
    std::string m_sql;
    int m_parameter_count = 0;
    std::vector<std::pair<std::string, int>> m_names;
    std::vector<std::string> m_values;
    std::vector<char> m_null;
    std::string m_prepared;  // the server-side name once prepared
    int m_runs = 0;
    State m_state = State::ready;
    bool m_reading = false;  // results still coming from the connection
    std::deque<PgResultPtr> m_buffered;
    PgResultPtr m_row;          // the current row
    PgResultPtr m_description;  // column names and types
    std::int64_t m_changes = 0;
};

}  // namespace quicktools::db::postgres
