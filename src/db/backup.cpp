#include "quicktools/db/backup.hpp"

#include "quicktools/util/interrupt.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <thread>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace quicktools::db {
namespace {

void refuse_existing(const std::string& dest) {
    struct stat st {};
    if (::lstat(dest.c_str(), &st) == 0)
        throw refusal(fmt::format("{} already exists; choose another backup path", dest));
}

// The copy is written to a private temporary file beside the destination, and renamed to it
// only once complete and checked: a copy killed half-way never sits at the destination, where a
// hot journal would make it open as an empty database and a re-run would refuse it as existing.
class PartialCopy {
public:
    explicit PartialCopy(const std::string& dest) : m_path(dest + ".partial-XXXXXX") {
        // mkstemp creates the file with mode 0600: never readable by others, not even for a moment.
        const int fd = ::mkstemp(m_path.data());
        if (fd < 0) throw Error(fmt::format("cannot create backup {}: {}", dest, std::strerror(errno)));
        ::close(fd);
    }
    ~PartialCopy() {
        if (m_path.empty()) return;
        ::unlink(m_path.c_str());
        ::unlink((m_path + "-journal").c_str());
    }
    PartialCopy(const PartialCopy&) = delete;
    PartialCopy& operator=(const PartialCopy&) = delete;

    const std::string& path() const { return m_path; }

    // Puts the finished copy at `dest`, never over an existing file (link, then unlink).
    void publish(const std::string& dest) {
        if (::link(m_path.c_str(), dest.c_str()) != 0) {
            if (errno == EEXIST) throw refusal(fmt::format("{} already exists; choose another backup path", dest));
            // A file system without hard links: rename, after checking again that nothing is there.
            refuse_existing(dest);
            if (::rename(m_path.c_str(), dest.c_str()) != 0)
                throw Error(fmt::format("cannot move the finished backup to {}: {}", dest, std::strerror(errno)));
        } else {
            ::unlink(m_path.c_str());
        }
        m_path.clear();
    }

private:
    std::string m_path;
};

// The copy is page for page what the source holds, so a damaged source gives a damaged copy:
// SQLite's quick_check of the copy says whether it can be trusted.
void check_copy(SQLite::Database& copy, const std::string& source) {
    SQLite::Statement q(copy, "PRAGMA quick_check(1)");
    std::string verdict = q.executeStep() ? q.getColumn(0).getString() : "no answer";
    std::replace(verdict.begin(), verdict.end(), '\n', ' ');
    if (verdict != "ok")
        throw Error(fmt::format("{} is damaged: SQLite's integrity check of the copy says \"{}\"; no backup was "
                                "written. Keep the last good backup; `sqlite3 {} .recover` may save the data",
                                source, verdict, source));
}

}  // namespace

std::string default_backup_path(const std::string& db_path) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    return fmt::format("{}.backup-{:%Y%m%d-%H%M%S}", db_path, tm);
}

BackupResult backup_to(Database& source, const std::string& dest, const BackupProgress& progress) {
    // SQLite's backup cannot read through a connection that holds a write transaction, so
    // inside one (before its changes) copy through a second, read-only connection: it sees the
    // last committed state, which is exactly the pre-image of the caller's transaction.
    if (sqlite3_txn_state(source.sql().getHandle(), "main") == SQLITE_TXN_WRITE) {
        Database reader = Database::open_existing({source.path(), source.busy_timeout_ms(), Access::read_only});
        return backup_to(reader, dest, progress);
    }
    refuse_existing(dest);
    PartialCopy partial(dest);
    const bool caller_transaction = sqlite3_get_autocommit(source.sql().getHandle()) == 0;
    try {
        SQLite::Database target(partial.path(), SQLite::OPEN_READWRITE);
        // Holding a read transaction on the source keeps writers from committing mid-copy, so
        // the backup never restarts and is one consistent snapshot.
        // Inside a caller's read transaction the copy is that transaction's snapshot.
        const bool own_transaction = !caller_transaction;
        if (own_transaction) {
            source.sql().exec("BEGIN");
            source.sql().exec("SELECT count(*) FROM sqlite_master");
        }
        SQLite::Backup backup(target, "main", source.sql(), "main");
        int rc = SQLITE_OK;
        const auto started = std::chrono::steady_clock::now();
        do {
            util::throw_if_interrupted();
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
                if (std::chrono::steady_clock::now() - started > std::chrono::milliseconds(source.busy_timeout_ms()))
                    throw Error(fmt::format("{} stayed locked for {} ms during the backup; nothing was changed. "
                                            "Try again, or wait longer with --busy-timeout MS",
                                            source.path(), source.busy_timeout_ms()));
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            rc = backup.executeStep(4096);
            if (progress) progress(backup.getTotalPageCount() - backup.getRemainingPageCount(),
                                   backup.getTotalPageCount());
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
        BackupResult result;
        result.path = dest;
        result.pages = backup.getTotalPageCount();
        if (own_transaction) source.sql().exec("COMMIT");
        check_copy(target, source.path());
        struct stat st {};
        if (::stat(partial.path().c_str(), &st) == 0) result.bytes = st.st_size;
        partial.publish(dest);
        return result;
    } catch (const Error&) {
        if (!caller_transaction && sqlite3_get_autocommit(source.sql().getHandle()) == 0) source.sql().exec("ROLLBACK");
        throw;
    } catch (const SQLite::Exception& e) {
        if (sqlite3_get_autocommit(source.sql().getHandle()) == 0 && !caller_transaction) {
            try {
                source.sql().exec("ROLLBACK");
            } catch (...) {
            }
        }
        if ((e.getErrorCode() & 0xFF) == SQLITE_CORRUPT || (e.getErrorCode() & 0xFF) == SQLITE_NOTADB)
            throw Error(fmt::format("{} is damaged ({}); no backup was written. Keep the last good backup; `sqlite3 {} "
                                    ".recover` may save the data",
                                    source.path(), e.what(), source.path()));
        throw Error(fmt::format("backup to {} failed: {}; check the free space and that its folder is writable "
                                "(no partial copy was left)",
                                dest, e.what()));
    }
}

}  // namespace quicktools::db
