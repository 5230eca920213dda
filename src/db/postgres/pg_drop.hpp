#pragma once
// `db drop-deprecated` on PostgreSQL: ALTER TABLE users DROP COLUMN for the deprecated columns
// that exist, after dropping the views and triggers that use them (PostgreSQL refuses to drop a
// column they use); the indexes and constraints on them go with the columns and are reported.
// Only the catalog changes: no table rewrite, nothing to recreate.
#include <cstdint>

#include "quicktools/db/database.hpp"
#include "quicktools/db/drop_deprecated.hpp"

namespace quicktools::db::postgres {

// Works out the drop from the catalog: fills plan.removed_constraints, recreated (the objects
// on users that stay as they are), dropped, rewrite and statements. Refuses another engine with Error.
void plan_users_drop(Database& db, const DropOptions& options, DropPlan& plan);

// Inside the caller's write transaction: locks users against writers (EXCLUSIVE: readers and
// pg_dump still read it), waiting at most the lock timeout.
void lock_users(Database& db);

// Runs plan.rewrite inside the caller's write transaction; returns the users kept.
std::int64_t run_users_drop(Database& db, const DropPlan& plan);

// The size of users on the server in bytes: the table, its TOAST and its indexes
// (pg_total_relation_size), as the caller's transaction sees them.
std::int64_t users_bytes(Database& db);

}  // namespace quicktools::db::postgres
