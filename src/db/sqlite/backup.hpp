#pragma once
// SQLite's online backup (db::backup_to on a SQLite database; see backup.hpp for the contract).
#include <string>

#include "quicktools/db/backup.hpp"
#include "quicktools/db/database.hpp"

namespace quicktools::db::sqlite {

// Refuses another engine with Error.
BackupResult online_backup(Database& source, const std::string& dest, const BackupProgress& progress);

}  // namespace quicktools::db::sqlite
