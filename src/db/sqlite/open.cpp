// Opening SQLite files (never creating one by accident) and SQLite's failures in sentences.
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "quicktools/db/engines.hpp"
#include "quicktools/util/interrupt.hpp"
#include "sqlite_connection.hpp"

namespace quicktools::db {
namespace {

// Whether the file is a database in WAL mode (bytes 18 and 19 of the header are 2).
bool sqlite_wal_mode(const std::string& path) {
    unsigned char header[20] = {};
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool read = ::pread(fd, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header);
    ::close(fd);
    return read && header[18] == 2 && header[19] == 2;
}

// Whether this process may create files in the folder holding `path`.
bool sqlite_folder_writable(const std::string& path) {
    const auto slash = path.rfind('/');
    const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    return ::access(folder.c_str(), W_OK) == 0;
}

// The sentence for a WAL database whose folder this process cannot write: SQLite must create
// the -wal and -shm files beside it even to read, so "read-only file" would name the wrong cause.
std::optional<Error> sqlite_wal_in_read_only_folder(const std::string& path) {
    if (!sqlite_wal_mode(path) || sqlite_folder_writable(path)) return std::nullopt;
    return Error(
        fmt::format("{} is in WAL mode and its folder is not writable by this user: SQLite must create "
                    "{}-wal and {}-shm beside it, even to read. Run as the user the web app runs as, or "
                    "give this user write access to the folder",
                    path, path, path));
}

}  // namespace

namespace sqlite {

std::unique_ptr<SqliteConnection> open_connection(const std::string& path, int flags, int busy_timeout_ms) {
    sqlite3* handle = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
    if (rc != SQLITE_OK) {
        const SqliteError error(rc & 0xFF, handle != nullptr ? sqlite3_extended_errcode(handle) : rc,
                                handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
        sqlite3_close_v2(handle);
        throw error;
    }
    return std::make_unique<SqliteConnection>(handle, path, busy_timeout_ms);
}

}  // namespace sqlite

std::unique_ptr<Connection> open_sqlite(const OpenOptions& options) {
    const std::string& path = options.path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            throw Error(
                fmt::format("no database at {}: pass --db PATH (or set QUICKTOOLS_DB), "
                            "or create one with `quicktools db init`",
                            path));
        throw Error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    }
    if (S_ISDIR(st.st_mode))
        throw Error(fmt::format("{} is a directory, not a database file: pass --db with the file's path", path));
    if (::access(path.c_str(), R_OK) != 0) throw Error(fmt::format("cannot read {}: permission denied", path));

    // NOMUTEX: each connection is used by one thread only, so SQLite's per-call locking is waste
    // (about 3% of a replay); interrupting from the signal handler stays safe.
    const int flags =
        (options.access == Access::read_write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
    try {
        auto connection = sqlite::open_connection(path, flags, options.busy_timeout_ms);
        // A trivial read, so that "not a database" and "locked" show up at open time.
        connection->execute("SELECT count(*) FROM sqlite_master");
        if (options.access == Access::read_write && sqlite3_db_readonly(connection->handle(), "main") == 1) {
            if (auto wal = sqlite_wal_in_read_only_folder(path)) throw *wal;
            throw Error(
                fmt::format("{} is read-only: this command writes, so it needs write access to the "
                            "file and its folder",
                            path));
        }
        connection->execute("PRAGMA foreign_keys = ON");
        util::set_interruptible(connection.get());
        return connection;
    } catch (const sqlite::SqliteError& e) {
        throw translate_sqlite(e, path, options.busy_timeout_ms);
    }
}

std::unique_ptr<Connection> create_sqlite(const std::string& path, int busy_timeout_ms) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0)
        throw refusal(fmt::format("{} already exists; `db init` only creates new databases", path));
    try {
        auto connection = sqlite::open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, busy_timeout_ms);
        connection->execute("PRAGMA foreign_keys = ON");
        util::set_interruptible(connection.get());
        return connection;
    } catch (const sqlite::SqliteError& e) {
        throw translate_sqlite(e, path, busy_timeout_ms);
    }
}

std::unique_ptr<Connection> open_sqlite_in_memory() {
    return sqlite::open_connection(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
}

Error translate_sqlite(const std::exception& e, const std::string& path, int busy_timeout_ms) {
    const auto* sqlite_error = dynamic_cast<const sqlite::SqliteError*>(&e);
    if (sqlite_error == nullptr) return Error(fmt::format("{}: {}", path, e.what()));
    switch (sqlite_error->code()) {
        case SQLITE_INTERRUPT:
            return Error(ExitCode::interrupted, "interrupted: the transaction was rolled back, nothing changed");
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            if (sqlite::take_last_wait() == sqlite::Waited::readers)
                return Error(
                    fmt::format("{} could not be committed: other connections kept reading it for {} ms, and "
                                "in rollback-journal mode a commit waits until no one reads; nothing was "
                                "changed. Try again, wait longer with --busy-timeout MS, or look for a "
                                "long-running reader (WAL mode lets readers and a commit run together)",
                                path, busy_timeout_ms));
            return Error(
                fmt::format("{} is locked by another writer and stayed locked for {} ms; nothing was "
                            "changed. Try again, or wait longer with --busy-timeout MS",
                            path, busy_timeout_ms));
        case SQLITE_READONLY:
            if (auto wal = sqlite_wal_in_read_only_folder(path)) return *wal;
            return Error(
                fmt::format("{} is read-only: this command writes, so it needs write access to the file "
                            "and its folder",
                            path));
        case SQLITE_NOTADB: return Error(fmt::format("{} is not a SQLite database", path));
        case SQLITE_CORRUPT:
            return Error(fmt::format("{} is damaged (SQLite reports corruption); restore it from a backup", path));
        case SQLITE_CANTOPEN:
            if (auto wal = sqlite_wal_in_read_only_folder(path)) return *wal;
            return Error(
                fmt::format("cannot open {}: check that the file and its folder exist and are accessible", path));
        case SQLITE_FULL: return Error(fmt::format("the disk holding {} is full; nothing was changed", path));
        case SQLITE_IOERR:
            return Error(fmt::format("input/output error on {}: {}", path, sqlite3_errstr(sqlite_error->code())));
        case SQLITE_CONSTRAINT: return Error(fmt::format("{} refused the change: {}", path, e.what()));
        default: return Error(fmt::format("{}: {}", path, e.what()));
    }
}

}  // namespace quicktools::db
