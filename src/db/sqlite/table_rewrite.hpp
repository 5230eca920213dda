#pragma once
// The users table rewrite behind `db drop-deprecated` on SQLite, following SQLite's procedure for
// general table changes (lang_altertable.html#otheralter): a new table without the columns, the
// rows copied, the old table dropped, the new one renamed, and every index, trigger and view that
// refers to users rebuilt as it was (or dropped, when it used a dropped column).
#include <cstdint>

#include "quicktools/db/database.hpp"
#include "quicktools/db/drop_deprecated.hpp"

namespace quicktools::db::sqlite {

// Works out the rewrite: fills plan.new_table_sql, removed_constraints, recreated, dropped,
// rewrite and statements, rehearsing the statements on an empty copy of the schema first.
// Refuses (exit 4) when a table of the rewrite's temporary name is in the way; refuses another
// engine with Error.
void plan_users_rewrite(Database& db, const DropOptions& options, DropPlan& plan);

// The connection's settings for the rewrite, restored when it ends. Foreign keys off: with them
// on, DROP TABLE users would delete every api_keys and tasks row through their ON DELETE CASCADE
// (the pragma only works outside a transaction). secure_delete FAST: Debian's SQLite zeroes every
// freed page by default, which makes DROP TABLE write (and journal) the whole old table.
class RewriteSettings {
public:
    explicit RewriteSettings(Database& db);
    ~RewriteSettings();
    RewriteSettings(const RewriteSettings&) = delete;
    RewriteSettings& operator=(const RewriteSettings&) = delete;

private:
    Database& m_db;
    int m_secure_delete = 1;
};

// Runs plan.rewrite inside the caller's write transaction; returns the users copied.
std::int64_t run_users_rewrite(Database& db, const DropPlan& plan);

// The checks SQLite's procedure asks for before the commit: no foreign key points nowhere, and the
// new users table passes the quick check. Throws Error (nothing is committed).
void check_users_rewrite(Database& db);

}  // namespace quicktools::db::sqlite
