#include "quicktools/db/database.hpp"

#include "quicktools/util/interrupt.hpp"

#include <SQLiteCpp/Exception.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <cerrno>
#include <chrono>
#include <thread>
#include <cstring>

namespace quicktools::db {

// Like SQLite's own busy timeout, but it also gives up at once on Ctrl-C, so an operator
// who stops a waiting command is not kept waiting for the rest of the timeout.
namespace {

// Whom the last wait that ran out was for. A connection that holds the write lock and still has
// to wait is waiting for readers (in rollback-journal mode a commit needs every reader gone); one
// without it waits for another writer. Process-wide, like the interrupt flag: translate() runs
// at the catch site, after the connection is gone.
enum class Waited { nobody, writer, readers };
std::atomic<Waited> g_last_wait{Waited::nobody};

}  // namespace

struct Database::BusyWait {
    int timeout_ms = 0;
    sqlite3* connection = nullptr;
    std::chrono::steady_clock::time_point started;

    static int handler(void* self, int attempt) {
        auto* wait = static_cast<BusyWait*>(self);
        const auto now = std::chrono::steady_clock::now();
        if (attempt == 0) wait->started = now;
        if (util::interrupted()) return 0;
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - wait->started).count();
        if (waited >= wait->timeout_ms) {
            g_last_wait = sqlite3_txn_state(wait->connection, "main") == SQLITE_TXN_WRITE ? Waited::readers
                                                                                          : Waited::writer;
            return 0;
        }
        const auto step = std::min<long long>(attempt < 5 ? 2 : 20, wait->timeout_ms - waited);
        std::this_thread::sleep_for(std::chrono::milliseconds(step));
        return 1;
    }
};

namespace {

// Whether the file is a database in WAL mode (bytes 18 and 19 of the header are 2).
bool wal_mode(const std::string& path) {
    unsigned char header[20] = {};
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool read = ::pread(fd, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header);
    ::close(fd);
    return read && header[18] == 2 && header[19] == 2;
}

// Whether this process may create files in the folder holding `path`.
bool folder_writable(const std::string& path) {
    const auto slash = path.rfind('/');
    const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    return ::access(folder.c_str(), W_OK) == 0;
}

// The sentence for a WAL database whose folder this process cannot write: SQLite must create
// the -wal and -shm files beside it even to read, so "read-only file" would name the wrong cause.
std::optional<Error> wal_in_read_only_folder(const std::string& path) {
    if (!wal_mode(path) || folder_writable(path)) return std::nullopt;
    return Error(fmt::format("{} is in WAL mode and its folder is not writable by this user: SQLite must create "
                             "{}-wal and {}-shm beside it, even to read. Run as the user the web app runs as, or "
                             "give this user write access to the folder",
                             path, path, path));
}

// Runs a trivial read so that "not a database" and "locked" show up at open time.
void probe(SQLite::Database& db) { db.exec("SELECT count(*) FROM sqlite_master"); }

}  // namespace

Database::Database(std::unique_ptr<SQLite::Database> db, std::string path, int busy_timeout_ms)
    : m_busy(std::make_unique<BusyWait>()), m_db(std::move(db)), m_path(std::move(path)),
      m_busy_timeout_ms(busy_timeout_ms) {
    m_busy->timeout_ms = busy_timeout_ms;
    m_busy->connection = m_db->getHandle();
    sqlite3_busy_handler(m_db->getHandle(), &BusyWait::handler, m_busy.get());
}

Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

Database::~Database() {
    if (m_db) util::clear_interruptible(m_db->getHandle());
}

Database Database::open_existing(const OpenOptions& options) {
    const std::string& path = options.path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            throw Error(fmt::format("no database at {}: pass --db PATH (or set QUICKTOOLS_DB), "
                                    "or create one with `quicktools db init`", path));
        throw Error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    }
    if (S_ISDIR(st.st_mode))
        throw Error(fmt::format("{} is a directory, not a database file: pass --db with the file's path", path));
    if (::access(path.c_str(), R_OK) != 0)
        throw Error(fmt::format("cannot read {}: permission denied", path));

    // NOMUTEX: each connection is used by one thread only, so SQLite's per-call locking is waste
    // (about 3% of a replay); sqlite3_interrupt from the signal handler stays safe.
    const int flags =
        (options.access == Access::read_write ? SQLite::OPEN_READWRITE : SQLite::OPEN_READONLY) | SQLite::OPEN_NOMUTEX;
    try {
        auto db = std::make_unique<SQLite::Database>(path, flags, options.busy_timeout_ms);
        probe(*db);
        if (options.access == Access::read_write && sqlite3_db_readonly(db->getHandle(), "main") == 1) {
            if (auto wal = wal_in_read_only_folder(path)) throw *wal;
            throw Error(fmt::format("{} is read-only: this command writes, so it needs write access to the "
                                    "file and its folder",
                                    path));
        }
        db->exec("PRAGMA foreign_keys = ON");
        util::set_interruptible(db->getHandle());
        return Database(std::move(db), path, options.busy_timeout_ms);
    } catch (const SQLite::Exception& e) {
        throw translate(e, path, options.busy_timeout_ms);
    }
}

Database Database::create_new(const std::string& path, int busy_timeout_ms) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0)
        throw refusal(fmt::format("{} already exists; `db init` only creates new databases", path));
    try {
        auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                                     busy_timeout_ms);
        db->exec("PRAGMA foreign_keys = ON");
        util::set_interruptible(db->getHandle());
        return Database(std::move(db), path, busy_timeout_ms);
    } catch (const SQLite::Exception& e) {
        throw translate(e, path, busy_timeout_ms);
    }
}

Database Database::in_memory() {
    auto db = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    return Database(std::move(db), ":memory:", 0);
}

bool Database::has_table(const std::string& name) {
    SQLite::Statement q(*m_db, "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?");
    q.bind(1, name);
    return q.executeStep();
}

WriteTransaction::WriteTransaction(Database& db) : m_db(db) {
    try {
        m_db.sql().exec("BEGIN IMMEDIATE");
    } catch (const SQLite::Exception& e) {
        throw translate(e, m_db.path(), m_db.busy_timeout_ms());
    }
}

WriteTransaction::~WriteTransaction() {
    if (!m_open) return;
    try {
        m_db.sql().exec("ROLLBACK");
    } catch (...) {
        // Nothing more can be done: SQLite rolls back an open transaction when the connection closes.
    }
}

void WriteTransaction::commit(OnSignal on_signal) {
    // A signal that came between statements is not seen by SQLite; it still means "stop".
    if (on_signal == OnSignal::roll_back) util::throw_if_interrupted();
    try {
        m_db.sql().exec("COMMIT");
        m_open = false;
    } catch (const SQLite::Exception& e) {
        throw translate(e, m_db.path(), m_db.busy_timeout_ms());
    }
}

Error translate(const std::exception& e, const std::string& path, int busy_timeout_ms) {
    const auto* sqlite_error = dynamic_cast<const SQLite::Exception*>(&e);
    if (util::interrupted())
        return Error(ExitCode::interrupted, "interrupted: the transaction was rolled back, nothing changed");
    if (sqlite_error == nullptr) return Error(fmt::format("{}: {}", path, e.what()));
    switch (sqlite_error->getErrorCode() & 0xFF) {
        case SQLITE_INTERRUPT:
            return Error(ExitCode::interrupted, "interrupted: the transaction was rolled back, nothing changed");
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            if (g_last_wait.exchange(Waited::nobody) == Waited::readers)
                return Error(fmt::format("{} could not be committed: other connections kept reading it for {} ms, and "
                                         "in rollback-journal mode a commit waits until no one reads; nothing was "
                                         "changed. Try again, wait longer with --busy-timeout MS, or look for a "
                                         "long-running reader (WAL mode lets readers and a commit run together)",
                                         path, busy_timeout_ms));
            return Error(fmt::format("{} is locked by another writer and stayed locked for {} ms; nothing was "
                                     "changed. Try again, or wait longer with --busy-timeout MS",
                                     path, busy_timeout_ms));
        case SQLITE_READONLY:
            if (auto wal = wal_in_read_only_folder(path)) return *wal;
            return Error(fmt::format("{} is read-only: this command writes, so it needs write access to the file "
                                     "and its folder",
                                     path));
        case SQLITE_NOTADB:
            return Error(fmt::format("{} is not a SQLite database", path));
        case SQLITE_CORRUPT:
            return Error(fmt::format("{} is damaged (SQLite reports corruption); restore it from a backup", path));
        case SQLITE_CANTOPEN:
            if (auto wal = wal_in_read_only_folder(path)) return *wal;
            return Error(fmt::format("cannot open {}: check that the file and its folder exist and are accessible",
                                     path));
        case SQLITE_FULL:
            return Error(fmt::format("the disk holding {} is full; nothing was changed", path));
        case SQLITE_IOERR:
            return Error(fmt::format("input/output error on {}: {}", path, sqlite_error->getErrorStr()));
        case SQLITE_CONSTRAINT:
            return Error(fmt::format("{} refused the change: {}", path, e.what()));
        default:
            return Error(fmt::format("{}: {}", path, e.what()));
    }
}

}  // namespace quicktools::db
