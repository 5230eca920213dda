// Running `db drop-deprecated`: the engine's statements (on SQLite, its procedure for general
// table changes) in one transaction, with the checks they need before the commit.
#include "quicktools/db/drop_deprecated.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include "quicktools/db/migrations.hpp"
#include "quicktools/util/interrupt.hpp"
#include "postgres/pg_drop.hpp"
#include "sqlite/table_rewrite.hpp"

namespace quicktools::db {
namespace {

std::int64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

// PostgreSQL: one transaction that locks users against writers, plans again, backs up (pg_dump
// of this transaction's snapshot), drops the columns and records migration 004. No VACUUM:
// DROP COLUMN frees nothing to give back. The sizes are users' on the server, read in the
// transaction before and after the drop (no file of the database is ours to measure).
DropResult drop_deprecated_postgres(Database& db, const DropOptions& options) {
    DropResult result;
    const auto step = [&](const std::string& what) {
        if (options.on_step) options.on_step(what);
    };
    result.bytes_of = BytesOf::users_table;
    WriteTransaction tx(db);
    postgres::lock_users(db);
    result.plan = plan_drop(db, options);  // again, now that no one else can write to users
    if (result.plan.nothing_to_do) return result;
    result.bytes_before = postgres::users_bytes(db);
    if (options.backup_path) {
        step("backing up to " + *options.backup_path);
        result.backup = backup_to(db, *options.backup_path, options.backup_progress);
    }
    step("dropping the columns");
    result.users = postgres::run_users_drop(db, result.plan);
    result.bytes_after = postgres::users_bytes(db);
    record(db, migration(drop_deprecated_version, db.engine()), "applied", options.actor);
    if (detect_state(db).state != SchemaState::final)
        throw Error(
            fmt::format("{}: after the drop the schema is not in the final state; nothing was changed", db.path()));
    tx.commit();
    return result;
}

}  // namespace

DropResult drop_deprecated(Database& db, const DropOptions& options) {
    if (db.engine() == Engine::postgres) return drop_deprecated_postgres(db, options);
    DropResult result;
    result.bytes_before = file_size(db.path());
    const auto step = [&](const std::string& what) {
        if (options.on_step) options.on_step(what);
    };
    {
        sqlite::RewriteSettings settings(db);
        WriteTransaction tx(db);
        result.plan = plan_drop(db, options);  // again, now that no one else can write
        if (result.plan.nothing_to_do) return result;
        if (options.backup_path) {
            step("backing up to " + *options.backup_path);
            // Under the write lock: the copy is the database exactly as this rewrite starts from.
            result.backup = backup_to(db, *options.backup_path, options.backup_progress);
        }
        step("rewriting users");
        result.users = sqlite::run_users_rewrite(db, result.plan);
        record(db, migration(drop_deprecated_version, db.engine()), "applied", options.actor);
        step("checking foreign keys and integrity");
        sqlite::check_users_rewrite(db);
        if (detect_state(db).state != SchemaState::final)
            throw Error(fmt::format("{}: after the rewrite the schema is not in the final state; nothing was changed",
                                    db.path()));
        tx.commit();
    }
    if (options.vacuum) {
        step("vacuuming");
        try {
            util::throw_if_interrupted();  // a signal before VACUUM starts would go unseen by SQLite
            db.execute("VACUUM");
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
                result.vacuum_error =
                    Error(fmt::format("the VACUUM of {} failed ({}): {}; only the compacting did not "
                                      "happen (SQLite reuses the free space; run `sqlite3 {} "
                                      "VACUUM` once there is room for a copy of the file)",
                                      db.path(), e.what(), committed, db.path()));
        }
    }
    result.bytes_after = file_size(db.path());
    return result;
}

}  // namespace quicktools::db
