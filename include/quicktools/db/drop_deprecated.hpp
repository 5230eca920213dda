#pragma once
// `db drop-deprecated`: the six subscription columns dropped from users. On SQLite with one table
// rewrite, following SQLite's procedure for general table changes (lang_altertable.html#otheralter);
// on PostgreSQL with ALTER TABLE users DROP COLUMN (src/db/postgres/pg_drop.cpp), which only marks
// the columns dropped in the catalog: the indexes, triggers and views that stay are kept as they
// are, and there is nothing to VACUUM (the space of the old values is reused as rows are updated),
// so `vacuum` is ignored there.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "quicktools/db/backup.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/schema_state.hpp"

namespace quicktools::db {

enum class Force { no, yes };

struct DropOptions {
    Force force = Force::no;                          // drop although Stripe subscriptions are recorded as active
    std::optional<std::string> backup_path;           // where to back up first; nullopt = no backup
    bool vacuum = false;                              // VACUUM after the commit to give the space back (SQLite only)
    std::string actor;                                // recorded in the schema history
    std::function<void(const std::string&)> on_step;  // told each step as it starts (progress)
    BackupProgress backup_progress;                   // told the pages copied by the backup
};

// An index, trigger or view that refers to users.
struct DependentObject {
    std::string type;  // index, trigger, view
    std::string name;
    std::string reason;  // for dropped ones: why it cannot stay
};

struct DropPlan {
    SchemaState state = SchemaState::unknown;
    bool nothing_to_do = false;  // already final
    bool rewrites_table = true;  // false on PostgreSQL: the objects that stay are kept, not rebuilt
    std::string new_table_sql;   // users as it will be defined (SQLite)
    std::vector<std::string> removed_constraints;
    std::vector<DependentObject> recreated;  // rebuilt as they were (PostgreSQL: kept as they are)
    std::vector<DependentObject> dropped;    // gone with the columns they used
    std::int64_t active_subscriptions = 0;   // only counted past the check with Force::yes
    std::vector<std::string> statements;     // every statement, in order, as it will run
    std::vector<std::string> rewrite;        // the part of `statements` that rewrites (or alters) users
};

// Checks the safety rules and works out the exact statements, without writing. Throws a
// refusal (exit 4) for a database in the wrong state, one whose migration has not been done,
// or (without Force::yes) one with Stripe subscriptions still recorded as active.
DropPlan plan_drop(Database& db, const DropOptions& options);

// What bytes_before and bytes_after measure.
enum class BytesOf {
    database_file,  // SQLite: the file, before the drop and after it (and after the VACUUM, if any)
    users_table,    // PostgreSQL: users with its TOAST and indexes (pg_total_relation_size), before
                    // and after the drop, in its transaction. DROP COLUMN does not rewrite the
                    // table, so the rows keep their size; only the indexes dropped with the
                    // columns make it smaller.
};

struct DropResult {
    DropPlan plan;
    std::optional<BackupResult> backup;
    std::int64_t users = 0;  // rows copied
    BytesOf bytes_of = BytesOf::database_file;
    std::int64_t bytes_before = 0;
    std::int64_t bytes_after = 0;
    // The VACUUM after the commit failed or was interrupted: what happened, in a sentence that
    // says the drop itself is committed (exit 1, or 130 when interrupted).
    std::optional<Error> vacuum_error;
};

// Plans again under the write lock, backs up, rewrites users and records migration 004, all in
// one transaction (interrupted, the database stays exactly as it was); VACUUMs if asked. A
// failed VACUUM does not throw: the drop is committed by then, so it comes back in vacuum_error.
// On PostgreSQL the write lock is LOCK TABLE users IN EXCLUSIVE MODE (waiting at most the lock
// timeout; readers go on), the backup is pg_dump of that transaction's snapshot, and the drop is
// one ALTER TABLE in the same transaction.
DropResult drop_deprecated(Database& db, const DropOptions& options);

}  // namespace quicktools::db
