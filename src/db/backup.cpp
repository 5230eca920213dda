#include "quicktools/db/backup.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cctype>
#include <ctime>

#include "postgres/pg_backup.hpp"
#include "sqlite/backup.hpp"

namespace quicktools::db {

namespace {

// The database name of a postgresql:// URI (the path after the host), as a safe file name part:
// never the user or the password.
std::string backup_pg_dbname(const std::string& uri) {
    std::string rest = uri.substr(uri.find("://") + 3);
    rest = rest.substr(0, rest.find_first_of("?#"));
    const std::size_t at = rest.rfind('@');
    if (at != std::string::npos) rest.erase(0, at + 1);
    const std::size_t slash = rest.find('/');
    std::string name = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    if (name.empty() || name.front() == '.') name = "postgres" + name;
    return name;
}

}  // namespace

std::string default_backup_path(const std::string& db_path) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    if (is_postgres_uri(db_path))
        return fmt::format("quicktools-{}-{:%Y%m%d-%H%M%S}.dump", backup_pg_dbname(db_path), tm);
    return fmt::format("{}.backup-{:%Y%m%d-%H%M%S}", db_path, tm);
}

BackupResult backup_to(Database& source, const std::string& dest, const BackupProgress& progress) {
    if (source.engine() == Engine::postgres) return postgres::pg_dump_backup(source, dest, progress);
    return sqlite::online_backup(source, dest, progress);
}

}  // namespace quicktools::db
