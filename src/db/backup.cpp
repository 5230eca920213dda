#include "quicktools/db/backup.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "sqlite/backup.hpp"

namespace quicktools::db {

std::string default_backup_path(const std::string& db_path) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    return fmt::format("{}.backup-{:%Y%m%d-%H%M%S}", db_path, tm);
}

BackupResult backup_to(Database& source, const std::string& dest, const BackupProgress& progress) {
    return sqlite::online_backup(source, dest, progress);
}

}  // namespace quicktools::db
