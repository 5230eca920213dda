#include "quicktools/db/backup.hpp"

#include "quicktools/util/interrupt.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Exception.h>
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace quicktools::db {
namespace {

// Creates the destination empty and private before SQLite writes to it, so the copy is never
// readable by others, not even for a moment, and an existing file is never overwritten.
void create_private_file(const std::string& dest) {
    const int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) throw refusal(fmt::format("{} already exists; choose another backup path", dest));
        throw Error(fmt::format("cannot create backup {}: {}", dest, std::strerror(errno)));
    }
    ::fchmod(fd, 0600);  // in case the umask took bits away that we want (it cannot add any)
    ::close(fd);
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
    create_private_file(dest);
    const bool caller_transaction = sqlite3_get_autocommit(source.sql().getHandle()) == 0;
    try {
        SQLite::Database target(dest, SQLite::OPEN_READWRITE);
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
        struct stat st {};
        if (::stat(dest.c_str(), &st) == 0) result.bytes = st.st_size;
        return result;
    } catch (const Error&) {
        if (!caller_transaction && sqlite3_get_autocommit(source.sql().getHandle()) == 0) source.sql().exec("ROLLBACK");
        ::unlink(dest.c_str());
        throw;
    } catch (const SQLite::Exception& e) {
        if (sqlite3_get_autocommit(source.sql().getHandle()) == 0 && !caller_transaction) {
            try {
                source.sql().exec("ROLLBACK");
            } catch (...) {
            }
        }
        ::unlink(dest.c_str());
        throw Error(fmt::format("backup to {} failed: {}; check the free space and that its folder is writable "
                                "(no partial copy was left)",
                                dest, e.what()));
    }
}

}  // namespace quicktools::db
