#include "backup.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "../backup_file.hpp"
#include "quicktools/util/interrupt.hpp"
#include "sqlite_connection.hpp"

namespace quicktools::db::sqlite {
namespace {

// The copy is page for page what the source holds, so a damaged source gives a damaged copy:
// SQLite's quick_check of the copy says whether it can be trusted.
void check_copy(Database& copy, const std::string& source) {
    Statement q(copy, "PRAGMA quick_check(1)");
    std::string verdict = q.step() ? q.column(0).text() : "no answer";
    std::replace(verdict.begin(), verdict.end(), '\n', ' ');
    if (verdict != "ok")
        throw Error(
            fmt::format("{} is damaged: SQLite's integrity check of the copy says \"{}\"; no backup was "
                        "written. Keep the last good backup; `sqlite3 {} .recover` may save the data",
                        source, verdict, source));
}

// SQLite's backup object, finished when it goes.
class BackupCopier {
public:
    BackupCopier(SqliteConnection& target, SqliteConnection& source)
        : m_target(target), m_backup(sqlite3_backup_init(target.handle(), "main", source.handle(), "main")) {
        if (m_backup == nullptr) m_target.fail(sqlite3_errcode(m_target.handle()));
    }
    ~BackupCopier() {
        if (m_backup != nullptr) sqlite3_backup_finish(m_backup);
    }
    BackupCopier(const BackupCopier&) = delete;
    BackupCopier& operator=(const BackupCopier&) = delete;

    // Copies up to `pages`: SQLITE_OK (more to do), SQLITE_DONE, SQLITE_BUSY or SQLITE_LOCKED;
    // throws SqliteError for any other result.
    int step(int pages) {
        const int rc = sqlite3_backup_step(m_backup, pages);
        if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return rc;
        throw SqliteError(rc & 0xFF, rc, sqlite3_errstr(rc));
    }
    int total_pages() { return sqlite3_backup_pagecount(m_backup); }
    int remaining_pages() { return sqlite3_backup_remaining(m_backup); }

private:
    SqliteConnection& m_target;
    sqlite3_backup* m_backup;
};

}  // namespace

BackupResult online_backup(Database& source, const std::string& dest, const BackupProgress& progress) {
    SqliteConnection& connection = connection_of(source, "the online backup");
    // SQLite's backup cannot read through a connection that holds a write transaction, so
    // inside one (before its changes) copy through a second, read-only connection: it sees the
    // last committed state, which is exactly the pre-image of the caller's transaction.
    if (connection.holds_write_lock()) {
        Database reader = Database::open_existing({source.path(), source.busy_timeout_ms(), Access::read_only});
        return online_backup(reader, dest, progress);
    }
    refuse_existing_backup(dest);
    PartialBackupFile partial(dest);
    const bool caller_transaction = connection.in_transaction();
    try {
        auto target_connection = open_connection(partial.path(), SQLITE_OPEN_READWRITE, 0);
        SqliteConnection& target_sqlite = *target_connection;
        Database target(std::move(target_connection));
        // Holding a read transaction on the source keeps writers from committing mid-copy, so
        // the backup never restarts and is one consistent snapshot.
        // Inside a caller's read transaction the copy is that transaction's snapshot.
        const bool own_transaction = !caller_transaction;
        if (own_transaction) {
            source.execute("BEGIN");
            source.execute("SELECT count(*) FROM sqlite_master");
        }
        BackupCopier backup(target_sqlite, connection);
        int rc = SQLITE_OK;
        const auto started = std::chrono::steady_clock::now();
        do {
            util::throw_if_interrupted();
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
                if (std::chrono::steady_clock::now() - started > std::chrono::milliseconds(source.busy_timeout_ms()))
                    throw Error(
                        fmt::format("{} stayed locked for {} ms during the backup; nothing was changed. "
                                    "Try again, or wait longer with --busy-timeout MS",
                                    source.path(), source.busy_timeout_ms()));
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            rc = backup.step(4096);
            if (progress) progress(backup.total_pages() - backup.remaining_pages(), backup.total_pages());
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
        BackupResult result;
        result.path = dest;
        result.pages = backup.total_pages();
        if (own_transaction) source.execute("COMMIT");
        check_copy(target, source.path());
        struct stat st {};
        if (::stat(partial.path().c_str(), &st) == 0) result.bytes = st.st_size;
        partial.publish(dest);
        return result;
    } catch (const Error&) {
        if (!caller_transaction) connection.rollback();
        throw;
    } catch (const SqliteError& e) {
        if (!caller_transaction) connection.rollback();
        if (e.code() == SQLITE_CORRUPT || e.code() == SQLITE_NOTADB)
            throw Error(
                fmt::format("{} is damaged ({}); no backup was written. Keep the last good backup; `sqlite3 {} "
                            ".recover` may save the data",
                            source.path(), e.what(), source.path()));
        throw Error(
            fmt::format("backup to {} failed: {}; check the free space and that its folder is writable "
                        "(no partial copy was left)",
                        dest, e.what()));
    }
}

}  // namespace quicktools::db::sqlite
