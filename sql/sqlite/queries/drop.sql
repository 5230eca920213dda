-- The table rewrite behind `db drop-deprecated` on SQLite (src/db/sqlite/table_rewrite.cpp).
-- name: dependents
-- Indexes, triggers and views, in the order they were created.
SELECT type, name, tbl_name AS table_name, sql FROM sqlite_master
WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT NULL
ORDER BY rowid;
-- name: users_sql
SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users';
-- name: schema_copy
-- Everything needed to rehearse the rewrite on an empty copy of the schema.
SELECT type, name, sql FROM sqlite_master
WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
ORDER BY rowid;
-- name: users_sequence
SELECT seq FROM sqlite_sequence WHERE name = 'users';
-- name: secure_delete
PRAGMA secure_delete;
-- name: foreign_key_check
-- One row per row whose foreign key points nowhere.
PRAGMA foreign_key_check;
-- name: users_quick_check
PRAGMA quick_check(users);
