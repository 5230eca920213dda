#pragma once
// db::backup_to on PostgreSQL: pg_dump --format=custom (see backup.hpp for the contract).
#include <string>

#include "quicktools/db/backup.hpp"
#include "quicktools/db/database.hpp"

namespace quicktools::db::postgres {

// Runs pg_dump (found on PATH) into DEST.partial-XXXXXX (0600) beside `dest`, checks the copy
// with `pg_restore --list`, then links it into place; never overwrites (refusal, exit 4). Inside
// a transaction of the caller, pg_dump dumps that transaction's snapshot (pg_export_snapshot).
// pg_dump gets the URI without its password (--dbname) and the password in PGPASSWORD. Throws
// Error (exit 1) when pg_dump is not on PATH or fails; refuses another engine with Error.
BackupResult pg_dump_backup(Database& source, const std::string& dest, const BackupProgress& progress);

}  // namespace quicktools::db::postgres
