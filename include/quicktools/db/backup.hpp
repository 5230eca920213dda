#pragma once
// A consistent online copy of the database, safe while the web app keeps writing.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "quicktools/db/database.hpp"

namespace quicktools::db {

// What a backup file is.
enum class BackupFormat {
    sqlite_file,     // a SQLite database, page for page the source
    pg_dump_custom,  // pg_dump's custom format (restore with pg_restore)
};

struct BackupResult {
    std::string path;
    std::int64_t bytes = 0;  // the size of the file written
    BackupFormat format = BackupFormat::sqlite_file;
    // The database pages copied (SQLite); none for a dump, which is not made of pages.
    std::optional<int> pages;
};

// Called after each chunk with (pages copied, pages in all).
using BackupProgress = std::function<void(int, int)>;

// Copies `source` to a new file at `dest` with mode 0600, under one read transaction so the
// copy is a single point in time. Inside the caller's write transaction (before its changes) it
// copies through a second, read-only connection, and the copy is exactly the database as it was
// when the write lock was taken. The copy is written to DEST.partial-XXXXXX beside `dest`,
// checked with SQLite's quick_check, and only then linked into place: killed half-way, nothing
// is at `dest`. Refuses (exit 4) if `dest` exists; throws Error (exit 1) for a damaged source,
// removing the partial copy on every failure it sees.
BackupResult backup_to(Database& source, const std::string& dest, const BackupProgress& progress = {});

// On PostgreSQL (src/db/postgres/pg_backup.cpp) the copy is pg_dump's custom format, made the same
// way (DEST.partial-XXXXXX, 0600, checked with `pg_restore --list`, linked into place, never over
// an existing file); inside the caller's transaction it is that transaction's snapshot. Its
// format is pg_dump_custom and it has no `pages`. Without pg_dump or pg_restore on PATH it
// throws Error (exit 1) saying what to install.

// "<db>.backup-YYYYMMDD-HHMMSS" beside the database: the default for commands that back up first.
// For a PostgreSQL URI: "quicktools-<dbname>-YYYYMMDD-HHMMSS.dump" in the current folder (never
// the user or the password).
std::string default_backup_path(const std::string& db_path);

}  // namespace quicktools::db
