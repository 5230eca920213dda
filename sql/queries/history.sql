-- The tool's schema history: one row per migration, applied by the tool or recorded as a
-- baseline when the database already had its effect.
-- name: lock
-- One schema change at a time (SQLite: the write transaction's lock already is that; PostgreSQL:
-- an advisory lock held until the transaction ends).
SELECT 1;
-- name: create
CREATE TABLE IF NOT EXISTS quicktools_schema_history (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	checksum TEXT NOT NULL,
	kind TEXT NOT NULL,
	applied_at TEXT NOT NULL,
	applied_by TEXT NOT NULL
);
-- name: select_all
SELECT version, name, checksum, kind, applied_at, applied_by
FROM quicktools_schema_history ORDER BY version;
-- name: insert
INSERT INTO quicktools_schema_history (version, name, checksum, kind, applied_at, applied_by)
VALUES (?, ?, ?, ?, ?, ?);
