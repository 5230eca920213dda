// Running `db drop-deprecated`: SQLite's procedure for general table changes, in one
// transaction, with the checks it asks for before the commit.
#include "quicktools/db/drop_deprecated.hpp"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "quicktools/db/migrations.hpp"
#include "quicktools/util/interrupt.hpp"

namespace quicktools::db {
namespace {

std::int64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

// Connection settings for the rewrite, restored afterwards. Foreign keys off: with them on,
// DROP TABLE users would delete every api_keys and tasks row through their ON DELETE CASCADE
// (the pragma only works outside a transaction). secure_delete FAST: Debian's SQLite zeroes
// every freed page by default, which makes DROP TABLE write (and journal) the whole old table.
class RewriteSettings {
public:
    explicit RewriteSettings(Database& db) : m_db(db) {
        m_secure_delete = m_db.sql().execAndGet("PRAGMA secure_delete").getInt();
        m_db.sql().exec("PRAGMA foreign_keys = OFF");
        m_db.sql().exec("PRAGMA secure_delete = FAST");
    }
    ~RewriteSettings() {
        try {
            m_db.sql().exec("PRAGMA foreign_keys = ON");
            m_db.sql().exec(fmt::format("PRAGMA secure_delete = {}", m_secure_delete));
        } catch (...) {
            // Only this connection had them changed, and it is about to go away with the error.
        }
    }
    RewriteSettings(const RewriteSettings&) = delete;
    RewriteSettings& operator=(const RewriteSettings&) = delete;

private:
    Database& m_db;
    int m_secure_delete = 1;
};

void check_foreign_keys(Database& db) {
    SQLite::Statement q(db.sql(), "PRAGMA foreign_key_check");
    std::int64_t rows = 0;
    std::string example;
    while (q.executeStep()) {
        if (rows++ == 0)
            example = fmt::format("{} row {} has no {} row", q.getColumn(0).getString(), q.getColumn(1).getString(),
                                  q.getColumn(2).getString());
    }
    if (rows > 0)
        throw Error(fmt::format("{}: the foreign key check found {} row(s) pointing nowhere (for example, {}); "
                                "nothing was changed. Repair them first (`PRAGMA foreign_key_check` lists them)",
                                db.path(), rows, example));
}

void check_integrity(Database& db) {
    SQLite::Statement q(db.sql(), "PRAGMA quick_check(users)");
    if (q.executeStep() && q.getColumn(0).getString() == "ok") return;
    throw Error(fmt::format("{}: the integrity check of the rewritten users table failed ({}); nothing was changed",
                            db.path(), q.hasRow() ? q.getColumn(0).getString() : "no answer"));
}

}  // namespace

DropResult drop_deprecated(Database& db, const DropOptions& options) {
    DropResult result;
    result.bytes_before = file_size(db.path());
    const auto step = [&](const std::string& what) {
        if (options.on_step) options.on_step(what);
    };
    {
        RewriteSettings settings(db);
        WriteTransaction tx(db);
        result.plan = plan_drop(db, options);  // again, now that no one else can write
        if (result.plan.nothing_to_do) return result;
        if (options.backup_path) {
            step("backing up to " + *options.backup_path);
            // Under the write lock: the copy is the database exactly as this rewrite starts from.
            result.backup = backup_to(db, *options.backup_path, options.backup_progress);
        }
        step("rewriting users");
        for (const auto& statement : result.plan.rewrite) {
            db.sql().exec(statement);
            if (statement.rfind("INSERT INTO", 0) == 0) result.users = sqlite3_changes64(db.sql().getHandle());
        }
        record(db, migration(drop_deprecated_version), "applied", options.actor);
        step("checking foreign keys and integrity");
        check_foreign_keys(db);
        check_integrity(db);
        if (detect_state(db).state != SchemaState::final)
            throw Error(fmt::format("{}: after the rewrite the schema is not in the final state; nothing was changed",
                                    db.path()));
        tx.commit();
    }
    if (options.vacuum) {
        step("vacuuming");
        try {
            util::throw_if_interrupted();  // a signal before VACUUM starts would go unseen by SQLite
            db.sql().exec("VACUUM");
        } catch (const std::exception& e) {
            const std::string committed =
                result.backup ? fmt::format("the deprecated columns are dropped and committed (backed up to {} first)",
                                            result.backup->path)
                              : std::string("the deprecated columns are dropped and committed");
            if (util::interrupted())
                result.vacuum_error = Error(ExitCode::interrupted,
                                            fmt::format("interrupted during the VACUUM of {}: {}; only the compacting "
                                                        "stopped (SQLite reuses the free space)",
                                                        db.path(), committed));
            else
                result.vacuum_error = Error(fmt::format("the VACUUM of {} failed ({}): {}; only the compacting did not "
                                                        "happen (SQLite reuses the free space; run `sqlite3 {} "
                                                        "VACUUM` once there is room for a copy of the file)",
                                                        db.path(), e.what(), committed, db.path()));
        }
    }
    result.bytes_after = file_size(db.path());
    return result;
}

}  // namespace quicktools::db
